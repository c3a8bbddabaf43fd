package vllm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vllmgo/vllm"
)

// TestSimulatorChatAndError: a chat completion and a 404 decoded from the
// llm-d simulator's captured responses, and the exact request sent.
func TestSimulatorChatAndError(t *testing.T) {
	notFound := reply{Status: 404, Body: fixture(t, "llmd-sim-error-404-model.json")}
	srv := vllm.NewMemServer(t, byPath("/v1/chat/completions", reply{Body: string(chatFixture)}, notFound))
	c, err := vllm.New(srv.URL+"/v1/", vllm.InMemory(), vllm.WithAPIKey("sk-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}}
	req.Temperature = vllm.Ptr(0.0)
	req.TopK = vllm.Ptr(-1)
	resp, err := c.Chat.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Last(t)
	gotBody, gotAuth := string(sent.Body), sent.Header.Get("Authorization")
	if want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_k":-1}`; gotBody != want {
		t.Fatalf("body\n got %s\nwant %s", gotBody, want)
	}
	if gotAuth != "Bearer sk-secret" || resp.Text() != "Hello there sim" || resp.Usage.TotalTokens != 11 {
		t.Fatalf("auth %q content %q usage %+v", gotAuth, resp.Text(), resp.Usage)
	}
	_, err = c.Completions.Create(context.Background(), &vllm.CompletionRequest{Model: "nope", Prompt: vllm.PromptText("x")})
	var ae *vllm.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || !errors.Is(err, vllm.ErrModelNotFound) || ae.Type != "NotFoundError" {
		t.Fatalf("err = %#v", err)
	}
	t.Log(err, c)
}
