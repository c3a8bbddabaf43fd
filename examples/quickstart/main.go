// Quickstart: one chat completion — the README's quick start. It runs
// against VLLM_BASE_URL, or against an embedded vLLM-dialect test server when
// that is unset:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(askCapital)
}

// askCapital asks one question and prints the answer, the model that gave it
// and the tokens it took.
func askCapital(ctx context.Context, env *exampleenv.Env) error {
	resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.System("Be brief."), vllm.User("What is the capital of France?")},
	})
	if err != nil {
		return err
	}
	fmt.Println("server:   ", env.Client.BaseURL())
	fmt.Println("model:    ", resp.Model)
	fmt.Println("answer:   ", exampleenv.Answer(resp))
	if r := resp.Reasoning(); r != "" {
		fmt.Println("reasoning:", r)
	}
	fmt.Println("tokens:   ", resp.Usage.TotalTokens)
	return nil
}
