package vllm

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// finishChoice renders a choice whose delta has content and a finish reason:
// one chunk that yields two events.
func contentFinishChoice(text, reason string) string {
	return `{"index":0,"delta":{"content":` + jsonString(text) + `},"logprobs":null,"finish_reason":"` + reason + `"}`
}

// StreamError.Events is the number of events handed to the caller before
// the failure, whatever the number of payloads read.
func TestStreamErrorEventsCountsDeliveredEvents(t *testing.T) {
	tests := []struct {
		name string
		send func(s *sseResponse)
		kind StreamErrorKind
		want int
	}{
		{"error event first", func(s *sseResponse) {
			s.data(`{"error":{"message":"boom","type":"InternalServerError","param":null,"code":500}}`)
		}, KindErrorEvent, 0},
		{"typed error event first", func(s *sseResponse) {
			s.raw("event: error\ndata: {\"error\":{\"message\":\"boom\",\"code\":500}}\n\n")
		}, KindErrorEvent, 0},
		{"malformed after one event", func(s *sseResponse) {
			s.data(vllmChunk(contentChoice(0, "a")))
			s.data(`{"choices":[{"index":0,"delta":{"content":"b"`)
		}, KindMalformed, 1},
		{"cut after a chunk of two events", func(s *sseResponse) {
			s.data(vllmChunk(contentFinishChoice("a", "stop")))
		}, KindUnexpectedEOF, 2},
		{"role-only chunk delivers nothing", func(s *sseResponse) {
			s.data(vllmChunk(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`))
			s.data(`{"error":{"message":"boom","code":500}}`)
		}, KindErrorEvent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeaks(t)
			c := newMemServer(t, sseHandler(tt.send)).Client(t)
			st := openChat(t, c)
			delivered := 0
			for st.Next() {
				delivered++
			}
			var se *StreamError
			if !errors.As(st.Err(), &se) || se.Kind != tt.kind {
				t.Fatalf("err = %v", st.Err())
			}
			if delivered != tt.want || se.Events != tt.want {
				t.Fatalf("delivered %d events, StreamError.Events = %d, want %d", delivered, se.Events, tt.want)
			}
			st.Close()
		})
	}
}

// After the stream's context is cancelled, the next Next returns false and
// Err matches context.Canceled, even with events already received and
// buffered (or queued from one chunk).
func TestStreamStopsAtOnceWhenContextCancelled(t *testing.T) {
	var many strings.Builder
	for range 500 {
		many.WriteString("data: " + vllmChunk(contentChoice(0, "x")) + "\n\n")
	}
	tests := []struct {
		name string
		send func(s *sseResponse)
	}{
		{"buffered chunks", func(s *sseResponse) {
			s.raw(many.String())
			s.data("[DONE]")
		}},
		{"queued events of one chunk", func(s *sseResponse) {
			s.data(vllmChunk(contentFinishChoice("a", "stop")))
			s.data("[DONE]")
		}},
		{"queued done", func(s *sseResponse) {
			s.data(vllmChunk(contentChoice(0, "a")) + "\n\ndata: [DONE]")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeaks(t)
			c := newMemServer(t, sseHandler(tt.send)).Client(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := c.Chat.Stream(ctx, chatReq())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if !st.Next() {
				t.Fatalf("no first event: %v", st.Err())
			}
			cancel()
			if st.Next() {
				t.Fatalf("Next delivered %v after cancel", st.Event().Type)
			}
			if err := st.Err(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Err() = %v, want context.Canceled", err)
			}
			var se *StreamError
			if !errors.As(st.Err(), &se) || se.Events != 1 {
				t.Fatalf("Err() = %#v, want a StreamError after 1 event", st.Err())
			}
			if st.Next() {
				t.Fatal("Next true again")
			}
		})
	}
}

// The same for a completion stream.
func TestCompletionStreamStopsWhenContextCancelled(t *testing.T) {
	noGoroutineLeaks(t)
	chunk := `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"x","logprobs":null,"finish_reason":null}]}`
	c := newMemServer(t, sseHandler(func(s *sseResponse) {
		s.raw(strings.Repeat("data: "+chunk+"\n\n", 100))
		s.data("[DONE]")
	})).Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := c.Completions.Stream(ctx, &CompletionRequest{Model: "m", Prompt: PromptText("hi")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !st.Next() {
		t.Fatal(st.Err())
	}
	cancel()
	if st.Next() || !errors.Is(st.Err(), context.Canceled) {
		t.Fatalf("after cancel: Err() = %v", st.Err())
	}
}
