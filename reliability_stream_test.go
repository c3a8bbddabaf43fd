package vllm_test

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

func TestReliabilityStream(t *testing.T) {
	for _, op := range relStreamOps {
		for _, tc := range relStreamCases {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				parallelBubble(t, func(t *testing.T) { relRun(t, op, tc) })
			})
		}
	}
}

// TestReliabilityStreamTooLarge: an event over the client's bound fails the
// stream with KindTooLarge, and the client goes on working.
func TestReliabilityStreamTooLarge(t *testing.T) {
	tc := relCase{name: "huge-too-large", fault: vllmtest.Fault{Kind: vllmtest.FaultHugeEvent, After: 2, Bytes: 1 << 20},
		check: relStreamError(vllm.KindTooLarge, nil)}
	for _, op := range relStreamOps {
		t.Run(op.name, func(t *testing.T) {
			parallelBubble(t, func(t *testing.T) { relRun(t, op, tc, vllm.WithMaxEventSize(64<<10)) })
		})
	}
}
