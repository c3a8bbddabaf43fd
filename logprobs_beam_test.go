package vllm_test

import (
	"testing"

	"github.com/vllmgo/vllm"
)

func TestChatLogprobsWire(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{"id":"chatcmpl-9","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","reasoning":null,"tool_calls":[]},"logprobs":{"content":[{"token":"Hello","logprob":-0.0125,"bytes":[72,101,108,108,111],"top_logprobs":[{"token":"Hello","logprob":-0.0125,"bytes":[72,101,108,108,111]},{"token":"Hi","logprob":-4.5,"bytes":[72,105]}]},{"token":"<|im_end|>","logprob":-9999.0,"bytes":[],"top_logprobs":[]}]},"finish_reason":"stop","stop_reason":null,"token_ids":null}],"usage":{"prompt_tokens":9,"total_tokens":11,"completion_tokens":2,"prompt_tokens_details":null},"prompt_logprobs":null,"prompt_token_ids":null,"kv_transfer_params":null}`})
	c := s.Client(t)
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}, Logprobs: vllm.Ptr(true), TopLogprobs: vllm.Ptr(2)}
	resp, err := c.Chat.Create(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Last(t).Body); got != `{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2}` {
		t.Fatalf("body %s", got)
	}
	lp := resp.Choices[0].Logprobs
	if lp == nil || len(lp.Content) != 2 {
		t.Fatalf("logprobs %+v", lp)
	}
	first := lp.Content[0]
	if first.Token != "Hello" || first.Logprob != -0.0125 || len(first.Bytes) != 5 || len(first.TopLogprobs) != 2 ||
		first.TopLogprobs[1].Token != "Hi" || first.TopLogprobs[1].Logprob != -4.5 || lp.Content[1].Logprob != -9999 {
		t.Fatalf("content %+v", lp.Content)
	}
}

func TestCompletionLogprobsWithEcho(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{"id":"cmpl-4","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"Hi there","logprobs":{"text_offset":[0,2],"token_logprobs":[null,-0.25],"tokens":["Hi"," there"],"top_logprobs":[null,{" there":-0.25," you":-1.5}]},"finish_reason":"length","stop_reason":null,"prompt_logprobs":null}],"usage":{"prompt_tokens":1,"total_tokens":2,"completion_tokens":1,"prompt_tokens_details":null}}`})
	c := s.Client(t)
	req := &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("Hi"), Logprobs: vllm.Ptr(2), Echo: vllm.Ptr(true)}
	req.MaxTokens = vllm.Ptr(1)
	resp, err := c.Completions.Create(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Last(t).Body); got != `{"model":"m","prompt":"Hi","max_tokens":1,"logprobs":2,"echo":true}` {
		t.Fatalf("body %s", got)
	}
	lp := resp.Choices[0].Logprobs
	if lp == nil || lp.TokenLogprobs[0] != nil || *lp.TokenLogprobs[1] != -0.25 || lp.TopLogprobs[0] != nil ||
		lp.TopLogprobs[1][" you"] != -1.5 || lp.TextOffset[1] != 2 || lp.Tokens[1] != " there" {
		t.Fatalf("logprobs %+v", lp)
	}
}

// TestBeamSearchAndN sends use_beam_search with n > 1 and reads every beam.
func TestBeamSearchAndN(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{"id":"cmpl-b","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" Paris.","logprobs":null,"finish_reason":"stop","stop_reason":null},{"index":1,"text":" Paris, France.","logprobs":null,"finish_reason":"stop","stop_reason":null},{"index":2,"text":" the city of Paris.","logprobs":null,"finish_reason":"length","stop_reason":null}],"usage":{"prompt_tokens":6,"total_tokens":21,"completion_tokens":15,"prompt_tokens_details":null}}`})
	c := s.Client(t)
	req := &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("The capital of France is")}
	req.UseBeamSearch = vllm.Ptr(true)
	req.N = vllm.Ptr(3)
	req.LengthPenalty = vllm.Ptr(1.0)
	req.Temperature = vllm.Ptr(0.0)
	req.MaxTokens = vllm.Ptr(8)
	resp, err := c.Completions.Create(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","prompt":"The capital of France is","temperature":0,"max_tokens":8,"n":3,"length_penalty":1,"use_beam_search":true}`
	if got := string(s.Last(t).Body); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	if len(resp.Choices) != 3 || resp.Choices[2].Index != 2 || resp.Choices[1].Text != " Paris, France." || resp.Choices[2].FinishReason != "length" {
		t.Fatalf("choices %+v", resp.Choices)
	}

	s = vllm.NewMemServer(t, reply{Body: `{"id":"chatcmpl-n","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"A"},"logprobs":null,"finish_reason":"stop","stop_reason":null},{"index":1,"message":{"role":"assistant","content":"B"},"logprobs":null,"finish_reason":"stop","stop_reason":"\n"}],"usage":{"prompt_tokens":3,"total_tokens":5,"completion_tokens":2,"prompt_tokens_details":null}}`})
	c = s.Client(t)
	creq := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("letter?")}}
	creq.N = vllm.Ptr(2)
	creq.UseBeamSearch = vllm.Ptr(true)
	cresp, err := c.Chat.Create(ctxT(t), creq)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Last(t).Body); got != `{"model":"m","messages":[{"role":"user","content":"letter?"}],"n":2,"use_beam_search":true}` {
		t.Fatalf("body %s", got)
	}
	if len(cresp.Choices) != 2 || cresp.Choices[1].Message.Content != "B" || cresp.Choices[1].StopReason.String() != "\n" {
		t.Fatalf("choices %+v", cresp.Choices)
	}
}
