// Multi-turn chat: keep the history and append each answer with
// AssistantMessage before the next question.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(converse)
}

// converse asks three questions in one conversation, keeping the history by
// hand, then two with agent.Conversation.
func converse(ctx context.Context, env *exampleenv.Env) error {
	history := []vllm.Message{vllm.System("You are a helpful assistant.")}
	for i, question := range []string{
		"My name is Alice.",
		"What is my name?",
		"Spell it backwards.",
	} {
		history = append(history, vllm.User(question))
		resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{Model: env.Model, Messages: history})
		if err != nil {
			return err
		}
		history = append(history, resp.AssistantMessage())
		fmt.Printf("turn %d\n  user:      %s\n  assistant: %s\n", i+1, question, resp.Text())
	}
	fmt.Printf("history: %d messages\n", len(history))

	// agent.Conversation keeps the history for you.
	cv := agent.NewConversation(env.Client, env.Model, "You are a helpful assistant.")
	for _, question := range []string{"My name is Bob.", "What is my name?"} {
		if _, err := cv.Send(ctx, question); err != nil {
			return err
		}
	}
	fmt.Printf("conversation: %d messages\n", len(cv.Messages()))
	return nil
}
