package vllm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// streamRecorder records what hooks see of calls.
type streamRecorder struct {
	mu       sync.Mutex
	progress []vllm.StreamProgress
	ends     []vllm.CallResult
	attempts []int
}

func (r *streamRecorder) hooks() vllm.Hooks {
	return vllm.Hooks{
		OnResponse: func(_ context.Context, _ *vllm.RequestInfo, res vllm.AttemptResult) {
			r.mu.Lock()
			r.attempts = append(r.attempts, res.StatusCode)
			r.mu.Unlock()
		},
		OnStreamEvent: func(_ context.Context, _ *vllm.CallInfo, ev vllm.StreamProgress) {
			r.mu.Lock()
			r.progress = append(r.progress, ev)
			r.mu.Unlock()
		},
		OnCallEnd: func(_ context.Context, _ *vllm.CallInfo, res *vllm.CallResult) {
			r.mu.Lock()
			r.ends = append(r.ends, *res)
			r.mu.Unlock()
		},
	}
}

// recordingClient returns a client of srv, with opts, whose hooks record
// into the returned recorder; the client closes when the test ends.
func recordingClient(t *testing.T, srv *vllmtest.Server, opts ...vllm.Option) (*vllm.Client, *streamRecorder) {
	t.Helper()
	rec := new(streamRecorder)
	c := newClient(t, srv.URL, append([]vllm.Option{vllm.WithHooks(rec.hooks())}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, rec
}

func TestStreamHooksOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithTTFT(30*time.Millisecond))
		defer srv.Close()
		srv.Enqueue(vllmtest.Reply{Content: "one two three four", PromptTokens: 9, CompletionTokens: 5})
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, RetryAfter: "1"})
		var rec streamRecorder
		var logs bytes.Buffer
		c := newClient(t, srv.URL, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, MaxDelay: time.Minute}), vllm.WithHooks(rec.hooks()), vllm.WithMaxInFlight(1),
			vllm.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), vllm.WithLogPolicy(vllm.LogPolicy{Level: slog.LevelInfo}))
		defer c.Close()
		s := openChat(t, c)
		var events, texts int
		for ev, err := range s.Events() {
			if err != nil {
				t.Fatal(err)
			}
			events++
			if ev.Type == vllm.EventContent && ev.Text != "" {
				texts++
			}
		}
		if len(rec.ends) != 1 {
			t.Fatalf("%d call ends", len(rec.ends))
		}
		res := rec.ends[0]
		// The 503 before the stream began was retried; the stream was not.
		if len(rec.attempts) != 2 || rec.attempts[0] != 503 || rec.attempts[1] != 200 || res.Attempts != 2 {
			t.Fatalf("attempts %v, result %+v", rec.attempts, res)
		}
		if res.Err != nil || res.Usage == nil || res.Usage.PromptTokens != 9 || res.Usage.CompletionTokens != 5 ||
			res.Events != events || len(rec.progress) != events || res.TokenEvents != texts {
			t.Fatalf("result %+v: %d events, %d text events seen by the caller", res, events, texts)
		}
		// The first text event came after the Retry-After wait and the
		// server's time to first token; the rest came at once.
		if res.TimeToFirstToken != time.Second+30*time.Millisecond || res.Duration != res.TimeToFirstToken {
			t.Fatalf("ttft %v, duration %v", res.TimeToFirstToken, res.Duration)
		}
		last := rec.progress[len(rec.progress)-1]
		if last.Events != events || last.Tokens != res.TokenEvents {
			t.Fatalf("last progress %+v", last)
		}
		if out := logs.String(); !contains(out, "vllm.stream=true", "vllm.ttft_ms=", "vllm.prompt_tokens=9", "vllm.attempts=2", "msg=\"vllm retry\"") {
			t.Fatalf("log:\n%s", out)
		}
		// The stream's in-flight slot was released: another call goes through.
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
		if ep := c.Endpoints()[0]; ep.Outstanding != 0 {
			t.Fatalf("outstanding %d", ep.Outstanding)
		}
	})
}

func TestStreamFailureNotRetried(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := testServer(t)
		srv.Enqueue(vllmtest.Reply{Content: "a b c d e f"})
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultDrop, After: 2})
		c, rec := recordingClient(t, srv, fastRetry(3))
		s := openChat(t, c)
		seen := 0
		for s.Next() {
			seen++
		}
		err := s.Err()
		s.Close()
		var se *vllm.StreamError
		if !errors.As(err, &se) || len(srv.Requests()) != 1 {
			t.Fatalf("err %v, %d requests", err, len(srv.Requests()))
		}
		if len(rec.ends) != 1 || !errors.As(rec.ends[0].Err, new(*vllm.StreamError)) || rec.ends[0].Events != seen || seen == 0 {
			t.Fatalf("ends %+v", rec.ends)
		}
	})
}

// TestStreamClosedConcurrently closes a stream from another goroutine
// while it is being read: the call ends once, nothing races or leaks.
func TestStreamClosedConcurrently(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithITL(5*time.Millisecond))
		defer srv.Close()
		srv.Enqueue(vllmtest.Reply{Content: strings.Repeat("word ", 200)})
		c, rec := recordingClient(t, srv, vllm.WithMaxInFlight(1))
		s := openChat(t, c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s.Next() {
			}
		}()
		// The first token comes at once, one every 5ms after it: by 32ms
		// the reader has seen 7.
		time.Sleep(32 * time.Millisecond)
		s.Close()
		<-done
		rec.mu.Lock()
		ends := append([]vllm.CallResult(nil), rec.ends...)
		rec.mu.Unlock()
		if len(ends) != 1 || ends[0].Err == nil || ends[0].TokenEvents != 7 || ends[0].Duration != 32*time.Millisecond {
			t.Fatalf("ends %+v", ends)
		}
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHooksSeeStreamedResponse: a stream reports the response id, model and
// finish reasons to OnCallEnd as a non-streaming call does, tool calls
// included, and OnCallStart knows the server before the first attempt.
func TestHooksSeeStreamedResponse(t *testing.T) {
	srv := testServer(t)
	srv.Enqueue(vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}})
	var rec streamRecorder
	var starts []vllm.CallInfo
	h := rec.hooks()
	h.OnCallStart = func(ctx context.Context, call *vllm.CallInfo) context.Context {
		starts = append(starts, *call)
		return ctx
	}
	c := newClient(t, srv.URL, vllm.WithHooks(h))
	defer c.Close()
	s := openChat(t, c)
	resp, err := s.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(starts) != 1 || starts[0].Endpoint != srv.URL {
		t.Fatalf("call starts %+v, want endpoint %s", starts, srv.URL)
	}
	if len(rec.ends) != 1 {
		t.Fatalf("%d call ends", len(rec.ends))
	}
	res := rec.ends[0]
	if res.ResponseID == "" || res.ResponseID != resp.ID || res.ResponseModel != "m" ||
		len(res.FinishReasons) != 1 || res.FinishReasons[0] != vllm.FinishToolCalls {
		t.Fatalf("stream result id %q model %q finish %v; response id %q", res.ResponseID, res.ResponseModel, res.FinishReasons, resp.ID)
	}

	// A stream closed early reports what it had read.
	srv.Enqueue(vllmtest.Reply{Content: "one two three four five six"})
	s, err = c.Chat.Stream(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	s.Next()
	s.Close()
	if len(rec.ends) != 2 {
		t.Fatalf("%d call ends", len(rec.ends))
	}
	if res := rec.ends[1]; !errors.Is(res.Err, vllm.ErrStreamClosed) || res.ResponseModel != "m" || res.ResponseID == "" || len(res.FinishReasons) != 0 {
		t.Fatalf("closed stream result %+v", res)
	}
}

// TestHooksSeeResponsesUsage: the Responses API counts input_tokens and
// output_tokens; hooks see them as the prompt and completion tokens, for a
// response and for a stream.
func TestHooksSeeResponsesUsage(t *testing.T) {
	srv := testServer(t)
	c, rec := recordingClient(t, srv)
	r, err := c.Responses.Create(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	final, err := s.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.ends) != 2 {
		t.Fatalf("%d call ends", len(rec.ends))
	}
	for i, u := range []*vllm.ResponseUsage{r.Usage, final.Usage} {
		res := rec.ends[i]
		if u == nil || u.InputTokens == 0 || u.OutputTokens == 0 {
			t.Fatalf("call %d: the server sent usage %+v", i, u)
		}
		if res.Err != nil || res.Usage == nil || res.Usage.PromptTokens != u.InputTokens || res.Usage.CompletionTokens != u.OutputTokens ||
			res.ResponseModel != "m" || res.ResponseID == "" {
			t.Fatalf("call %d: result %+v usage %+v, want %+v", i, res, res.Usage, u)
		}
	}
	if rec.ends[0].ResponseID != r.ID || rec.ends[1].ResponseID != final.ID {
		t.Fatalf("ids %q %q, want %q %q", rec.ends[0].ResponseID, rec.ends[1].ResponseID, r.ID, final.ID)
	}
}

// TestResponseStreamClosedConcurrently: a Responses stream closed from
// another goroutine while it is read ends its call once, as closed early,
// with the response id and model read so far.
func TestResponseStreamClosedConcurrently(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithTokens(400))
	defer srv.Close()
	c, rec := recordingClient(t, srv)
	s, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; s.Next(); n++ {
			if n == 0 {
				close(first)
			}
		}
	}()
	<-first
	s.Close() // while the reader goroutine is reading
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.ends) != 1 {
		t.Fatalf("%d call ends", len(rec.ends))
	}
	if res := rec.ends[0]; res.Err != nil && !errors.Is(res.Err, vllm.ErrStreamClosed) || res.ResponseModel != "m" || res.ResponseID == "" {
		t.Fatalf("result %+v", res)
	}
}

// Every event a hook sees names the model the stream's chunks name (vLLM's
// served model name), for chat, completion and Responses streams alike.
func TestStreamProgressNamesTheModel(t *testing.T) {
	checkModels := func(t *testing.T, rec *streamRecorder, want string) {
		t.Helper()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.progress) < 2 {
			t.Fatalf("%d events", len(rec.progress))
		}
		for i, p := range rec.progress {
			if p.Model != want {
				t.Fatalf("event %d: model %q, want %q", i, p.Model, want)
			}
		}
	}
	t.Run("chat and completion", func(t *testing.T) {
		parallelBubble(t, func(t *testing.T) {
			srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("served-x"))
			defer srv.Close()
			c, rec := recordingClient(t, srv)
			s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "served-x", Messages: []vllm.Message{vllm.User("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Collect(); err != nil {
				t.Fatal(err)
			}
			checkModels(t, rec, "served-x")

			c2, rec2 := recordingClient(t, srv)
			ps, err := c2.Completions.Stream(context.Background(), &vllm.CompletionRequest{Model: "served-x", Prompt: vllm.PromptText("go")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Collect(); err != nil {
				t.Fatal(err)
			}
			checkModels(t, rec2, "served-x")
		})
	})
	t.Run("responses", func(t *testing.T) {
		s := vllm.NewMemServer(t, reply{ContentType: "text/event-stream; charset=utf-8", Body: textStream})
		rec := new(streamRecorder)
		c := s.Client(t, vllm.WithHooks(rec.hooks()))
		st, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Model: "m", Input: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Collect(); err != nil {
			t.Fatal(err)
		}
		checkModels(t, rec, "m")
	})
}
