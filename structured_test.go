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

func TestJSONSchemaFormatRoundTrip(t *testing.T) {
	content := `{\"city\":\"Paris\",\"temp_c\":21.5}`
	s, c := newStub(t, reply{Body: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + content + `","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":32,"completion_tokens":12,"prompt_tokens_details":null}}`})
	rf, err := vllm.JSONSchemaFormat[Weather]()
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := vllm.JSONSchemaFor[Weather]()
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
	if got := string(s.got().Body); got != want {
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

// TestConstraintForms checks both wire forms of every constraint kind.
func TestConstraintForms(t *testing.T) {
	jc, err := vllm.JSONConstraint[Weather]()
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := vllm.JSONSchemaFor[Weather]()
	cases := []struct {
		c              vllm.Constraint
		current, older string
	}{
		{jc, `"structured_outputs":{"json":` + string(schema) + `}`, `"guided_json":` + string(schema)},
		{vllm.RegexConstraint(`\d{3}`), `"structured_outputs":{"regex":"\\d{3}"}`, `"guided_regex":"\\d{3}"`},
		{vllm.ChoiceConstraint("yes", "no"), `"structured_outputs":{"choice":["yes","no"]}`, `"guided_choice":["yes","no"]`},
		{vllm.GrammarConstraint(`root ::= "a"`), `"structured_outputs":{"grammar":"root ::= \"a\""}`, `"guided_grammar":"root ::= \"a\""`},
	}
	for _, tc := range cases {
		for _, legacy := range []bool{false, true} {
			s, c := newStub(t, reply{Body: `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"yes","logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":null}`})
			req := &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("Q?")}
			apply, want := tc.c.Apply, tc.current
			if legacy {
				apply, want = tc.c.ApplyLegacy, tc.older
			}
			if err := apply(&req.SamplingParams); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Completions.Create(ctxT(t), req); err != nil {
				t.Fatal(err)
			}
			if got, want := string(s.got().Body), `{"model":"m","prompt":"Q?",`+want+`}`; got != want {
				t.Fatalf("body\n got %s\nwant %s", got, want)
			}
		}
	}
	var p vllm.SamplingParams
	if err := vllm.ChoiceConstraint().Apply(&p); !errors.Is(err, vllm.ErrMissingParameter) {
		t.Fatalf("empty choice: %v", err)
	}
	if err := (vllm.Constraint{}).ApplyLegacy(&p); !errors.Is(err, vllm.ErrMissingParameter) {
		t.Fatalf("zero constraint: %v", err)
	}
}

func TestConstraintForVersion(t *testing.T) {
	c := vllm.RegexConstraint("a+")
	for version, legacy := range map[string]bool{
		"0.10.1.post1": true, "0.9.2": true, "v0.8.5": true, "0.10.2": false, "0.11.0rc2.dev17+gabc": false,
		"0.12.0": false, "1.0": false, "": false, "unknown": false,
	} {
		var p vllm.SamplingParams
		if err := c.ApplyForVersion(&p, version); err != nil {
			t.Fatal(err)
		}
		if (p.GuidedRegex != "") != legacy || (p.StructuredOutputs != nil) == legacy {
			t.Errorf("%q: guided %q structured %+v", version, p.GuidedRegex, p.StructuredOutputs)
		}
	}
	// Switching forms clears the other one.
	var p vllm.SamplingParams
	_ = c.ApplyLegacy(&p)
	_ = vllm.ChoiceConstraint("x").Apply(&p)
	if p.GuidedRegex != "" || p.StructuredOutputs.Choice[0] != "x" {
		t.Fatalf("%+v", p)
	}
}
