// Quickstart: one chat completion. Runs against VLLM_BASE_URL, or against an
// embedded vLLM-dialect test server when it is unset:
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
		Messages: []vllm.Message{vllm.System("Be brief."), vllm.User("Say hello to a Go programmer.")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("server:", env.Client.BaseURL())
	fmt.Println("model: ", resp.Model)
	fmt.Println("answer:", resp.Content())
	fmt.Printf("tokens: %d prompt + %d completion = %d\n",
		resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens)
}
