package vllm_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vllmgo/vllm"
)

// Current vLLM rejects "tools": [] with a 400 ("`tools` must not be an empty
// array"): an empty but non-nil tool list is left out of the body.
func TestEmptyToolListIsNotSent(t *testing.T) {
	sends := []struct {
		name string
		send func(context.Context, *vllm.Client) error
	}{
		{"chat", func(ctx context.Context, c *vllm.Client) error {
			req := chatReq()
			req.Tools = []vllm.Tool{}
			_, err := c.Chat.Create(ctx, req)
			return err
		}},
		{"tokenize", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}, Tools: []vllm.Tool{}})
			return err
		}},
		{"responses", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Responses.Create(ctx, &vllm.ResponseRequest{Model: "m", Input: "hi", Tools: []vllm.ResponseTool{}})
			return err
		}},
	}
	for _, s := range sends {
		t.Run(s.name, func(t *testing.T) {
			st := vllm.NewMemServer(t, reply{Body: string(chatFixture)})
			c := st.Client(t)
			_ = s.send(ctxT(t), c) // the answer is a chat body; only the request matters here
			if st.Count() != 1 {
				t.Fatalf("%d requests", st.Count())
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(st.Last(t).Body, &body); err != nil {
				t.Fatal(err)
			}
			if tools, ok := body["tools"]; ok {
				t.Fatalf(`body has "tools": %s`, tools)
			}
		})
	}
}
