package vllm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

type Weather struct {
	City  string  `json:"city"`
	TempC float64 `json:"temp_c" description:"degrees Celsius"`
}

func TestResponseFormatJSONSchemaRoundTrip(t *testing.T) {
	content := `{\"city\":\"Paris\",\"temp_c\":21.5}`
	s := vllm.NewMemServer(t, reply{Body: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + content + `","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":32,"completion_tokens":12,"prompt_tokens_details":null}}`})
	c := s.Client(t)
	schema, err := vllm.JSONSchemaFor[Weather]()
	if err != nil {
		t.Fatal(err)
	}
	rf := &vllm.ResponseFormat{Type: "json_schema", JSONSchema: &vllm.JSONSchemaSpec{Name: "Weather", Schema: schema, Strict: vllm.Ptr(true)}}
	if !strings.Contains(string(schema), `"temp_c"`) || !strings.Contains(string(schema), `"degrees Celsius"`) {
		t.Fatalf("schema %s", schema)
	}
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Weather in Paris?")}}
	req.ResponseFormat = rf
	resp, err := c.Chat.Create(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"}],"response_format":{"type":"json_schema","json_schema":{"name":"Weather","schema":` + string(schema) + `,"strict":true}}}`
	if got := string(s.Last(t).Body); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	var w Weather
	if err := resp.DecodeJSON(&w); err != nil || w != (Weather{"Paris", 21.5}) {
		t.Fatalf("decoded %+v, %v", w, err)
	}
}

func TestDecodeJSONEdgeCases(t *testing.T) {
	mk := func(content *string, finish string) *vllm.ChatResponse {
		m := vllm.Message{Role: "assistant"}
		if content != nil {
			m.Content = *content
		}
		r := &vllm.ChatResponse{Choices: []vllm.ChatChoice{{Message: m, FinishReason: finish}}}
		if content == nil {
			// A null content: decode the message as vLLM sends it.
			r = &vllm.ChatResponse{}
		}
		return r
	}
	var w Weather
	fenced := "```json\n{\"city\":\"Rome\",\"temp_c\":30}\n```\n"
	if err := mk(&fenced, "stop").DecodeJSON(&w); err != nil || w.City != "Rome" {
		t.Fatalf("fenced: %+v %v", w, err)
	}
	thinking := "<think>\nThe user wants JSON.\n</think>\n\n{\"city\":\"Lima\",\"temp_c\":18}"
	if err := mk(&thinking, "stop").DecodeJSON(&w); err != nil || w.City != "Lima" {
		t.Fatalf("think block: %+v %v", w, err)
	}
	cut := `{"city":"Ro`
	err := mk(&cut, "length").DecodeJSON(&w)
	if !errors.Is(err, vllm.ErrInvalidResponse) || !strings.Contains(err.Error(), "token limit") {
		t.Fatalf("cut: %v", err)
	}
	if err := mk(nil, "").DecodeJSON(&w); !errors.Is(err, vllm.ErrNoContent) {
		t.Fatalf("none: %v", err)
	}
	blank := "  "
	if err := mk(&blank, "stop").DecodeJSON(&w); !errors.Is(err, vllm.ErrNoContent) {
		t.Fatalf("blank: %v", err)
	}
	cr := &vllm.CompletionResponse{Choices: []vllm.CompletionChoice{{Text: ` {"city":"Oslo","temp_c":-3}`}}}
	if err := cr.DecodeJSON(&w); err != nil || w.TempC != -3 {
		t.Fatalf("completion: %+v %v", w, err)
	}
	if err := (&vllm.CompletionResponse{}).DecodeJSON(&w); !errors.Is(err, vllm.ErrNoContent) {
		t.Fatalf("empty completion: %v", err)
	}
}

// TestStructuredOutputsWire checks the wire form of every constraint kind,
// and that a request setting none or several is refused before it is sent,
// as vLLM refuses it.
func TestStructuredOutputsWire(t *testing.T) {
	schema, err := vllm.JSONSchemaFor[Weather]()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		so   vllm.StructuredOutputs
		want string
	}{
		{vllm.StructuredOutputs{JSON: schema}, `{"json":` + string(schema) + `}`},
		{vllm.StructuredOutputs{Regex: `\d{3}`}, `{"regex":"\\d{3}"}`},
		{vllm.StructuredOutputs{Choice: []string{"yes", "no"}}, `{"choice":["yes","no"]}`},
		{vllm.StructuredOutputs{Grammar: `root ::= "a"`}, `{"grammar":"root ::= \"a\""}`},
		{vllm.StructuredOutputs{JSONObject: vllm.Ptr(true), DisableAnyWhitespace: vllm.Ptr(true)}, `{"json_object":true,"disable_any_whitespace":true}`},
		{vllm.StructuredOutputs{StructuralTag: `{"type":"structural_tag"}`}, `{"structural_tag":"{\"type\":\"structural_tag\"}"}`},
	}
	for _, tc := range cases {
		s := vllm.NewMemServer(t, reply{Body: `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"yes","logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":null}`})
		c := s.Client(t)
		req := &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("Q?")}
		req.StructuredOutputs = &tc.so
		if _, err := c.Completions.Create(ctxT(t), req); err != nil {
			t.Fatal(err)
		}
		if got, want := string(s.Last(t).Body), `{"model":"m","prompt":"Q?","structured_outputs":`+tc.want+`}`; got != want {
			t.Fatalf("body\n got %s\nwant %s", got, want)
		}
	}
	for _, so := range []vllm.StructuredOutputs{{}, {WhitespacePattern: " "}, {Regex: "a", Choice: []string{"a"}}} {
		s := vllm.NewMemServer(t, reply{Body: `{}`})
		c := s.Client(t)
		req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Q?")}}
		req.StructuredOutputs = &so
		_, err := c.Chat.Create(ctxT(t), req)
		var pe *vllm.ParamError
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Field, "structured_outputs") {
			t.Fatalf("%+v: %v", so, err)
		}
		if s.Count() != 0 {
			t.Fatalf("%+v: a request was sent", so)
		}
	}
}
