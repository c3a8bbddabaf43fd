package vllm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// streamErr reads s to its end and returns its events' texts and error.
func drainStream(t *testing.T, s *ChatStream) (string, error) {
	t.Helper()
	var text strings.Builder
	for ev, err := range s.Events() {
		if err != nil {
			if ev.Type != 0 {
				t.Errorf("error yielded with an event: %+v", ev)
			}
			return text.String(), err
		}
		text.WriteString(ev.Text)
	}
	return text.String(), nil
}

func openChat(t *testing.T, c *Client, opts ...Option) *ChatStream {
	t.Helper()
	s, err := c.Chat.Stream(context.Background(), chatReq(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStreamErrorEvent(t *testing.T) {
	tests := []struct {
		name, payload string
		status        int
		typ, msg      string
	}{
		// Current vLLM: json.dumps of ErrorResponse(error=ErrorInfo(…)).
		{"nested", `{"error": {"message": "Internal server error", "type": "InternalServerError", "param": null, "code": 500}}`, 500, "InternalServerError", "Internal server error"},
		// Older vLLM: the flat ErrorResponse inside "error".
		{"nested with object", `{"error": {"object": "error", "message": "context too long \u2014 trimmed", "type": "BadRequestError", "param": null, "code": 400}}`, 400, "BadRequestError", "context too long — trimmed"},
		// A flat error object at the top level.
		{"flat", `{"object":"error","message":"boom","type":"BadRequestError","param":"n","code":400}`, 400, "BadRequestError", "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeaks(t)
			c := newMemServer(t, sseHandler(func(s *sseResponse) {
				s.data(vllmChunk(contentChoice(0, "partial ")))
				s.data(tt.payload)
				s.data("[DONE]")
			})).Client(t)
			st := openChat(t, c)
			text, err := drainStream(t, st)
			var se *StreamError
			if !errors.As(err, &se) || se.Kind != KindErrorEvent || se.API == nil {
				t.Fatalf("err = %#v", err)
			}
			if se.API.StatusCode != tt.status || se.API.Type != tt.typ || se.API.Message != tt.msg || se.Events != 1 {
				t.Fatalf("api error %+v, events %d", se.API, se.Events)
			}
			var ae *APIError
			if !errors.As(err, &ae) || text != "partial " {
				t.Fatalf("errors.As APIError %v, text %q", ae, text)
			}
			if r, cerr := st.Collect(); r.Text() != "partial " || cerr != err {
				t.Fatalf("accumulated %q, Collect error %v", r.Text(), cerr)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestStreamErrorEventType(t *testing.T) {
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		startSSE(w).raw("event: error\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"ServiceUnavailableError\",\"code\":503}}\n\n")
	})).Client(t)
	_, err := drainStream(t, openChat(t, c))
	var se *StreamError
	if !errors.As(err, &se) || se.Kind != KindErrorEvent || se.API.StatusCode != 503 || !IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestStreamEOFWithoutDone(t *testing.T) {
	noGoroutineLeaks(t)
	c := newMemServer(t, sseHandler(func(s *sseResponse) {
		s.data(vllmChunk(contentChoice(0, "Hello")))
		s.data(vllmChunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop","stop_reason":null}`))
	})).Client(t)
	st := openChat(t, c)
	text, err := drainStream(t, st)
	var se *StreamError
	if !errors.As(err, &se) || se.Kind != KindUnexpectedEOF || !errors.Is(err, io.ErrUnexpectedEOF) || se.Events != 2 {
		t.Fatalf("err = %#v", err)
	}
	if text != "Hello" {
		t.Fatalf("text %q", text)
	}
	r, err := st.Collect()
	if err == nil || r.Text() != "Hello" || r.FinishReason() != "stop" {
		t.Fatal("Collect after a failure must keep failing and return what was accumulated")
	}
}

// streamDecodeError reads a chat stream that send writes to the end: it must
// fail with a StreamError of kind wrapping a *DecodeError, which it returns
// with the error.
func streamDecodeError(t *testing.T, kind StreamErrorKind, send func(s *sseResponse)) (*DecodeError, error) {
	t.Helper()
	c := newMemServer(t, sseHandler(send)).Client(t)
	_, err := drainStream(t, openChat(t, c))
	var se *StreamError
	var de *DecodeError
	if !errors.As(err, &se) || se.Kind != kind || !errors.As(err, &de) {
		t.Fatalf("err = %#v", err)
	}
	return de, err
}

func TestStreamTruncatedPayload(t *testing.T) {
	// The connection ends in the middle of a JSON payload.
	de, err := streamDecodeError(t, KindUnexpectedEOF, func(s *sseResponse) {
		s.data(vllmChunk(contentChoice(0, "Hi")))
		s.raw(`data: {"id":"chatcmpl-abc","choices":[{"index":0,"delta":{"content":"wor`)
	})
	if de.Offset != 66 || !strings.HasSuffix(de.Snippet, `"content":"wor`) || !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("decode error %+v", de)
	}
}

func TestStreamMalformedPayload(t *testing.T) {
	long := strings.Repeat("x", 1000)
	de, err := streamDecodeError(t, KindMalformed, func(s *sseResponse) {
		s.data(vllmChunk(contentChoice(0, "Hi")))
		s.data(`{"id":"` + long + `","choices":[{"index":0,"delta":{"content":"a"} "finish_reason":null}]}`)
		s.data("[DONE]")
	})
	wantOff := int64(len(`{"id":"`+long+`","choices":[{"index":0,"delta":{"content":"a"}`) + 1)
	if de.Offset != wantOff || len(de.Snippet) > snippetLen+len("…") || !strings.HasPrefix(de.Snippet, "xxx") ||
		!strings.Contains(de.Snippet, `{"content":"a"} "finish_reason"`) {
		t.Fatalf("offset %d (want %d), snippet %q", de.Offset, wantOff, de.Snippet)
	}
	if !strings.Contains(err.Error(), "invalid character '\"' after object key:value pair") {
		t.Fatalf("message: %v", err)
	}
}

func TestStreamMalformedShapes(t *testing.T) {
	for _, payload := range []string{
		`[1,2]`,
		`{"choices":[{"index":-1,"delta":{}}]}`,
		`{"choices":[{"index":99999999,"delta":{}}]}`,
		`{"choices":[{"index":0,"delta":{"content":5}}]}`,
		`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":"0"}]}}]}`,
		`{"choices":[{"index":0,"logprobs":{"content":"x"}}]}`,
		`{"usage":{"prompt_tokens":"many"}}`,
		`{"choices":[]} trailing`,
		`"just a string"`,
	} {
		t.Run(payload, func(t *testing.T) {
			streamDecodeError(t, KindMalformed, func(s *sseResponse) {
				s.data(payload)
				s.data("[DONE]")
			})
		})
	}
}

func TestStreamHTTPErrorBeforeStream(t *testing.T) {
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"message":"The model ` + "`m`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`))
	})).Client(t)
	s, err := c.Chat.Stream(context.Background(), chatReq())
	var ae *APIError
	if s != nil || !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Type != "NotFoundError" || !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("stream %v, err %v", s, err)
	}
}

func TestStreamNotEventStream(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		api               bool
	}{
		{"json error", "application/json", `{"error":{"message":"stream not supported","type":"BadRequestError","code":400}}`, true},
		{"json completion", "application/json", fixtureText("llmd-sim-chat.json"), false},
		{"html", "text/html", "<html><body>Gateway login</body></html>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeaks(t)
			c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.Write([]byte(tt.body))
			})).Client(t)
			s, err := c.Chat.Stream(context.Background(), chatReq())
			if s != nil {
				t.Fatal("got a stream")
			}
			var ae *APIError
			var se *StreamError
			var de *DecodeError
			switch {
			case tt.api:
				if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Message != "stream not supported" { // the body's code
					t.Fatalf("err = %v", err)
				}
			default:
				if !errors.As(err, &se) || se.Kind != KindMalformed || !errors.As(err, &de) ||
					!strings.Contains(err.Error(), tt.ctype) || !strings.HasPrefix(de.Snippet, tt.body[:10]) {
					t.Fatalf("err = %v", err)
				}
			}
		})
	}
}

func fixtureText(name string) string {
	b, err := readFixture(name)
	if err != nil {
		panic(err)
	}
	return b
}

// hangAfterOne answers with a stream of one content event, "one", and then
// stays silent until the client goes away, as a hung server does.
var hangAfterOne = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s := startSSE(w)
	s.data(vllmChunk(contentChoice(0, "one")))
	<-r.Context().Done()
})

func TestStreamIdleTimeout(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		release := make(chan struct{})
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := startSSE(w)
			s.data(vllmChunk(contentChoice(0, "one")))
			select { // then stall, as a hung server does
			case <-release:
			case <-r.Context().Done():
			}
		})).Client(t, WithStreamIdleTimeout(time.Hour))
		defer close(release)

		// The per-request idle timeout overrides the client's.
		st := openChat(t, c, WithStreamIdleTimeout(80*time.Millisecond))
		start := time.Now()
		text, err := drainStream(t, st)
		var se *StreamError
		if !errors.As(err, &se) || se.Kind != KindIdleTimeout || !errors.Is(err, ErrTimeout) || text != "one" {
			t.Fatalf("err = %#v", err)
		}
		if d := time.Since(start); d != 80*time.Millisecond {
			t.Fatalf("idle timeout took %v", d)
		}
		// "one" reached the caller: sending again would repeat it.
		if IsRetryable(err) || !strings.Contains(err.Error(), "idle") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestStreamIdleTimeoutOnlyWhileWaiting checks that the idle clock does not
// run while the caller handles an event.
func TestStreamIdleTimeoutOnlyWhileWaiting(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, sseHandler(func(s *sseResponse) {
			for range 3 {
				s.data(vllmChunk(contentChoice(0, "x")))
			}
			s.data("[DONE]")
		})).Client(t, WithStreamIdleTimeout(60*time.Millisecond))
		st := openChat(t, c)
		start := time.Now()
		n := 0
		for _, err := range st.Events() {
			if err != nil {
				t.Fatal(err)
			}
			n++
			time.Sleep(120 * time.Millisecond) // a slow consumer
		}
		if n != 4 || time.Since(start) != 4*120*time.Millisecond {
			t.Fatalf("%d events in %v", n, time.Since(start))
		}
	})
}

// TestStreamNotCutByRequestTimeout: WithTimeout covers only the wait for
// the headers of a stream; a generation that keeps sending runs longer.
func TestStreamNotCutByRequestTimeout(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, sseHandler(func(s *sseResponse) {
			for range 12 {
				s.data(vllmChunk(contentChoice(0, "x")))
				time.Sleep(25 * time.Millisecond)
			}
			s.data("[DONE]")
		})).Client(t, WithTimeout(100*time.Millisecond), WithStreamIdleTimeout(time.Second))
		start := time.Now()
		text, err := drainStream(t, openChat(t, c))
		if err != nil || text != strings.Repeat("x", 12) {
			t.Fatalf("text %q, err %v", text, err)
		}
		if d := time.Since(start); d != 12*25*time.Millisecond {
			t.Fatalf("the stream took %v, want 300ms (3 times the request timeout)", d)
		}
	})
}

// TestStreamHeaderTimeout: the request timeout does apply to the headers.
func TestStreamHeaderTimeout(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})).Client(t, WithTimeout(50*time.Millisecond))
		start := time.Now()
		_, err := c.Chat.Stream(context.Background(), chatReq())
		if !errors.Is(err, ErrTimeout) || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestStreamContextCancelledMidEvent(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := startSSE(w)
			s.data(vllmChunk(contentChoice(0, "one")))
			s.raw(`data: {"id":"chatcmpl-abc","choi`) // half an event, then nothing
			<-r.Context().Done()
		})).Client(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		st, err := c.Chat.Stream(ctx, chatReq())
		if err != nil {
			t.Fatal(err)
		}
		var got error
		for ev, err := range st.Events() {
			if err != nil {
				got = err
				break
			}
			if ev.Type == EventContent {
				time.AfterFunc(30*time.Millisecond, cancel)
			}
		}
		var se *StreamError
		var te *TransportError
		if !errors.As(got, &se) || se.Kind != KindTransport || !errors.Is(got, context.Canceled) || !errors.As(got, &te) {
			t.Fatalf("err = %#v", got)
		}
		if IsRetryable(got) && errors.Is(got, ErrTimeout) {
			t.Fatalf("a cancellation is not a timeout: %v", got)
		}
		if d := time.Since(start); d != 30*time.Millisecond {
			t.Fatalf("the cancellation took effect after %v, want 30ms", d)
		}
	})
}

func TestStreamDeadlineMidStream(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, hangAfterOne).Client(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		st, err := c.Chat.Stream(ctx, chatReq())
		if err != nil {
			t.Fatal(err)
		}
		_, err = drainStream(t, st)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) || time.Since(start) != 100*time.Millisecond {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestStreamTooLarge(t *testing.T) {
	c := newMemServer(t, sseHandler(func(s *sseResponse) {
		s.data(vllmChunk(contentChoice(0, "small")))
		s.data(vllmChunk(contentChoice(0, strings.Repeat("y", 4096))))
		s.data("[DONE]")
	})).Client(t, WithMaxEventSize(1024))
	text, err := drainStream(t, openChat(t, c))
	var se *StreamError
	if !errors.As(err, &se) || se.Kind != KindTooLarge || text != "small" || !strings.Contains(err.Error(), "1024") {
		t.Fatalf("text %q err %v", text, err)
	}
	if _, err := New("http://x/v1", WithMaxEventSize(0)); !isParamError(err, false) {
		t.Fatalf("WithMaxEventSize(0): %v", err)
	}
	if _, err := New("http://x/v1", WithStreamIdleTimeout(-1)); !isParamError(err, false) {
		t.Fatalf("WithStreamIdleTimeout(-1): %v", err)
	}
}

// TestStreamBreakReleasesConnection: leaving the loop early closes the
// stream at once (the server sees the client go away), leaves no goroutine
// behind, and the client keeps working.
func TestStreamBreakReleasesConnection(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		gone := make(chan struct{})
		var once sync.Once
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Test") == "short" {
				s := startSSE(w)
				s.data(vllmChunk(contentChoice(0, "ok")))
				s.data("[DONE]")
				return
			}
			s := startSSE(w)
			for i := 0; ; i++ {
				select {
				case <-r.Context().Done():
					once.Do(func() { close(gone) })
					return
				default:
				}
				s.data(vllmChunk(contentChoice(0, "tok ")))
				time.Sleep(time.Millisecond)
			}
		}))
		c := srv.Client(t)
		st := openChat(t, c)
		n := 0
		for ev, err := range st.Events() {
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type == EventContent {
				n++
			}
			if n == 5 {
				break
			}
		}
		// The server notices at its next check, within its 1ms pause.
		left := time.Now()
		select {
		case <-gone:
		case <-time.After(time.Hour):
		}
		if d := time.Since(left); d > time.Millisecond {
			t.Fatalf("the server streamed on for %v after the loop was left", d)
		}
		if err := st.Err(); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("Err after break = %v", err)
		}
		if st.Next() {
			t.Fatal("Next after Close")
		}
		if err := st.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		// The client still works, and a stream read to its end leaves its
		// connection for the next request.
		before := srv.Connections()
		for range 3 {
			s2 := openChat(t, c, WithHeader("X-Test", "short"))
			if text, err := collectText(s2); err != nil || text != "ok" {
				t.Fatalf("after break: %q %v", text, err)
			}
		}
		if got := srv.Connections() - before; got != 1 {
			t.Fatalf("%d new connections for 3 sequential streams, want 1 (reuse)", got)
		}
	})
}

// TestStreamCloseFromAnotherGoroutine aborts a Next blocked on a silent
// server.
func TestStreamCloseFromAnotherGoroutine(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		c := newMemServer(t, hangAfterOne).Client(t, WithStreamIdleTimeout(0))
		st := openChat(t, c)
		if !st.Next() || st.Event().Text != "one" {
			t.Fatal("first event")
		}
		start := time.Now()
		time.AfterFunc(50*time.Millisecond, func() { st.Close() })
		if st.Next() {
			t.Fatal("Next returned an event")
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("Next returned after %v, want 50ms", d)
		}
		if !errors.Is(st.Err(), ErrStreamClosed) {
			t.Fatalf("Err = %v", st.Err())
		}
	})
}

func TestStreamRequestValidation(t *testing.T) {
	c, _ := New("http://127.0.0.1:1/v1")
	if _, err := c.Chat.Stream(context.Background(), nil); !isParamError(err, true) {
		t.Fatalf("nil request: %v", err)
	}
	if _, err := c.Chat.Stream(context.Background(), &ChatRequest{Messages: []Message{User("x")}}); !isParamError(err, true) {
		t.Fatalf("no model: %v", err)
	}
	if _, err := c.Completions.Stream(context.Background(), nil); !isParamError(err, true) {
		t.Fatalf("nil completion request: %v", err)
	}
}

// A response rejected because it is not an event stream must reach the
// hooks as the call's error, not as a success.
func TestStreamNotEventStreamHooksSeeError(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		completion        bool
	}{
		{"chat json error", "application/json", `{"error":{"message":"stream not supported","type":"BadRequestError","code":400}}`, false},
		{"chat html", "text/html", "<html><body>Gateway login</body></html>", false},
		{"completion html", "text/html", "<html><body>Gateway login</body></html>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var ends []error
			hooks := Hooks{OnCallEnd: func(_ context.Context, _ *CallInfo, res *CallResult) {
				mu.Lock()
				ends = append(ends, res.Err)
				mu.Unlock()
			}}
			c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.Write([]byte(tt.body))
			})).Client(t, WithHooks(hooks))
			var err error
			if tt.completion {
				_, err = c.Completions.Stream(context.Background(), &CompletionRequest{Model: "m", Prompt: PromptText("x")})
			} else {
				_, err = c.Chat.Stream(context.Background(), chatReq())
			}
			if err == nil {
				t.Fatal("no error")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ends) != 1 || ends[0] == nil || ends[0].Error() != err.Error() {
				t.Fatalf("OnCallEnd errors %v, call error %v", ends, err)
			}
		})
	}
}
