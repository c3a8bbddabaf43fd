package vllm_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
)

const responseToolJSON = `{"id":"resp_7","object":"response","created_at":1745000000,"model":"Qwen/Qwen3-8B","status":"completed","output":[{"id":"rs_1","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"The user wants the weather."}],"encrypted_content":null,"status":null},{"id":"fc_1","type":"function_call","call_id":"call_9f","name":"get_weather","arguments":"{\"city\": \"Paris\"}","status":"completed"}],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],"usage":{"input_tokens":40,"input_tokens_details":{"cached_tokens":16},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":70},"error":null,"incomplete_details":null}`

func TestResponsesCreateGolden(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: responseToolJSON})
	c := s.Client(t)
	tool, err := vllm.NewTool("get_weather", "Weather of a city", `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Responses.Create(ctxT(t), &vllm.ResponseRequest{
		Model:        "Qwen/Qwen3-8B",
		Instructions: "Be brief.",
		Input: []vllm.ResponseInputItem{
			vllm.ResponseMessage("user", "Weather in Paris?"),
			{Type: "function_call", CallID: "call_1", Name: "get_weather", Arguments: `{"city":"Rome"}`},
			vllm.FunctionCallOutput("call_1", `{"temp":20}`),
		},
		Tools:           []vllm.ResponseTool{vllm.ResponseFunctionTool(tool)},
		ToolChoice:      "auto",
		Reasoning:       &vllm.ResponseReasoning{Effort: "low"},
		MaxOutputTokens: vllm.Ptr(256),
		Temperature:     vllm.Ptr(0.0),
		Extra:           map[string]any{"top_k": 20},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"Qwen/Qwen3-8B","input":[{"type":"message","role":"user","content":"Weather in Paris?"},{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},{"type":"function_call_output","call_id":"call_1","output":"{\"temp\":20}"}],"instructions":"Be brief.","max_output_tokens":256,"temperature":0,"tools":[{"type":"function","name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],"tool_choice":"auto","reasoning":{"effort":"low"},"top_k":20}`
	if got := s.Last(t); got.Path != "/v1/responses" || string(got.Body) != want {
		t.Fatalf("sent %s\n got %s\nwant %s", got.Path, got.Body, want)
	}
	if resp.ReasoningText() != "The user wants the weather." || resp.Text() != "" || resp.Usage.OutputTokensDetails.ReasoningTokens != 12 ||
		resp.Usage.InputTokensDetails.CachedTokens != 16 || resp.Usage.TotalTokens != 70 {
		t.Fatalf("response %+v", resp)
	}
	calls := resp.FunctionCalls()
	var args struct{ City string }
	if len(calls) != 1 || calls[0].CallID != "call_9f" || calls[0].DecodeArguments(&args) != nil || args.City != "Paris" {
		t.Fatalf("calls %+v args %+v", calls, args)
	}
}

func TestResponsesSummaryReasoning(t *testing.T) {
	r := &vllm.Response{Output: []vllm.ResponseItem{{Type: "reasoning", Summary: []vllm.ResponseContent{{Type: "summary_text", Text: "short"}}}}}
	if r.ReasoningText() != "short" {
		t.Fatal(r.ReasoningText())
	}
}

func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		typ := e[len(`{"type":"`):]
		typ = typ[:strings.IndexByte(typ, '"')]
		b.WriteString("event: " + typ + "\ndata: " + e + "\n\n")
	}
	return b.String()
}

var textStream = sse(
	`{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1,"model":"m","status":"in_progress","output":[],"usage":null}}`,
	`{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","object":"response","created_at":1,"model":"m","status":"in_progress","output":[],"usage":null}}`,
	`{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","content":[],"status":"in_progress"}}`,
	`{"type":"response.content_part.added","sequence_number":3,"output_index":0,"item_id":"msg_1","content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}}`,
	`{"type":"response.output_text.delta","sequence_number":4,"content_index":0,"output_index":0,"item_id":"msg_1","delta":"Hel","logprobs":[]}`,
	`{"type":"response.output_text.delta","sequence_number":5,"content_index":0,"output_index":0,"item_id":"msg_1","delta":"lo!","logprobs":[]}`,
	`{"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello!","logprobs":[]}`,
	`{"type":"response.content_part.done","sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"Hello!","annotations":[]}}`,
	`{"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello!","annotations":[]}],"status":"completed"}}`,
	`{"type":"response.completed","sequence_number":9,"response":`+responseTextJSON+`}`,
)

func TestResponsesStreamText(t *testing.T) {
	s := vllm.NewMemServer(t, reply{ContentType: "text/event-stream; charset=utf-8", Body: textStream})
	c := s.Client(t)
	st, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Model: "m", Input: "Say hello"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Last(t); string(got.Body) != `{"model":"m","input":"Say hello","stream":true}` || got.Header.Get("Accept") != "text/event-stream" {
		t.Fatalf("sent %s (accept %q)", got.Body, got.Header.Get("Accept"))
	}
	text, err := collectResponseText(st)
	if err != nil || text != "Hello!" {
		t.Fatalf("text %q err %v", text, err)
	}
	if r, err := st.Collect(); err != nil || r.Text() != "Hello!" || r.Usage.TotalTokens != 8 {
		t.Fatalf("final %+v %v", r, err)
	}
}

var toolStream = sse(
	`{"type":"response.created","sequence_number":0,"response":{"id":"resp_7","object":"response","created_at":1,"model":"m","status":"in_progress","output":[],"usage":null}}`,
	`{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[],"status":"in_progress"}}`,
	`{"type":"response.content_part.added","sequence_number":2,"output_index":0,"item_id":"rs_1","content_index":0,"part":{"type":"reasoning_text","text":""}}`,
	`{"type":"response.reasoning_text.delta","sequence_number":3,"content_index":0,"output_index":0,"item_id":"rs_1","delta":"The user wants "}`,
	`{"type":"response.reasoning_text.delta","sequence_number":4,"content_index":0,"output_index":0,"item_id":"rs_1","delta":"the weather."}`,
	`{"type":"response.reasoning_text.done","item_id":"rs_1","sequence_number":5,"output_index":0,"content_index":0,"text":"The user wants the weather."}`,
	`{"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"The user wants the weather."}],"status":"completed"}}`,
	`{"type":"response.output_item.added","sequence_number":7,"output_index":1,"item":{"id":"fc_1","type":"function_call","call_id":"call_9f","name":"get_weather","arguments":"","status":"in_progress"}}`,
	`{"type":"response.function_call_arguments.delta","sequence_number":8,"item_id":"fc_1","output_index":1,"delta":"{\"city\": "}`,
	`{"type":"response.function_call_arguments.delta","sequence_number":9,"item_id":"fc_1","output_index":1,"delta":"\"Paris\"}"}`,
	`{"type":"response.function_call_arguments.done","sequence_number":10,"item_id":"fc_1","output_index":1,"arguments":"{\"city\": \"Paris\"}","name":"get_weather"}`,
	`{"type":"response.output_item.done","sequence_number":11,"output_index":1,"item":{"id":"fc_1","type":"function_call","call_id":"call_9f","name":"get_weather","arguments":"{\"city\": \"Paris\"}","status":"completed"}}`,
	`{"type":"response.completed","sequence_number":12,"response":`+responseToolJSON+`}`,
)

func TestResponsesStreamReasoningAndFunctionCall(t *testing.T) {
	c := vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: toolStream}).Client(t)
	st, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "Weather in Paris?"})
	if err != nil {
		t.Fatal(err)
	}
	var reasoning, args strings.Builder
	var doneArgs, callName string
	var seq []int
	for ev, err := range st.Events() {
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, ev.SequenceNumber)
		switch ev.Type {
		case "response.reasoning_text.delta":
			reasoning.WriteString(ev.Delta)
		case "response.function_call_arguments.delta":
			args.WriteString(ev.Delta)
		case "response.function_call_arguments.done":
			doneArgs = ev.Arguments
		case "response.output_item.added":
			if ev.Item.Type == "function_call" {
				callName = ev.Item.Name
			}
		}
	}
	if reasoning.String() != "The user wants the weather." || args.String() != `{"city": "Paris"}` || doneArgs != args.String() || callName != "get_weather" || len(seq) != 13 || seq[12] != 12 {
		t.Fatalf("reasoning %q args %q/%q name %q seq %v", reasoning.String(), args.String(), doneArgs, callName, seq)
	}
	if r, err := st.Collect(); err != nil || len(r.FunctionCalls()) != 1 {
		t.Fatalf("final %+v %v", r, err)
	}
}

func TestResponsesStreamFailures(t *testing.T) {
	var se *vllm.StreamError
	// Ends before response.completed.
	cut := textStream[:strings.Index(textStream, "event: response.completed")]
	c := vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: cut}).Client(t)
	st, _ := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "x"})
	if _, err := collectResponseText(st); !errors.As(err, &se) || se.Kind != vllm.KindUnexpectedEOF || se.Events != 9 {
		t.Fatalf("cut: %v", err)
	}
	// response.failed carries the error.
	failed := sse(`{"type":"response.created","sequence_number":0,"response":{"id":"r","object":"response","created_at":1,"model":"m","status":"in_progress","output":[]}}`,
		`{"type":"response.failed","sequence_number":1,"response":{"id":"r","object":"response","created_at":1,"model":"m","status":"failed","output":[],"error":{"code":"server_error","message":"engine died"}}}`)
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: failed}).Client(t)
	st, _ = c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "x"})
	if _, err := collectResponseText(st); !errors.As(err, &se) || se.Kind != vllm.KindErrorEvent || se.API.Message != "engine died" || se.API.Code != "server_error" {
		t.Fatalf("failed: %v", err)
	}
	// An error event.
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: "event: error\ndata: {\"type\":\"error\",\"sequence_number\":3,\"code\":\"400\",\"message\":\"bad input\",\"param\":null}\n\n"}).Client(t)
	st, _ = c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "x"})
	if _, err := collectResponseText(st); !errors.As(err, &se) || se.Kind != vllm.KindErrorEvent || se.API.Message != "bad input" || se.API.StatusCode != 400 {
		t.Fatalf("error event: %v", err)
	}
	// An HTTP error before the stream.
	c = vllm.NewMemServer(t, reply{Status: 400, Body: vllmError400}).Client(t)
	if _, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "x"}); err == nil {
		t.Fatal("no error")
	}
	if _, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{}); !errors.As(err, new(*vllm.ParamError)) {
		t.Fatalf("no input: %v", err)
	}
}

// TestResponsesStreamBreakNoLeak: leaving the loop early closes the stream;
// nothing is left running and the client still works.
func TestResponsesStreamBreakNoLeak(t *testing.T) {
	s := vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: textStream})
	c := s.Client(t)
	base := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		st, err := c.Responses.Stream(ctxT(t), &vllm.ResponseRequest{Input: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for ev, err := range st.Events() {
			if err != nil || ev.Type == "response.output_text.delta" {
				break
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if st.Next() {
			t.Fatal("Next after Close")
		}
	}
	s.Handle(reply{Body: responseTextJSON})
	if _, err := c.Responses.Create(ctxT(t), &vllm.ResponseRequest{Input: "x"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	vllm.CloseIdle(c) // the in-memory HTTP client is the test's: Close leaves it open
	vllm.WaitGoroutines(t, base)
}

// TestEventStreamsIdleTimeoutAndMaxSize: the audio and Responses streams
// honour the client's stream settings (idle timeout, maximum event size).
// The bubble is the leak check: synctest.Test fails if a stream's goroutine
// is still blocked when the test ends. (Counting the process's goroutines
// here would see other tests' goroutines, and the bubble's clock would run
// through any grace period at once.)
func TestEventStreamsIdleTimeoutAndMaxSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			if r.URL.Path == "/v1/responses" {
				io.WriteString(w, "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0}\n\n")
			} else {
				io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n")
			}
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		c := srv.Client(t, vllm.WithStreamIdleTimeout(time.Hour))
		start := time.Now()
		st, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Input: "x"}, vllm.WithStreamIdleTimeout(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		_, err = collectResponseText(st)
		var se *vllm.StreamError
		if !errors.As(err, &se) || se.Kind != vllm.KindIdleTimeout || !errors.Is(err, vllm.ErrTimeout) || se.Events != 1 {
			t.Fatalf("responses: %v", err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("responses: idle timeout after %v, want 50ms", d)
		}
		start = time.Now()
		as, err := c.Audio.TranscribeStream(context.Background(), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)}, vllm.WithStreamIdleTimeout(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		text, err := collectAudioText(as)
		if text != "hi" || !errors.As(err, &se) || se.Kind != vllm.KindIdleTimeout {
			t.Fatalf("audio: %q %v", text, err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("audio: idle timeout after %v, want 50ms", d)
		}
		c.Close()
		vllm.CloseIdle(c) // the in-memory HTTP client is the test's: Close leaves it open

		small := srv.Client(t, vllm.WithMaxEventSize(16))
		st, err = small.Responses.Stream(context.Background(), &vllm.ResponseRequest{Input: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := collectResponseText(st); !errors.As(err, &se) || se.Kind != vllm.KindTooLarge {
			t.Fatalf("too large: %v", err)
		}
	})
}
