package batch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/batch"
	"github.com/vllmgo/vllm/vllmtest"
)

// echoClient returns a client of a test server of model "m" that answers
// each chat with "echo: " and its first message, and a function that closes
// both.
func echoClient() (*vllm.Client, func()) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		return &vllmtest.Reply{Content: "echo: " + r.Chat.Messages[0].Text()}
	}))
	c, _ := vllm.New(srv.URL)
	return c, func() { c.Close(); srv.Close() }
}

// A batch of chat requests: each is sent with c.Chat.Create, at most
// DefaultConcurrency at once, and the results come back in input order,
// each with its own error.
func ExampleRun() {
	c, done := echoClient()
	defer done()
	ctx := context.Background()

	reqs := []*vllm.ChatRequest{
		{Model: "m", Messages: []vllm.Message{vllm.User("one")}},
		{Model: "no-such-model", Messages: []vllm.Message{vllm.User("two")}},
		{Model: "m", Messages: []vllm.Message{vllm.User("three")}},
	}
	results := batch.Run(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
		return c.Chat.Create(ctx, r)
	}, nil)
	for _, r := range results {
		if r.Err != nil {
			var apiErr *vllm.APIError
			if errors.As(r.Err, &apiErr) {
				fmt.Println(r.Index, "failed with HTTP", apiErr.StatusCode)
			}
			continue
		}
		fmt.Println(r.Index, r.Value.Text())
	}
	// Output:
	// 0 echo: one
	// 1 failed with HTTP 404
	// 2 echo: three
}

// Any function can be batched: here each prompt becomes the text of its
// answer, two prompts at a time.
func ExampleRun_function() {
	c, done := echoClient()
	defer done()

	prompts := []string{"one", "two", "three"}
	results := batch.Run(context.Background(), prompts, func(ctx context.Context, p string) (string, error) {
		resp, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User(p)}})
		if err != nil {
			return "", err
		}
		return resp.Text(), nil
	}, &batch.Options{Concurrency: 2})
	for _, r := range results {
		fmt.Println(r.Index, r.Value, r.Err)
	}
	// Output:
	// 0 echo: one <nil>
	// 1 echo: two <nil>
	// 2 echo: three <nil>
}
