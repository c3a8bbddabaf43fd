// Basic chat: a system prompt, sampling settings, stop sequences, and the
// token usage of the answer.
package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(chatWithSettings)
}

// chatWithSettings sends one chat request with sampling settings and stop
// sequences, in the struct form and the fluent form.
func chatWithSettings(ctx context.Context, env *exampleenv.Env) error {
	req := &vllm.ChatRequest{
		Model: env.Model,
		Messages: []vllm.Message{
			vllm.System("You are a helpful coding assistant."),
			vllm.User("Write a haiku about Go's garbage collector."),
		},
	}
	// Sampling settings are pointers: nil is "not sent", so that zero values
	// such as temperature 0 or top_k -1 can be sent on purpose.
	req.Temperature = vllm.Ptr(0.7)
	req.TopP = vllm.Ptr(0.9)
	req.TopK = vllm.Ptr(50) // a vLLM extension
	req.MaxTokens = vllm.Ptr(128)
	req.Stop = []string{"\n\n\n", "END"}

	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("answer:", exampleenv.Answer(resp))
	fmt.Println("finish reason:", resp.FinishReason())
	if u := resp.Usage; u != nil {
		fmt.Printf("usage: prompt=%d completion=%d total=%d\n", u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}

	// Deterministic output: temperature 0 is sent as an explicit 0, and the
	// same request then gets the same answer.
	req.Temperature = vllm.Ptr(0.0)
	greedy, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	again, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("greedy answer:", exampleenv.Answer(greedy))
	fmt.Println("greedy twice, same answer:", greedy.Text() == again.Text())

	// A stop sequence ends the answer where it first appears, leaving it
	// out: stop at the greedy answer's second word, when it has one.
	if words := strings.Fields(greedy.Text()); len(words) > 1 {
		req.Stop = []string{words[1]}
		cut, err := env.Client.Chat.Create(ctx, req)
		if err != nil {
			return err
		}
		stopReason := "none"
		if sr := cut.Choices[0].StopReason; sr != nil {
			stopReason = fmt.Sprint(sr)
		}
		fmt.Printf("with stop %q: %q (finish reason %s, stop reason %s)\n", words[1], cut.Text(), cut.FinishReason(), stopReason)
	}

	// The same request in the fluent form, over the same ChatRequest.
	fluent, err := env.Client.Chat.Builder().Model(env.Model).
		System("You are a helpful coding assistant.").
		User("Write a haiku about Go's garbage collector.").
		Temperature(0.7).TopP(0.9).TopK(50).MaxTokens(128).
		Send(ctx)
	if err != nil {
		return err
	}
	fmt.Println("fluent answer:", fluent.Text())
	return nil
}
