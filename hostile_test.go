package vllm_test

// Hostile input: response bodies nobody should send, fed to the decoders.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vllmgo/vllm"
)

// bodyTransport answers every request with status 200 and the given body,
// without a network.
type bodyTransport struct {
	body        []byte
	contentType string
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", b.contentType)
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(b.body)), ContentLength: int64(len(b.body)), Request: r,
	}, nil
}

// hostileSeeds are bodies every decoder must survive.
func hostileSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		nil,
		[]byte("{}"),
		[]byte("null"),
		[]byte(`{"choices":null}`),
		[]byte(`{"choices":[null]}`),
		[]byte(`{"choices":[{"message":null,"delta":null}]}`),
		[]byte(`{"choices":[{"message":{"content":"` + "\xff\xfe" + `"}}]}`),
		[]byte(`{"choices":[{"message":{"content":"\ud800"}}]}`),
		[]byte(`{"choices":[{"message":{"tool_calls":[{"function":{"arguments":{}}}]}}]}`),
		[]byte(`{"choices":[{"stop_reason":{"a":1}}]}`),
		[]byte(`{"usage":{"prompt_tokens":1e400}}`),
		[]byte(strings.Repeat("[", 100000)),
		[]byte("data: {\"choices\":[]}\n\ndata: [DONE]\n\n"),
		[]byte("\x00\x01\x02"),
	}
	for _, name := range []string{"llmd-sim-chat.json", "vllm-0.25.1-completion.json", "vllm-tool-call-stream.sse", "llmd-sim-tool-stream.sse"} {
		b := []byte(fixture(t, name))
		seeds = append(seeds, b, b[:len(b)/2])
	}
	return seeds
}

// decodeAll runs the non-streaming decoders on body. A failure must be a
// *DecodeError; a success must yield valid UTF-8 or report nothing.
func decodeAll(t *testing.T, body []byte) {
	for _, ct := range []string{"application/json", "text/event-stream"} {
		c, err := vllm.New("http://vllm.invalid/v1", vllm.WithHTTPClient(&http.Client{Transport: bodyTransport{body, ct}}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		resp, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
		checkDecodeOutcome(t, body, err)
		if err == nil {
			_ = resp.Text()
			_ = resp.Reasoning()
			for _, tc := range resp.ToolCalls() {
				_ = tc.DecodeArguments(new(map[string]any))
			}
		}
		cresp, err := c.Completions.Create(ctx, &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("x")})
		checkDecodeOutcome(t, body, err)
		if err == nil {
			_ = cresp.Text()
		}
	}
}

func checkDecodeOutcome(t *testing.T, body []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *vllm.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("body %q: error %T %v is not a *DecodeError", body, err, err)
	}
	if !utf8.ValidString(err.Error()) {
		t.Fatalf("error message is not valid UTF-8: %q", err.Error())
	}
}

// decodeStreams runs the stream decoders on body sent as an event stream. A
// failure must be a *StreamError; the accumulated response must be readable.
func decodeStreams(t *testing.T, body []byte) {
	c, err := vllm.New("http://vllm.invalid/v1", vllm.WithMaxEventSize(1<<16),
		vllm.WithHTTPClient(&http.Client{Transport: bodyTransport{body, "text/event-stream"}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		var se *vllm.StreamError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("body %q: stream error %T %v is not a *StreamError", body, err, err)
		}
		if err != nil && !utf8.ValidString(err.Error()) {
			t.Fatalf("error message is not valid UTF-8: %q", err.Error())
		}
	}
	cs, err := c.Chat.Stream(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	check(err)
	if err == nil {
		for ev, err := range cs.Events() {
			check(err)
			_ = ev.Text
		}
		if r, _ := cs.Collect(); r != nil {
			_ = r.Text()
		}
	}
	ps, err := c.Completions.Stream(ctx, &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("x")})
	check(err)
	if err == nil {
		_, err = ps.Collect()
		check(err)
		ps.Close()
	}
}

// FuzzResponseBody feeds arbitrary bytes as a response body to the
// decoders: they must return a result or a *DecodeError, never panic.
func FuzzResponseBody(f *testing.F) {
	for _, s := range hostileSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body)
		decodeStreams(t, body)
	})
}

// TestInvalidUTF8PassedThroughOrReported checks that invalid UTF-8 inside a
// JSON string never panics: encoding/json replaces it with U+FFFD.
func TestInvalidUTF8PassedThroughOrReported(t *testing.T) {
	body := []byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"ok ` + "\xff\xfe" + ` end"},"finish_reason":"stop"}]}`)
	c, _ := vllm.New("http://vllm.invalid/v1", vllm.WithHTTPClient(&http.Client{Transport: bodyTransport{body, "application/json"}}))
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "ok \uFFFD\uFFFD end" {
		t.Fatalf("content %q", resp.Text())
	}
	if !bytes.Equal(resp.Raw, body) {
		t.Fatal("raw body not kept byte for byte")
	}
}

// TestEndlessBodyCutByTimeout: a non-streaming body that never ends (a byte
// every few milliseconds) is cut by the request timeout, on time.
func TestEndlessBodyCutByTimeout(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"`)
			rc := http.NewResponseController(w)
			for {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(5 * time.Millisecond):
				}
				if _, err := io.WriteString(w, "x"); err != nil {
					return
				}
				_ = rc.Flush()
			}
		}))
		c := srv.Client(t, vllm.WithTimeout(150*time.Millisecond))
		start := time.Now()
		_, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
		var te *vllm.TransportError
		if !errors.As(err, &te) || !errors.Is(err, vllm.ErrTimeout) {
			t.Fatalf("want a timeout *TransportError, got %T %v", err, err)
		}
		// A call with a context that can never be canceled shares the
		// deadline of the calls that start in the same 1/256 of the timeout.
		if d := time.Since(start); d < 150*time.Millisecond || d > 150*time.Millisecond*257/256 {
			t.Fatalf("cut after %v, want 150ms to 150ms + 1/256", d)
		}
	})
}

// TestEndlessEventCutBySizeBound: a stream whose event never ends (bytes
// keep coming, no blank line) is cut by the event size bound, and fast.
func TestEndlessEventCutBySizeBound(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllm.NewMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"`)
		chunk := []byte(strings.Repeat("x", 4096))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	c := srv.Client(t, vllm.WithMaxEventSize(256<<10))
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = collectText(s)
	var se *vllm.StreamError
	if !errors.As(err, &se) || se.Kind != vllm.KindTooLarge {
		t.Fatalf("want KindTooLarge, got %T %v", err, err)
	}
}
