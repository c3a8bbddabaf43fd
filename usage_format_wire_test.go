package vllm_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vllmgo/vllm"
)

// Current vLLM's prompt_tokens_details (with --enable-prompt-tokens-details)
// carries created_cache_tokens and multimodal_tokens beside cached_tokens.
func TestUsagePromptTokensDetails(t *testing.T) {
	const usage = `{"prompt_tokens":90,"total_tokens":100,"completion_tokens":10,"prompt_tokens_details":{"cached_tokens":16,"created_cache_tokens":32,"multimodal_tokens":{"image":64}}}`
	want := &vllm.PromptTokensDetails{CachedTokens: 16, CreatedCacheTokens: 32, MultimodalTokens: map[string]int{"image": 64}}

	body := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":` + usage + `}`
	c := vllm.NewMemServer(t, reply{Body: body}).Client(t)
	resp, err := c.Chat.Create(ctxT(t), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Usage.PromptTokensDetails; !reflect.DeepEqual(got, want) {
		t.Fatalf("non-streaming: %+v", got)
	}

	sse := "data: " + `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"logprobs":null,"finish_reason":"stop"}]}` +
		"\n\ndata: " + `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":` + usage + "}\n\ndata: [DONE]\n\n"
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: sse}).Client(t)
	st, err := c.Chat.Stream(ctxT(t), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	sresp, err := st.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := sresp.Usage.PromptTokensDetails; !reflect.DeepEqual(got, want) {
		t.Fatalf("stream: %+v", got)
	}
}

// The structural-tag forms of response_format are typed: the current
// {"type":"structural_tag","format":{…}} and the older structures/triggers.
func TestResponseFormatStructuralTag(t *testing.T) {
	tests := []struct {
		name string
		rf   *vllm.ResponseFormat
		want string
	}{
		{"format", &vllm.ResponseFormat{Type: "structural_tag",
			Format: json.RawMessage(`{"type":"triggered_tags","triggers":["<function="],"tags":[]}`)},
			`{"type":"structural_tag","format":{"type":"triggered_tags","triggers":["<function="],"tags":[]}}`},
		{"structures and triggers", &vllm.ResponseFormat{Type: "structural_tag",
			Structures: []vllm.StructuralTagStructure{{Begin: "<function=get_weather>", Schema: json.RawMessage(`{"type":"object"}`), End: "</function>"}},
			Triggers:   []string{"<function="}},
			`{"type":"structural_tag","structures":[{"begin":"<function=get_weather>","schema":{"type":"object"},"end":"</function>"}],"triggers":["<function="]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := vllm.NewMemServer(t, reply{Body: string(chatFixture)})
			c := st.Client(t)
			req := chatReq()
			req.ResponseFormat = tt.rf
			if _, err := c.Chat.Create(ctxT(t), req); err != nil {
				t.Fatal(err)
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(st.Last(t).Body, &body); err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(body["response_format"], &got); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal([]byte(tt.want), &want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("response_format\n got %s\nwant %s", body["response_format"], tt.want)
			}
		})
	}
}
