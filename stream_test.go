package vllm

import (
	"os"
	"reflect"
	"testing"
)

// fixture returns the text of testdata/fixtures/name; an error fails t.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFixture(name string) (string, error) {
	b, err := os.ReadFile("testdata/fixtures/" + name)
	return string(b), err
}

func chatReq() *ChatRequest {
	return &ChatRequest{Model: "m", Messages: []Message{User("hi")}}
}

// evSummary is a comparable digest of an event.
type evSummary struct {
	Type      EventType
	Choice    int
	Text      string
	ToolIndex int
	Tool      ToolCall
	Finish    string
}

func collectEvents(t *testing.T, s *ChatStream) []evSummary {
	t.Helper()
	var out []evSummary
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatalf("stream failed after %d events: %v", len(out), err)
		}
		out = append(out, evSummary{ev.Type, ev.Choice, ev.Text, ev.ToolIndex, ev.ToolCall, ev.FinishReason})
	}
	return out
}

func TestStreamRealVLLMToolCallCapture(t *testing.T) {
	c := newMemServer(t, fixedReply{ContentType: "text/event-stream; charset=utf-8", Body: fixture(t, "vllm-tool-call-stream.sse")}).Client(t)
	s := openChat(t, c)
	id := "chatcmpl-tool-ca99dda515524c6abe47d1ea22813507"
	tc := func(args string) ToolCall {
		return ToolCall{ID: id, Type: "function", Name: "run_command", Arguments: args}
	}
	want := []evSummary{
		{Type: EventToolCallDelta, Tool: tc("")},
		{Type: EventToolCallDelta, Tool: tc(`{"command": "`)},
		{Type: EventToolCallDelta, Tool: tc("ls")},
		{Type: EventToolCallDelta, Tool: tc(`"}`)},
		{Type: EventToolCallDone, Tool: tc(`{"command": "ls"}`)},
		{Type: EventFinish, Finish: "tool_calls"},
		{Type: EventDone, Choice: -1},
	}
	if got := collectEvents(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %+v\nwant %+v", got, want)
	}
	r, err := s.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "chatcmpl-d0c68c86be0641129cffa5053c0c217e" || r.Created != 1744513664 || r.FinishReason() != "tool_calls" ||
		r.Text() != "" || r.Choices[0].StopReason != nil {
		t.Fatalf("response %+v", r)
	}
	if got := r.ToolCalls(); len(got) != 1 || got[0] != (ToolCall{ID: id, Type: "function", Name: "run_command", Arguments: `{"command": "ls"}`}) {
		t.Fatalf("tool calls %+v", got)
	}
	if m := r.AssistantMessage(); !m.contentNull {
		t.Fatal("content of a tool-call-only answer should be null, as vLLM sends it")
	}
}

func TestStreamSimulatorToolCallCapture(t *testing.T) {
	// llm-d-inference-sim repeats id and type in every delta and sends
	// "name": null after the first one.
	c := newMemServer(t, fixedReply{ContentType: "text/event-stream; charset=utf-8", Body: fixture(t, "llmd-sim-tool-stream.sse")}).Client(t)
	s := openChat(t, c)
	var done []ToolCall
	deltas := 0
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case EventToolCallDelta:
			deltas++
			if ev.ToolCall.Name != "get_weather" {
				t.Fatalf("delta %d lost the name: %+v", deltas, ev.ToolCall)
			}
		case EventToolCallDone:
			done = append(done, ev.ToolCall)
		}
	}
	want := []ToolCall{{ID: "chatcmpl-tool-7803576839", Type: "function", Name: "get_weather", Arguments: `{"city":"cloudy"}`}}
	if deltas != 9 || !reflect.DeepEqual(done, want) {
		t.Fatalf("%d deltas, done %+v", deltas, done)
	}
}

func TestStreamSimulatorUsageCapture(t *testing.T) {
	c := newMemServer(t, fixedReply{ContentType: "text/event-stream; charset=utf-8", Body: fixture(t, "llmd-sim-chat-stream-usage.sse")}).Client(t)
	s := openChat(t, c)
	r, err := s.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if r.Text() != "Hello there sim" || r.FinishReason() != "stop" || r.Model != "fake-model" ||
		r.Usage == nil || *r.Usage != (Usage{PromptTokens: 8, CompletionTokens: 3, TotalTokens: 11, PromptTokensDetails: r.Usage.PromptTokensDetails}) ||
		r.Usage.PromptTokensDetails == nil {
		t.Fatalf("response %+v usage %+v", r, r.Usage)
	}
}
