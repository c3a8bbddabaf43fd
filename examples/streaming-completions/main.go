// Streaming legacy completions (/v1/completions): text as it is generated,
// the finish reason and the usage.
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
	ctx := context.Background()

	req := &vllm.CompletionRequest{Model: env.Model, Prompt: vllm.PromptText("What is machine learning?")}
	req.MaxTokens = vllm.Ptr(64)
	req.Temperature = vllm.Ptr(0.7)

	s, err := env.Client.Completions.Stream(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Print("text: ")
	for ev, err := range s.Events() {
		if err != nil {
			log.Fatal(err)
		}
		switch ev.Type {
		case vllm.EventContent:
			fmt.Print(ev.Text)
		case vllm.EventFinish:
			fmt.Printf("\nfinish reason: %s\n", ev.FinishReason)
		case vllm.EventUsage:
			fmt.Printf("usage: prompt=%d completion=%d\n", ev.Usage.PromptTokens, ev.Usage.CompletionTokens)
		}
	}

	// Or collect the whole text at once.
	s2, err := env.Client.Completions.Stream(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	collected, err := s2.Collect()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("collected: %d characters\n", len(collected.Text()))
}
