// Quickstart: one chat completion — the README's quick start. It runs
// against VLLM_BASE_URL, or against an embedded vLLM-dialect test server when
// that is unset:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	env := exampleenv.Start(nil)
	defer env.Close()

	resp, err := env.Client.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.System("Be brief."), vllm.User("What is the capital of France?")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("server:   ", env.Client.BaseURL())
	fmt.Println("model:    ", resp.Model)
	fmt.Println("answer:   ", exampleenv.Answer(resp))
	if r := resp.Reasoning(); r != "" {
		fmt.Println("reasoning:", r)
	}
	fmt.Println("tokens:   ", resp.Usage.TotalTokens)
}
