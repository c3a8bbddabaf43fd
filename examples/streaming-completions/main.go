// Streaming legacy completions (/v1/completions): text as it is generated,
// the finish reason and the usage.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(streamCompletion)
}

// streamCompletion streams a legacy completion event by event, then collects
// a second one whole.
func streamCompletion(ctx context.Context, env *exampleenv.Env) error {
	req := &vllm.CompletionRequest{Model: env.Model, Prompt: vllm.PromptText("What is machine learning?")}
	req.MaxTokens = vllm.Ptr(64)
	req.Temperature = vllm.Ptr(0.7)

	s, err := env.Client.Completions.Stream(ctx, req)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Print("text: ")
	for ev, err := range s.Events() {
		if err != nil {
			return err
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
		return err
	}
	collected, err := s2.Collect()
	if err != nil {
		return err
	}
	fmt.Printf("collected: %d characters\n", len(collected.Text()))
	return nil
}
