// Streaming tool calls: watch the arguments arrive in fragments, then get
// each call whole when it is complete.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

type weatherArgs struct {
	Location string `json:"location" description:"City name"`
}

func main() {
	exampleenv.Run(streamToolCalls)
}

// streamToolCalls streams an answer that calls a tool, counting the argument
// fragments and printing each complete call.
func streamToolCalls(ctx context.Context, env *exampleenv.Env) error {
	weather, err := vllm.ToolFor[weatherArgs]("get_weather", "Get the weather for a location")
	if err != nil {
		return err
	}
	s, err := env.Client.Chat.Stream(ctx, &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.User("What's the weather in Tokyo?")},
		Tools:    []vllm.Tool{weather},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	fragments := 0
	for ev, err := range s.Events() {
		if err != nil {
			return err
		}
		switch ev.Type {
		case vllm.EventToolCallDelta:
			fragments++
		case vllm.EventToolCallDone:
			call := ev.ToolCall
			var args weatherArgs
			if err := call.DecodeArguments(&args); err != nil {
				return err
			}
			fmt.Printf("complete call #%d: %s(%s) id=%s\n", ev.ToolIndex, call.Name, call.Arguments, call.ID)
		case vllm.EventFinish:
			fmt.Println("finish reason:", ev.FinishReason)
		}
	}
	fmt.Printf("argument fragments received: %d\n", fragments)
	// The accumulated response holds the assembled calls too.
	final, err := s.Collect()
	if err != nil {
		return err
	}
	fmt.Println("calls in the response:", len(final.ToolCalls()))
	return nil
}
