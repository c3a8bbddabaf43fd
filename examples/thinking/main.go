// Thinking mode: ask a reasoning model to think (Qwen3's enable_thinking
// chat template switch), and read its reasoning apart from its answer —
// whole, streamed, and split out of the content for servers that run without
// a reasoning parser.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
	"github.com/vllmgo/vllm/vllmtest"
)

func main() {
	// The embedded server thinks for 12 tokens before it answers.
	exampleenv.RunWith(exampleenv.Setup{Server: []vllmtest.Option{vllmtest.WithReasoning(12)}}, askToThink)
}

// askToThink asks for reasoning and reads it whole, streamed, and split out
// of the content.
func askToThink(ctx context.Context, env *exampleenv.Env) error {
	req := &vllm.ChatRequest{
		Model:              env.Model,
		Messages:           []vllm.Message{vllm.User("Solve: what is 15 * 23 + 47?")},
		ChatTemplateKwargs: map[string]any{"enable_thinking": true},
	}
	// No max_tokens: the server's default is the rest of the context, room
	// for the reasoning and the answer on any server (a fixed 4096 would be
	// rejected by one with a shorter context).

	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	// Reasoning is read from "reasoning" or, from older vLLM, "reasoning_content".
	// A model may answer without thinking, or think until its limit.
	if r := resp.Reasoning(); r != "" {
		fmt.Println("reasoning:", r)
	} else {
		fmt.Println("reasoning: (none: the model answered without thinking)")
	}
	if a := resp.Text(); a != "" {
		fmt.Println("answer:", a)
	} else {
		fmt.Printf("answer: (none: generation ended with %q before the answer)\n", resp.FinishReason())
	}

	// Streamed: reasoning deltas come first, then content deltas.
	s, err := env.Client.Chat.Stream(ctx, req)
	if err != nil {
		return err
	}
	defer s.Close()
	var reasoningEvents, contentEvents int
	for ev, err := range s.Events() {
		if err != nil {
			return err
		}
		switch ev.Type {
		case vllm.EventReasoning:
			reasoningEvents++
		case vllm.EventContent:
			contentEvents++
		}
	}
	fmt.Printf("streamed: %d reasoning events, then %d content events\n", reasoningEvents, contentEvents)

	// A server without --reasoning-parser leaves <think>…</think> in the
	// content (the embedded server is told to answer so); WithThinkSplit
	// moves it into the reasoning.
	if env.Server != nil {
		env.Server.Enqueue(vllmtest.Reply{Content: "<think>15*23 = 345, +47 = 392</think>The answer is 392."})
	}
	split, err := env.Client.Chat.Create(ctx, req, vllm.WithThinkSplit(false))
	if err != nil {
		return err
	}
	fmt.Printf("split: reasoning=%q answer=%q\n", split.Reasoning(), split.Text())
	return nil
}
