package vllm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
)

func TestMiddlewareOrderAndHeaders(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := failThenOK(t, 503)
	var mu sync.Mutex
	var trace []string
	mw := func(name string) vllm.Middleware {
		return func(next vllm.RoundTrip) vllm.RoundTrip {
			return func(ctx context.Context, req *vllm.RequestInfo) (*http.Response, error) {
				mu.Lock()
				trace = append(trace, name+" in "+req.Call.Op)
				mu.Unlock()
				req.Header.Set("X-Trace-"+name, name)
				if id := req.Header.Get("X-Request-Id"); len(id) != 32 || id != req.Call.RequestID {
					t.Errorf("attempt header X-Request-Id %q, call %q", id, req.Call.RequestID)
				}
				resp, err := next(ctx, req)
				mu.Lock()
				trace = append(trace, name+" out "+http.StatusText(statusOfErr(resp, err)))
				mu.Unlock()
				return resp, err
			}
		}
	}
	c := srv.Client(t, fastRetry(1), vllm.WithMiddleware(mw("a"), mw("b")),
		vllm.WithHeader("X-Client", "c"))
	if _, err := c.Chat.Create(context.Background(), chatReq(), vllm.WithHeader("X-Req", "r")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a in chat completion", "b in chat completion", "b out Service Unavailable", "a out Service Unavailable",
		"a in chat completion", "b in chat completion", "b out OK", "a out OK",
	}
	if strings.Join(trace, "|") != strings.Join(want, "|") {
		t.Fatalf("trace\n got %q\nwant %q", trace, want)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("X-Trace-a") != "a" || r.Header.Get("X-Trace-b") != "b" || r.Header.Get("X-Client") != "c" || r.Header.Get("X-Req") != "r" {
			t.Fatalf("headers %v", r.Header)
		}
	}
}

func statusOfErr(resp *http.Response, err error) int {
	if resp != nil {
		return resp.StatusCode
	}
	var ae *vllm.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

func TestMiddlewareShortCircuit(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllm.NewMemServer(t, okChats)
	deny := errors.New("denied by policy")
	c := srv.Client(t, vllm.WithMiddleware(func(next vllm.RoundTrip) vllm.RoundTrip {
		return func(ctx context.Context, req *vllm.RequestInfo) (*http.Response, error) { return nil, deny }
	}))
	if _, err := c.Chat.Create(context.Background(), chatReq()); !errors.Is(err, deny) || srv.Count() != 0 {
		t.Fatalf("err %v, %d requests", err, srv.Count())
	}
	// A RequestInfo not made by the library is refused, not a panic.
	var rt vllm.RoundTrip
	srv.Client(t, vllm.WithMiddleware(func(next vllm.RoundTrip) vllm.RoundTrip { rt = next; return next })) // for the round trip it captures in rt
	if _, err := rt(context.Background(), &vllm.RequestInfo{}); err == nil {
		t.Fatal("want an error")
	}
}

func TestHooksCallLifecycle(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := failThenOK(t, 500)
	type key struct{}
	var events []string
	var result vllm.CallResult
	var info vllm.CallInfo
	c := srv.Client(t, fastRetry(1), vllm.WithHooks(vllm.Hooks{
		OnCallStart: func(ctx context.Context, call *vllm.CallInfo) context.Context {
			events = append(events, "start")
			return context.WithValue(ctx, key{}, "span")
		},
		OnRequest: func(ctx context.Context, req *vllm.RequestInfo) {
			events = append(events, "request "+ctx.Value(key{}).(string))
		},
		OnResponse: func(ctx context.Context, req *vllm.RequestInfo, res vllm.AttemptResult) {
			events = append(events, "response "+http.StatusText(res.StatusCode))
		},
		OnRetry: func(ctx context.Context, req *vllm.RequestInfo, err error, wait time.Duration) {
			events = append(events, "retry")
		},
		OnCallEnd: func(ctx context.Context, call *vllm.CallInfo, res *vllm.CallResult) {
			events = append(events, "end "+ctx.Value(key{}).(string))
			result, info = *res, *call
			result.Body = append([]byte(nil), res.Body...)
		},
	}))
	if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
	want := "start|request span|response Internal Server Error|retry|request span|response OK|end span"
	if got := strings.Join(events, "|"); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
	if info.Op != "chat completion" || info.Method != "POST" || info.Path != "/v1/chat/completions" || info.Model != "m" ||
		info.Stream || len(info.RequestID) != 32 || info.Start.IsZero() {
		t.Fatalf("info %+v", info)
	}
	if result.Attempts != 2 || result.StatusCode != 200 || result.Err != nil || result.Endpoint != srv.URL+"/v1" ||
		result.Usage == nil || result.Usage.TotalTokens != 11 || result.ResponseModel == "" || result.ResponseID == "" ||
		len(result.FinishReasons) != 1 || !bytes.Equal(result.Body, chatFixture) || result.Duration <= 0 {
		t.Fatalf("result %+v", result)
	}

	// A call that fails ends with its error.
	srv2 := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, 404) }))
	var ended []error
	c2 := srv2.Client(t, vllm.WithHooks(vllm.Hooks{OnCallEnd: func(_ context.Context, _ *vllm.CallInfo, res *vllm.CallResult) {
		ended = append(ended, res.Err)
	}}))
	_, err := c2.Chat.Create(context.Background(), chatReq())
	if len(ended) != 1 || ended[0] != err {
		t.Fatalf("ended %v, err %v", ended, err)
	}
}

func TestLoggingRedactsAndReports(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	const key = "sk-very-secret-key-123"
	srv := failThenOK(t, 503)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base := strings.Replace(srv.URL, "http://", "http://user:"+key+"@", 1) + "/v1"
	c := newClient(t, base, vllm.WithAPIKey(key), vllm.WithLogger(logger), fastRetry(1),
		vllm.WithHeader("X-Api-Key", key), vllm.WithLogPolicy(vllm.LogPolicy{Bodies: true}))
	defer c.Close()
	req := chatReq()
	req.Messages = []vllm.Message{vllm.User(strings.Repeat("long prompt ", 400))}
	if _, err := c.Chat.Create(context.Background(), req, vllm.WithHeader("Proxy-Authorization", "Basic "+key)); err != nil {
		t.Fatal(err)
	}
	// A failing call is logged too.
	srv2 := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, 400) }))
	c2 := srv2.Client(t, vllm.WithAPIKey(key), vllm.WithLogger(logger))
	if _, err := c2.Chat.Create(context.Background(), chatReq()); err == nil {
		t.Fatal("want an error")
	}
	out := buf.String()
	if strings.Contains(out, key) {
		t.Fatalf("the API key leaked into the log:\n%s", out)
	}
	if !contains(out, `"msg":"vllm attempt"`, `"msg":"vllm retry"`, `"msg":"vllm call"`, `"msg":"vllm response"`,
		`"Authorization":"[REDACTED]"`, `"X-Api-Key":"[REDACTED]"`, `"Proxy-Authorization":"[REDACTED]"`,
		`"path":"/v1/chat/completions"`, `"model":"m"`, `"status":200`, `"attempts":2`,
		`"prompt_tokens":`, `"completion_tokens":`, `"latency_ms":`, `"request_id":"`, `…(truncated)`,
		`"level":"WARN"`, `"status":400`, `Hello there sim`) {
		t.Fatalf("log lacks fields:\n%s", out)
	}
	// At Info, no bodies are logged.
	buf.Reset()
	c3 := srv.Client(t, vllm.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		vllm.WithLogPolicy(vllm.LogPolicy{Level: slog.LevelInfo, Bodies: true}))
	if _, err := c3.Chat.Create(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "Hello there sim") || strings.Contains(out, `"content"`) || !strings.Contains(out, "vllm call") {
		t.Fatalf("info log:\n%s", out)
	}
}

func TestRequestID(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, 400) }))
	ctx := context.Background()

	// Generated, sent, and kept in the error.
	c := srv.Client(t)
	_, err := c.Chat.Create(ctx, chatReq())
	var ae *vllm.APIError
	sent := srv.Requests()[0].Header.Get("X-Request-Id")
	if !errors.As(err, &ae) || len(sent) != 32 || ae.RequestID != sent {
		t.Fatalf("sent %q, error has %q", sent, ae.RequestID)
	}
	// Two calls get two ids.
	c.Chat.Create(ctx, chatReq())
	if srv.Requests()[1].Header.Get("X-Request-Id") == sent {
		t.Fatal("request id reused")
	}
	// The caller's id wins, per request or per client.
	_, err = c.Chat.Create(ctx, chatReq(), vllm.WithHeader("X-Request-Id", "mine"))
	if errors.As(err, &ae); ae.RequestID != "mine" || srv.Requests()[2].Header.Values("X-Request-Id")[0] != "mine" || len(srv.Requests()[2].Header.Values("X-Request-Id")) != 1 {
		t.Fatalf("caller id: %v", srv.Requests()[2].Header)
	}
	// A custom generator, and none at all.
	c2 := srv.Client(t, vllm.WithRequestIDFunc(func() string { return "gen-1" }))
	c2.Chat.Create(ctx, chatReq())
	c3 := srv.Client(t, vllm.WithRequestIDFunc(nil))
	c3.Chat.Create(ctx, chatReq())
	reqs := srv.Requests()
	if reqs[3].Header.Get("X-Request-Id") != "gen-1" || reqs[4].Header.Get("X-Request-Id") != "" {
		t.Fatalf("custom %q, none %q", reqs[3].Header.Get("X-Request-Id"), reqs[4].Header.Get("X-Request-Id"))
	}
}

// A 200 response whose body does not decode ends the call with the same
// *DecodeError the caller gets.
func TestHooksSeeDecodeError(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"x","choices":[{"index":"zero"}]}`))
	}))
	var mu sync.Mutex
	var ended []error
	c := srv.Client(t, vllm.WithHooks(vllm.Hooks{OnCallEnd: func(_ context.Context, _ *vllm.CallInfo, res *vllm.CallResult) {
		mu.Lock()
		ended = append(ended, res.Err)
		mu.Unlock()
	}}))
	_, err := c.Chat.Create(context.Background(), chatReq())
	var de *vllm.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	_, err2 := c.Completions.Create(context.Background(), &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("x")})
	if !errors.As(err2, &de) {
		t.Fatalf("completion err = %v", err2)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ended) != 2 || ended[0] != err || ended[1] != err2 {
		t.Fatalf("ended %v, errs %v, %v", ended, err, err2)
	}
}
