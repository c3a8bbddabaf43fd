package vllm_test

// The reliability suite: every fault vllmtest can inflict, against every kind
// of call, with the exact typed error (or success) each must produce, how
// long it takes, a goroutine-leak check and a check that the
// client's connection pool still works afterwards. Every cell runs in a
// testing/synctest bubble, so its duration is exact. docs/reliability.md lists
// the matrix and what each cell guarantees.

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// relWant is the content every scripted reply of the suite carries.
const relWant = "alpha beta gamma delta"

// relOp is one kind of call: it sends one request and returns the generated
// text.
type relOp struct {
	name   string
	stream bool
	run    func(ctx context.Context, c *vllm.Client) (string, error)
}

var relCreateOps = []relOp{
	{name: "chat-create", run: func(ctx context.Context, c *vllm.Client) (string, error) {
		resp, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("go")}})
		if err != nil {
			return "", err
		}
		return resp.Text(), nil
	}},
	{name: "completion-create", run: func(ctx context.Context, c *vllm.Client) (string, error) {
		resp, err := c.Completions.Create(ctx, &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("go")})
		if err != nil {
			return "", err
		}
		return resp.Text(), nil
	}},
}

// relCase is one row of the matrix: a fault, the client settings it runs
// with, and what the call must return.
type relCase struct {
	name  string
	fault vllmtest.Fault
	// timeout is the client's WithTimeout (default 5s).
	timeout time.Duration
	// took is how long the call takes (simulated time).
	took time.Duration
	// opts are extra client options for this cell.
	opts []vllm.Option
	// check verifies the outcome of the faulted call.
	check func(t *testing.T, content string, err error)
}

// relSuccess expects the scripted content.
func relSuccess(t *testing.T, content string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("want success, got %v", err)
	}
	if content != relWant {
		t.Fatalf("content %q, want %q", content, relWant)
	}
}

// relAPIError expects an *APIError with the given status and type.
func relAPIError(status int, typ, msg string, retryable bool) func(*testing.T, string, error) {
	return func(t *testing.T, _ string, err error) {
		t.Helper()
		var ae *vllm.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("want *APIError, got %T %v", err, err)
		}
		if ae.StatusCode != status || ae.Type != typ || !strings.Contains(ae.Message, msg) {
			t.Fatalf("APIError status %d type %q message %q; want %d %q %q", ae.StatusCode, ae.Type, ae.Message, status, typ, msg)
		}
		if vllm.IsRetryable(err) != retryable {
			t.Fatalf("IsRetryable = %v, want %v", !retryable, retryable)
		}
	}
}

// relTransport expects a *TransportError whose cause matches target (nil:
// any cause).
func relTransport(target error) func(*testing.T, string, error) {
	return func(t *testing.T, _ string, err error) {
		t.Helper()
		var te *vllm.TransportError
		if !errors.As(err, &te) {
			t.Fatalf("want *TransportError, got %T %v", err, err)
		}
		if target != nil && !errors.Is(err, target) {
			t.Fatalf("want errors.Is(err, %v), got %v", target, err)
		}
		if !vllm.IsRetryable(err) {
			t.Fatalf("transport failure %v should be retryable", err)
		}
	}
}

// relDecode expects a *DecodeError.
func relDecode(t *testing.T, _ string, err error) {
	t.Helper()
	var de *vllm.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("want *DecodeError, got %T %v", err, err)
	}
	if vllm.IsRetryable(err) {
		t.Fatalf("decode error should not be retryable: %v", err)
	}
}

// relCreateCases are the faults and their outcomes for non-streaming calls.
var relCreateCases = []relCase{
	// 4 words and the end of sequence: header delay, TTFT, 4 ITLs.
	{name: "timing", fault: vllmtest.Fault{HeaderDelay: 20 * time.Millisecond, TTFT: 20 * time.Millisecond, ITL: time.Millisecond},
		took: 44 * time.Millisecond, check: relSuccess},
	{name: "status-429", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 429, Message: "too many", RetryAfter: "1"},
		check: func(t *testing.T, c string, err error) {
			relAPIError(429, "Too Many Requests", "too many", true)(t, c, err)
			var ae *vllm.APIError
			errors.As(err, &ae)
			if ae.RetryAfter != "1" || !errors.Is(err, vllm.ErrRateLimited) {
				t.Fatalf("Retry-After %q, ErrRateLimited %v", ae.RetryAfter, errors.Is(err, vllm.ErrRateLimited))
			}
		}},
	{name: "status-500", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 500, Message: "engine died"},
		check: relAPIError(500, "InternalServerError", "engine died", true)},
	{name: "status-503", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "overloaded"},
		check: relAPIError(503, "Service Unavailable", "overloaded", true)},
	{name: "status-400-param", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 400, Message: "bad top_k", Param: "top_k"},
		check: func(t *testing.T, c string, err error) {
			relAPIError(400, "BadRequestError", "bad top_k", false)(t, c, err)
			var ae *vllm.APIError
			errors.As(err, &ae)
			if ae.Param != "top_k" || ae.Code != "400" {
				t.Fatalf("param %q code %q", ae.Param, ae.Code)
			}
		}},
	{name: "status-502-html", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 502, Body: []byte("<html><body>Bad Gateway</body></html>")},
		check: relAPIError(502, "", "Bad Gateway", true)},
	{name: "header-delay-timeout", fault: vllmtest.Fault{HeaderDelay: 30 * time.Second}, timeout: 100 * time.Millisecond,
		took: 100 * time.Millisecond, check: relTransport(vllm.ErrTimeout)},
	{name: "drop-before-headers", fault: vllmtest.Fault{Kind: vllmtest.FaultDrop},
		check: relTransport(nil)},
	{name: "drop-mid-body", fault: vllmtest.Fault{Kind: vllmtest.FaultDrop, Bytes: 20},
		check: relTransport(io.ErrUnexpectedEOF)},
	{name: "truncate", fault: vllmtest.Fault{Kind: vllmtest.FaultTruncate}, check: relDecode},
	{name: "garbage", fault: vllmtest.Fault{Kind: vllmtest.FaultGarbage}, check: relDecode},
	{name: "huge", fault: vllmtest.Fault{Kind: vllmtest.FaultHugeEvent, Bytes: 1 << 20},
		check: func(t *testing.T, content string, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Repeat("x", 1<<20) + relWant; content != want {
				t.Fatalf("content of %d bytes, want %d", len(content), len(want))
			}
		}},
	{name: "stall-timeout", fault: vllmtest.Fault{Kind: vllmtest.FaultStall, Bytes: 10, Duration: 30 * time.Second}, timeout: 100 * time.Millisecond,
		took: 100 * time.Millisecond, check: relTransport(vllm.ErrTimeout)},
	{name: "stall-survived", fault: vllmtest.Fault{Kind: vllmtest.FaultStall, Bytes: 10, Duration: 30 * time.Millisecond},
		took: 30 * time.Millisecond, check: relSuccess},
	{name: "reset", fault: vllmtest.Fault{Kind: vllmtest.FaultReset}, check: relTransport(syscall.ECONNRESET)},
	{name: "no-done", fault: vllmtest.Fault{Kind: vllmtest.FaultNoDone}, check: relSuccess},
	{name: "error-event", fault: vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, Status: 500, Message: "boom"},
		check: relAPIError(500, "InternalServerError", "boom", true)},
}

func TestReliabilityCreate(t *testing.T) { relMatrix(t, relCreateOps, relCreateCases) }

// relMatrix runs every case against every op, with extra client options:
// each cell is a subtest op/case, run by relRun in parallel in its own
// synctest bubble.
func relMatrix(t *testing.T, ops []relOp, cases []relCase, opts ...vllm.Option) {
	for _, op := range ops {
		for _, tc := range cases {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				parallelBubble(t, func(t *testing.T) { relRun(t, op, tc, opts...) })
			})
		}
	}
}

// relRun runs one cell of the matrix, with extra client options, in a
// synctest bubble (which checks that no goroutine is left behind).
func relRun(t *testing.T, op relOp, tc relCase, opts ...vllm.Option) {
	srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithHandler(func(*vllmtest.Request) *vllmtest.Reply {
		return &vllmtest.Reply{Content: relWant}
	}))
	defer srv.Close()
	timeout := tc.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	opts = append([]vllm.Option{vllm.WithHTTPClient(srv.Client()), vllm.WithTimeout(timeout), vllm.WithAPIKey("sk-reliability-secret")}, append(tc.opts, opts...)...)
	c, err := vllm.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	srv.Fail(tc.fault)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	content, err := op.run(ctx, c)
	elapsed := time.Since(start)
	tc.check(t, content, err)
	if elapsed != tc.took {
		t.Errorf("call took %v, want %v", elapsed, tc.took)
	}
	if err != nil && strings.Contains(err.Error(), "sk-reliability-secret") {
		t.Errorf("API key in error: %v", err)
	}

	// The pool is still usable: the next call on the same client succeeds.
	content, err = op.run(ctx, c)
	if err != nil || content != relWant {
		t.Fatalf("call after the fault: %q, %v", content, err)
	}
}

var relStreamOps = []relOp{
	{name: "chat-stream", stream: true, run: func(ctx context.Context, c *vllm.Client) (string, error) {
		s, err := c.Chat.Stream(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("go")}})
		if err != nil {
			return "", err
		}
		defer s.Close()
		return collectText(s)
	}},
	{name: "completion-stream", stream: true, run: func(ctx context.Context, c *vllm.Client) (string, error) {
		s, err := c.Completions.Stream(ctx, &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("go")})
		if err != nil {
			return "", err
		}
		defer s.Close()
		resp, err := s.Collect()
		return resp.Text(), err
	}},
}

// relStreamError expects a *StreamError of the given kind after some events.
func relStreamError(kind vllm.StreamErrorKind, target error) func(*testing.T, string, error) {
	return func(t *testing.T, _ string, err error) {
		t.Helper()
		var se *vllm.StreamError
		if !errors.As(err, &se) {
			t.Fatalf("want *StreamError, got %T %v", err, err)
		}
		if se.Kind != kind {
			t.Fatalf("kind %v, want %v: %v", se.Kind, kind, err)
		}
		if target != nil && !errors.Is(err, target) {
			t.Fatalf("want errors.Is(err, %v): %v", target, err)
		}
		// The fault strikes after two payloads (no-done: after all): for
		// chat the role chunk (no event) and one token, for completions
		// two tokens.
		if se.Events < 1 {
			t.Fatalf("failed after %d events delivered, the fault struck after 2 payloads: %v", se.Events, err)
		}
	}
}

// relStreamCases are the faults and their outcomes for streams. Faults that
// strike inside the body strike after two events (the role chunk and the
// first token for chat; two tokens for completions).
var relStreamCases = []relCase{
	// 4 words and the end of sequence: header delay, TTFT, 4 ITLs.
	{name: "timing", fault: vllmtest.Fault{HeaderDelay: 20 * time.Millisecond, TTFT: 20 * time.Millisecond, ITL: time.Millisecond},
		took: 44 * time.Millisecond, check: relSuccess},
	{name: "status-429", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 429, Message: "too many", RetryAfter: "1"},
		check: relAPIError(429, "Too Many Requests", "too many", true)},
	{name: "status-503", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "overloaded"},
		check: relAPIError(503, "Service Unavailable", "overloaded", true)},
	{name: "status-502-html", fault: vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 502, Body: []byte("<html><body>Bad Gateway</body></html>")},
		check: relAPIError(502, "", "Bad Gateway", true)},
	{name: "header-delay-timeout", fault: vllmtest.Fault{HeaderDelay: 30 * time.Second}, timeout: 100 * time.Millisecond,
		took: 100 * time.Millisecond, check: relTransport(vllm.ErrTimeout)},
	{name: "drop-before-headers", fault: vllmtest.Fault{Kind: vllmtest.FaultDrop, After: -1},
		check: relTransport(nil)},
	{name: "drop-after-events", fault: vllmtest.Fault{Kind: vllmtest.FaultDrop, After: 2},
		check: relStreamError(vllm.KindTransport, io.ErrUnexpectedEOF)},
	{name: "truncate", fault: vllmtest.Fault{Kind: vllmtest.FaultTruncate, After: 2},
		check: relStreamError(vllm.KindMalformed, vllm.ErrInvalidResponse)},
	{name: "no-done", fault: vllmtest.Fault{Kind: vllmtest.FaultNoDone},
		check: relStreamError(vllm.KindUnexpectedEOF, nil)},
	{name: "error-event", fault: vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 2, Status: 500, Message: "engine died"},
		check: func(t *testing.T, c string, err error) {
			relStreamError(vllm.KindErrorEvent, nil)(t, c, err)
			var ae *vllm.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.Message != "engine died" || ae.Type != "InternalServerError" {
				t.Fatalf("error event as %+v", ae)
			}
		}},
	{name: "garbage-ignored", fault: vllmtest.Fault{Kind: vllmtest.FaultGarbage, After: 2}, check: relSuccess},
	{name: "garbage-data", fault: vllmtest.Fault{Kind: vllmtest.FaultGarbage, After: 2, Data: []byte("data: <html>\xff</html>\n\n")},
		check: relStreamError(vllm.KindMalformed, nil)},
	{name: "huge-survived", fault: vllmtest.Fault{Kind: vllmtest.FaultHugeEvent, After: 2, Bytes: 1 << 20},
		check: func(t *testing.T, content string, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if len(content) != len(relWant)+1<<20 || strings.Count(content, "x") != 1<<20 {
				t.Fatalf("content of %d bytes", len(content))
			}
		}},
	{name: "stall-idle-timeout", fault: vllmtest.Fault{Kind: vllmtest.FaultStall, After: 2, Duration: 30 * time.Second},
		opts: []vllm.Option{vllm.WithStreamIdleTimeout(time.Second)}, took: time.Second,
		check: func(t *testing.T, c string, err error) {
			relStreamError(vllm.KindIdleTimeout, vllm.ErrTimeout)(t, c, err)
		}},
	{name: "stall-survived", fault: vllmtest.Fault{Kind: vllmtest.FaultStall, After: 2, Duration: 30 * time.Millisecond},
		took: 30 * time.Millisecond, check: relSuccess},
	{name: "reset-before-headers", fault: vllmtest.Fault{Kind: vllmtest.FaultReset, After: -1},
		check: relTransport(syscall.ECONNRESET)},
	{name: "reset", fault: vllmtest.Fault{Kind: vllmtest.FaultReset, After: 2},
		check: relStreamError(vllm.KindTransport, syscall.ECONNRESET)},
}

func TestReliabilityStream(t *testing.T) { relMatrix(t, relStreamOps, relStreamCases) }

// TestReliabilityStreamTooLarge: an event over the client's bound fails the
// stream with KindTooLarge, and the client goes on working.
func TestReliabilityStreamTooLarge(t *testing.T) {
	tc := relCase{name: "huge-too-large", fault: vllmtest.Fault{Kind: vllmtest.FaultHugeEvent, After: 2, Bytes: 1 << 20},
		check: relStreamError(vllm.KindTooLarge, nil)}
	relMatrix(t, relStreamOps, []relCase{tc}, vllm.WithMaxEventSize(64<<10))
}
