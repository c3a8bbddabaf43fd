package vllm

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestAPIErrorBodies(t *testing.T) {
	longHTML := "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>" +
		strings.Repeat("<!-- padding to exceed the snippet -->", 20) + "<hr><center>nginx</center></body></html>"
	for _, tc := range []struct {
		name                 string
		status               int
		body                 string
		msg, typ, param, cod string
	}{
		{"nested (current vLLM)", 404, `{"error":{"message":"The model ` + "`nope`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`,
			"The model `nope` does not exist.", "NotFoundError", "model", "404"},
		{"flat (older vLLM)", 400, `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`,
			"This model's maximum context length is 4096 tokens.", "BadRequestError", "", "400"},
		{"simulator 429 fixture", 429, fixture(t, "llmd-sim-error-429.json"),
			"Simulated error triggered by X-Return-Error header (code 429)", "RateLimitError", "", "429"},
		{"simulator 404 fixture", 404, fixture(t, "llmd-sim-error-404-model.json"),
			"The model `nope` does not exist.", "NotFoundError", "", "404"},
		{"FastAPI detail string", 404, `{"detail":"Not Found"}`, "Not Found", "", "", ""},
		{"FastAPI validation list", 422, `{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{}},{"type":"float_type","loc":["body","temperature"],"msg":"Input should be a valid number"}]}`,
			"body.messages: Field required; body.temperature: Input should be a valid number", "", "", ""},
		{"string error (proxies)", 401, `{"error":"Unauthorized"}`, "Unauthorized", "", "", ""},
		{"string code", 401, `{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			"bad key", "invalid_request_error", "", "invalid_api_key"},
		{"HTML proxy page", 502, longHTML, snippet([]byte(longHTML)), "", "", ""},
		{"plain text", 503, "upstream connect error or disconnect/reset before headers", "upstream connect error or disconnect/reset before headers", "", "", ""},
		{"empty body", 500, "", "Internal Server Error", "", "", ""},
		{"JSON without error fields", 500, `{"status":"bad"}`, `{"status":"bad"}`, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := fixedReply{Status: tc.status, Header: http.Header{"X-Request-Id": {"req-abc"}, "Retry-After": {"3"}}, Body: tc.body}
			if !strings.HasPrefix(tc.body, "{") {
				rep.ContentType = "text/html"
			}
			ws := newMemServer(t, rep)
			_, err := ws.Client(t).Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T %v", err, err)
			}
			if ae.StatusCode != tc.status || ae.Message != tc.msg || ae.Type != tc.typ || ae.Param != tc.param || ae.Code != tc.cod {
				t.Fatalf("got status %d message %q type %q param %q code %q", ae.StatusCode, ae.Message, ae.Type, ae.Param, ae.Code)
			}
			if string(ae.Body) != tc.body || ae.RequestID != "req-abc" || ae.RetryAfter != "3" {
				t.Fatalf("body %q request id %q retry-after %q", ae.Body, ae.RequestID, ae.RetryAfter)
			}
			if len(ae.Message) > messageLen+len("…") {
				t.Fatalf("message not bounded: %d bytes", len(ae.Message))
			}
		})
	}
}

func TestAPIErrorMessageAndSentinels(t *testing.T) {
	e := &APIError{StatusCode: 404, Message: "The model `x` does not exist.", Type: "NotFoundError", Param: "model", RequestID: "r1"}
	if got, want := e.Error(), "vllm: HTTP 404 Not Found (NotFoundError): The model `x` does not exist. [param model] [request r1]"; got != want {
		t.Fatalf("Error()\n got %s\nwant %s", got, want)
	}
	wrapped := fmt.Errorf("calling: %w", e)
	if !errors.Is(wrapped, ErrModelNotFound) || errors.Is(wrapped, ErrUnauthorized) || errors.Is(wrapped, ErrRateLimited) {
		t.Fatal("404 model sentinels")
	}
	if errors.Is(&APIError{StatusCode: 404, Message: "Not Found"}, ErrModelNotFound) {
		t.Fatal("a 404 of an unknown route is not a missing model")
	}
	for _, s := range []int{401, 403} {
		if !errors.Is(&APIError{StatusCode: s}, ErrUnauthorized) {
			t.Fatalf("%d is not ErrUnauthorized", s)
		}
	}
	if !errors.Is(&APIError{StatusCode: 429}, ErrRateLimited) {
		t.Fatal("429 is not ErrRateLimited")
	}
	if got := (&APIError{StatusCode: 599}).Error(); got != "vllm: HTTP 599" {
		t.Fatalf("unknown status: %q", got)
	}
}

func TestAPIErrorBodyBounded(t *testing.T) {
	big := `{"error":{"message":"` + strings.Repeat("x", 100<<10) + `"}}`
	ws := newMemServer(t, fixedReply{Status: 400, Body: big})
	_, err := ws.Client(t).Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}})
	var ae *APIError
	if !errors.As(err, &ae) || len(ae.Body) != maxErrorBody {
		t.Fatalf("body of %d bytes kept: %v", len(ae.Body), err)
	}
	if len(ae.Message) > snippetLen+len("…") {
		t.Fatalf("message of %d bytes", len(ae.Message))
	}
	// A long message in a complete JSON body is kept up to messageLen.
	ws = newMemServer(t, fixedReply{Status: 400, Body: `{"error":{"message":"` + strings.Repeat("y", 10000) + `","type":"BadRequestError","code":400}}`})
	_, err = ws.Client(t).Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}})
	if !errors.As(err, &ae) || len(ae.Message) != messageLen+len("…") || ae.Type != "BadRequestError" {
		t.Fatalf("long message: %d bytes, type %q", len(ae.Message), ae.Type)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsRetryable(t *testing.T) {
	transport := func(err error) error {
		return &TransportError{Op: "send", Method: "POST", URL: "http://h/v1/x", Err: err}
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"408", &APIError{StatusCode: 408}, true},
		{"429", &APIError{StatusCode: 429}, true},
		{"500", &APIError{StatusCode: 500}, true},
		{"502", &APIError{StatusCode: 502}, true},
		{"503", &APIError{StatusCode: 503}, true},
		{"504", &APIError{StatusCode: 504}, true},
		{"400", &APIError{StatusCode: 400}, false},
		{"401", &APIError{StatusCode: 401}, false},
		{"403", &APIError{StatusCode: 403}, false},
		{"404", &APIError{StatusCode: 404}, false},
		{"422", &APIError{StatusCode: 422}, false},
		{"wrapped 503", fmt.Errorf("x: %w", &APIError{StatusCode: 503}), true},
		{"param error", missing("model"), false},
		{"decode error", newDecodeError("x", []byte("<html>"), errors.New("bad")), false},
		{"connection reset", transport(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), true},
		{"connection refused", transport(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), true},
		{"EOF before response", transport(io.EOF), true},
		{"client timeout", transport(fmt.Errorf("%w: no response within 1s", ErrTimeout)), true},
		{"caller deadline", transport(context.DeadlineExceeded), true},
		{"network timeout", transport(timeoutErr{}), true},
		{"caller cancel", transport(context.Canceled), false},
		{"bare ECONNRESET", syscall.ECONNRESET, true},
		{"bad certificate", transport(&tlsVerifyErr{}), false},
		{"unknown authority", transport(&url.Error{Op: "Post", URL: "u", Err: x509.UnknownAuthorityError{}}), false},
		{"hostname mismatch", transport(x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}), false},
		{"other error", errors.New("boom"), false},
		{"stream transport", &StreamError{Kind: KindTransport, Err: io.ErrUnexpectedEOF}, true},
		{"stream idle", &StreamError{Kind: KindIdleTimeout, Err: ErrTimeout}, true},
		{"stream EOF", &StreamError{Kind: KindUnexpectedEOF}, true},
		{"stream malformed", &StreamError{Kind: KindMalformed}, false},
		{"stream too large", &StreamError{Kind: KindTooLarge}, false},
		{"stream error event 503", &StreamError{Kind: KindErrorEvent, API: &APIError{StatusCode: 503}}, true},
		{"stream error event 400", &StreamError{Kind: KindErrorEvent, API: &APIError{StatusCode: 400}}, false},
		// A stream that delivered events cannot be sent again without
		// repeating them.
		{"stream transport after an event", &StreamError{Kind: KindTransport, Events: 1, Err: io.ErrUnexpectedEOF}, false},
		{"stream idle after events", &StreamError{Kind: KindIdleTimeout, Events: 3, Err: ErrTimeout}, false},
		{"stream EOF after an event", &StreamError{Kind: KindUnexpectedEOF, Events: 1}, false},
		{"stream error event 503 after an event", &StreamError{Kind: KindErrorEvent, Events: 1, API: &APIError{StatusCode: 503}}, false},
		{"response too large", &ResponseTooLargeError{Limit: 10, ContentLength: 20}, false},
		{"HTTPS to a plain-HTTP server", transport(http.ErrSchemeMismatch), false},
	} {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// tlsVerifyErr stands for *tls.CertificateVerificationError, which wraps an
// x509 error.
type tlsVerifyErr struct{}

func (*tlsVerifyErr) Error() string { return "tls: failed to verify certificate" }
func (*tlsVerifyErr) Unwrap() error {
	return x509.CertificateInvalidError{Reason: x509.Expired}
}

func TestErrorKindsMatchSentinels(t *testing.T) {
	te := &TransportError{Op: "send", Method: "POST", URL: "u", Err: fmt.Errorf("%w: x", ErrTimeout)}
	if !errors.Is(te, ErrTimeout) {
		t.Fatal("transport timeout")
	}
	if errors.Is(&TransportError{Err: io.EOF}, ErrTimeout) {
		t.Fatal("EOF is not a timeout")
	}
	de := newDecodeError("chat completion response", []byte(`{"id": oops}`), fmt.Errorf("x"))
	if !errors.Is(de, ErrInvalidResponse) {
		t.Fatal("decode error sentinel")
	}
	if pe := missing("model"); !isParamError(pe, true) || IsRetryable(pe) {
		t.Fatal("missing param")
	}
	if pe := invalid("top_p", "bad"); !isParamError(pe, false) || isParamError(pe, true) {
		t.Fatal("invalid is not missing")
	}
	se := &StreamError{Kind: KindErrorEvent, API: &APIError{StatusCode: 429, Message: "slow down"}, Events: 3}
	var ae *APIError
	if !errors.As(se, &ae) || !errors.Is(se, ErrRateLimited) || errors.Is(se, ErrTimeout) {
		t.Fatal("stream error event sentinels")
	}
	if got := se.Error(); got != "vllm: stream failed after 3 events: error event: HTTP 429 Too Many Requests: slow down" {
		t.Fatalf("stream error text %q", got)
	}
	idle := &StreamError{Kind: KindIdleTimeout, Err: ErrTimeout}
	if !errors.Is(idle, ErrTimeout) {
		t.Fatal("idle timeout sentinels")
	}
	if StreamErrorKind(99).String() != "stream error 99" || KindTooLarge.String() != "event too large" {
		t.Fatal("kind names")
	}
}

func TestDecodeErrorOnBadBodies(t *testing.T) {
	html := "<html><body>Welcome to the proxy login page</body></html>"
	for _, tc := range []struct {
		body, contains string
	}{
		{html, "Welcome to the proxy"},
		{`{"id":"x","choices":[{"index":0,"message":{"role":"assist`, "unexpected end of JSON input"},
		{`{"id":"x","choices":"not a list"}`, "at byte"},
	} {
		ws := newMemServer(t, fixedReply{Body: tc.body})
		_, err := ws.Client(t).Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}})
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrInvalidResponse) || IsRetryable(err) {
			t.Fatalf("%q: err %T %v", tc.body, err, err)
		}
		if !strings.Contains(err.Error(), tc.contains) || de.What != "chat completion response" {
			t.Fatalf("%q: %v", tc.body, err)
		}
	}
}

// TestTransportConnectionRefused: a refused connection on the real network
// is a retryable *TransportError that says where it went, once, and no more.
// (It needs no clock: the refusal is immediate.)
func TestTransportConnectionRefused(t *testing.T) {
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	noGoroutineLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, _ := New("http://"+addr+"/v1", WithAPIKey("sk-very-secret"))
	_, err = c.Chat.Create(context.Background(), req)
	var te *TransportError
	if !errors.As(err, &te) || !IsRetryable(err) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err %T %v", err, err)
	}
	if strings.Contains(err.Error(), "sk-very-secret") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error text %q", err)
	}
	// Method and URL are said once: the *url.Error wrapper, which
	// repeats them as `Post "http://…"`, is dropped.
	want := "vllm: send POST http://" + addr + "/v1/chat/completions: dial tcp " + addr + ": connect: connection refused"
	if err.Error() != want {
		t.Fatalf("error text\n got %q\nwant %q", err, want)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Fatalf("*url.Error kept in the chain: %v", ue)
	}
}

// holdResponse is a handler that answers nothing until the client goes away:
// before the headers, or, with partial, after the headers and the first
// bytes of the body.
func holdResponse(partial bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			w.Write([]byte(`{"id":`))
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}
}

// TestTransportFailures exercises connection failures and timeouts end to
// end, on simulated time.
func TestTransportFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}

	t.Run("connection closed before response", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			})).Client(t)
			_, err := c.Chat.Create(ctx, req)
			var te *TransportError
			if !errors.As(err, &te) || !IsRetryable(err) || te.Op != "send" {
				t.Fatalf("err %T %v", err, err)
			}
		})
	})

	// The timeouts: the server holds its response (with partial, after the
	// headers and part of the body); the call gives up after after, with an
	// error that ok accepts: exactly after for a timeout of the call's own,
	// at most 1/deadlineWindows later for the client's (the calls with a
	// context that can never be canceled share a window's deadline).
	timeouts := []struct {
		name                 string
		partial              bool
		clientOpts, callOpts []Option
		after                time.Duration
		ok                   func(err error, te *TransportError) bool
	}{
		{"client timeout waiting for headers", false, []Option{WithTimeout(50 * time.Millisecond)}, nil, 50 * time.Millisecond,
			func(err error, te *TransportError) bool {
				return te != nil && errors.Is(err, ErrTimeout) && IsRetryable(err) && strings.Contains(err.Error(), "no response within 50ms")
			}},
		{"per-request timeout overrides the client's", false, []Option{WithTimeout(time.Hour)}, []Option{WithTimeout(30 * time.Millisecond)}, 30 * time.Millisecond,
			func(err error, _ *TransportError) bool { return errors.Is(err, ErrTimeout) }},
		{"timeout while reading the body", true, []Option{WithTimeout(80 * time.Millisecond)}, nil, 80 * time.Millisecond,
			func(err error, te *TransportError) bool {
				return te != nil && te.Op == "read response" && errors.Is(err, ErrTimeout)
			}},
	}
	for _, tc := range timeouts {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newMemServer(t, holdResponse(tc.partial)).Client(t, tc.clientOpts...)
				start := time.Now()
				_, err := c.Chat.Create(ctx, req, tc.callOpts...)
				var te *TransportError
				errors.As(err, &te) // te stays nil unless err is a *TransportError
				latest := tc.after
				if tc.callOpts == nil {
					latest += tc.after / deadlineWindows
				}
				if d := time.Since(start); !tc.ok(err, te) || d < tc.after || d > latest {
					t.Fatalf("err %T %v after %v, want %v to %v", err, err, d, tc.after, latest)
				}
			})
		})
	}

	t.Run("caller cancels", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newMemServer(t, holdResponse(false)).Client(t)
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := c.Chat.Create(cctx, req)
			if !errors.Is(err, context.Canceled) || IsRetryable(err) || errors.Is(err, ErrTimeout) {
				t.Fatalf("err %v", err)
			}
		})
	})

	t.Run("caller deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newMemServer(t, holdResponse(false)).Client(t)
			dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			_, err := c.Chat.Create(dctx, req)
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// TestErrorResponseKeepsConnection: a large error body is drained, so the
// next request reuses the connection.
func TestErrorResponseKeepsConnection(t *testing.T) {
	ws := newMemServer(t, fixedReply{Status: 500, Body: `{"error":{"message":"` + strings.Repeat("z", 100<<10) + `"}}`})
	c := ws.Client(t)
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	for i := 0; i < 3; i++ {
		if _, err := c.Chat.Create(context.Background(), req); err == nil {
			t.Fatal("no error")
		}
	}
	ws.Handle(fixedReply{Body: minimalChat})
	if _, err := c.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if n := ws.Connections(); n != 1 {
		t.Fatalf("%d connections for 4 sequential requests", n)
	}
}

// isParamError reports a *ParamError; with missing, one for a required field
// left empty.
func isParamError(err error, missing bool) bool {
	var pe *ParamError
	return errors.As(err, &pe) && (!missing || pe.Missing)
}
