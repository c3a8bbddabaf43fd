// Streaming chat: print the answer as it is generated, with the reasoning
// apart, then the usage and the accumulated response.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(streamStory)
}

// streamStory streams a story as it is generated, then streams a second turn
// and collects it.
func streamStory(ctx context.Context, env *exampleenv.Env) error {
	s, err := env.Client.Chat.Stream(ctx, &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.User("Write a short story about a robot learning to paint.")},
	})
	if err != nil {
		return err
	}
	defer s.Close() // idempotent; releases the connection if we stop early

	fmt.Print("story: ")
	for ev, err := range s.Events() {
		if err != nil {
			// A stream that fails midway — an error event, a connection
			// that ends without [DONE] — is an error here, never a
			// quiet end.
			return err
		}
		switch ev.Type {
		case vllm.EventReasoning:
			fmt.Fprint(os.Stderr, ev.Text)
		case vllm.EventContent:
			fmt.Print(ev.Text)
		case vllm.EventFinish:
			fmt.Printf("\nfinish reason: %s\n", ev.FinishReason)
		case vllm.EventUsage:
			fmt.Printf("usage: prompt=%d completion=%d\n", ev.Usage.PromptTokens, ev.Usage.CompletionTokens)
		}
	}
	// Everything the stream carried, accumulated into a ChatResponse.
	final, err := s.Collect() // the loop read it all: nothing more is read
	if err != nil {
		return err
	}
	fmt.Printf("accumulated: %d characters of content\n", len(final.Text()))

	// Multi-turn streaming: the accumulated answer goes into the history.
	history := []vllm.Message{vllm.User("Name a color."), final.AssistantMessage(), vllm.User("Another one?")}
	s2, err := env.Client.Chat.Stream(ctx, &vllm.ChatRequest{Model: env.Model, Messages: history})
	if err != nil {
		return err
	}
	second, err := s2.Collect()
	if err != nil {
		return err
	}
	fmt.Println("second turn:", second.Text())
	return nil
}
