package vllm_test

import (
	"reflect"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// The render routes return vLLM's GenerateRequest; Generate sends one to
// /inference/v1/generate at the server root.
func TestRenderAndGenerateOnTheWire(t *testing.T) {
	// As vLLM's render route answers (GenerateRequest.model_dump()).
	const rendered = `{"request_id":"abc","token_ids":[151644,872,198,6023],"features":null,"sampling_params":{"n":1,"temperature":0.0,"max_tokens":8},"model":"m","stream":false,"stream_options":null,"cache_salt":null,"priority":0,"kv_transfer_params":null}`
	st := vllm.NewMemServer(t, reply{Body: rendered})
	c := st.Client(t)
	req := chatReq()
	req.MaxTokens = vllm.Ptr(8)
	gr, err := c.Chat.Render(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Last(t); got.Path != "/v1/chat/completions/render" || got.Method != "POST" {
		t.Fatalf("sent %s %s", got.Method, got.Path)
	}
	jsonEqual(t, "render body", st.Last(t).Body, `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":8}`)
	if gr.RequestID != "abc" || !reflect.DeepEqual(gr.TokenIDs, []int{151644, 872, 198, 6023}) || gr.Model != "m" || gr.SamplingParams["max_tokens"] != 8.0 {
		t.Fatalf("rendered %+v", gr)
	}

	st = vllm.NewMemServer(t, reply{Body: `[` + rendered + `,` + rendered + `]`})
	c = st.Client(t)
	list, err := c.Completions.Render(ctxT(t), &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptTexts("a", "b")})
	if err != nil || len(list) != 2 || st.Last(t).Path != "/v1/completions/render" {
		t.Fatalf("%v %d %s", err, len(list), st.Last(t).Path)
	}

	const generated = `{"request_id":"abc","choices":[{"index":0,"logprobs":null,"finish_reason":"length","token_ids":[9707,11,1879]}],"prompt_logprobs":null,"kv_transfer_params":null}`
	st = vllm.NewMemServer(t, reply{Body: generated})
	c = st.Client(t)
	resp, err := c.Completions.Generate(ctxT(t), gr)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Last(t); got.Path != "/inference/v1/generate" {
		t.Fatalf("sent to %s", got.Path)
	}
	jsonEqual(t, "generate body", st.Last(t).Body, `{"request_id":"abc","token_ids":[151644,872,198,6023],"sampling_params":{"n":1,"temperature":0,"max_tokens":8},"model":"m"}`)
	if resp.RequestID != "abc" || len(resp.Choices) != 1 || resp.Choices[0].FinishReason != "length" || !reflect.DeepEqual(resp.Choices[0].TokenIDs, []int{9707, 11, 1879}) {
		t.Fatalf("response %+v", resp)
	}
	if _, err := c.Completions.Generate(ctxT(t), &vllm.GenerateRequest{}); err == nil {
		t.Fatal("empty token_ids accepted")
	}
}

// CreateMany sends the conversations as "messages": [[…], […]] to
// /v1/chat/completions/batch and reads one choice per conversation.
func TestCreateManyOnTheWire(t *testing.T) {
	const answer = `{"id":"chatcmpl-x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"one"},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"two"},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}}`
	st := vllm.NewMemServer(t, reply{Body: answer})
	c := st.Client(t)
	req := &vllm.ChatRequest{Model: "m"}
	req.Temperature = vllm.Ptr(0.0)
	resp, err := c.Chat.CreateMany(ctxT(t), req, [][]vllm.Message{{vllm.User("a")}, {vllm.User("b")}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Last(t).Path != "/v1/chat/completions/batch" {
		t.Fatalf("sent to %s", st.Last(t).Path)
	}
	jsonEqual(t, "batch body", st.Last(t).Body, `{"model":"m","messages":[[{"role":"user","content":"a"}],[{"role":"user","content":"b"}]],"temperature":0}`)
	if len(resp.Choices) != 2 || resp.Choices[1].Message.Content != "two" {
		t.Fatalf("response %+v", resp)
	}
	if _, err := c.Chat.CreateMany(ctxT(t), req, [][]vllm.Message{{vllm.User("a")}, {}}); err == nil {
		t.Fatal("an empty conversation accepted")
	}
}

// Against vllmtest: render a chat request, generate from its token ids, and
// send two conversations in one batched request.
func TestRenderGenerateAndCreateManyAgainstVLLMTest(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithTokens(6))
	defer srv.Close()
	c := newClient(t, srv.URL)
	req := chatReq()
	req.MaxTokens = vllm.Ptr(4)
	gr, err := c.Chat.Render(ctxT(t), req)
	if err != nil || len(gr.TokenIDs) == 0 || gr.SamplingParams["max_tokens"] != 4.0 {
		t.Fatalf("render: %+v %v", gr, err)
	}
	resp, err := c.Completions.Generate(ctxT(t), gr)
	if err != nil || len(resp.Choices) != 1 || len(resp.Choices[0].TokenIDs) != 4 || resp.Choices[0].FinishReason != "length" {
		t.Fatalf("generate: %+v %v", resp, err)
	}
	list, err := c.Completions.Render(ctxT(t), &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptTexts("a b", "c")})
	if err != nil || len(list) != 2 {
		t.Fatalf("completion render: %v %v", list, err)
	}
	many, err := c.Chat.CreateMany(ctxT(t), &vllm.ChatRequest{Model: "m"}, [][]vllm.Message{{vllm.User("a")}, {vllm.User("b")}, {vllm.User("c")}})
	if err != nil || len(many.Choices) != 3 || many.Choices[2].Index != 2 || many.Choices[0].Message.Content == "" {
		t.Fatalf("create many: %+v %v", many, err)
	}
}
