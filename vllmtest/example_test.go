package vllmtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// A test server answers a chat request with a canned reply.
func Example() {
	srv := vllmtest.NewServer(vllmtest.WithModel("Qwen/Qwen3-8B"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hello from vLLM."})

	c, _ := vllm.New(srv.URL)
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    "Qwen/Qwen3-8B",
		Messages: []vllm.Message{vllm.User("Say hello.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Content())
	rec, _ := srv.LastRequest()
	fmt.Println(rec.Path, rec.Chat.Messages[0].Text())
	// Output:
	// Hello from vLLM.
	// /v1/chat/completions Say hello.
}

// The next request fails with a 429 and a Retry-After header.
func ExampleServer_Fail() {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 429, Message: "slow down", RetryAfter: "2"})

	c, _ := vllm.New(srv.URL)
	_, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("hi")},
	})
	var ae *vllm.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, ae.Type, ae.Message, ae.RetryAfter)
	}
	// Output: 429 RateLimitError slow down 2
}
