// A multi-round agent: call the model, run every tool it asks for, send the
// results back, and repeat until it answers in text or a round limit is hit.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

var errTooManyRounds = errors.New("agent: no answer within the round limit")

// tools maps each tool name to its implementation.
var tools = map[string]func(args map[string]any) (any, error){
	"lookup_population": func(args map[string]any) (any, error) {
		return map[string]any{"city": args["city"], "population": 2_100_000}, nil
	},
}

func runAgent(ctx context.Context, c *vllm.Client, model, question string, defs []vllm.Tool, maxRounds int) (string, error) {
	messages := []vllm.Message{vllm.User(question)}
	for round := 1; round <= maxRounds; round++ {
		resp, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: model, Messages: messages, Tools: defs})
		if err != nil {
			return "", err
		}
		if !resp.HasToolCalls() {
			return resp.Content(), nil
		}
		messages = append(messages, resp.AssistantMessage())
		for _, call := range resp.ToolCalls() {
			fmt.Printf("round %d: %s(%s)\n", round, call.Name, call.Arguments)
			var result any
			if fn, ok := tools[call.Name]; !ok {
				result = fmt.Errorf("no tool named %q", call.Name)
			} else if args, err := call.ArgumentsMap(); err != nil {
				result = err
			} else if result, err = fn(args); err != nil {
				result = err
			}
			msg, err := vllm.ToolResult(call.ID, result)
			if err != nil {
				return "", err
			}
			messages = append(messages, msg)
		}
	}
	return "", errTooManyRounds
}

func main() {
	env := exampleenv.Start(nil)
	defer env.Close()

	def, err := vllm.NewTool("lookup_population", "Population of a city",
		`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	if err != nil {
		log.Fatal(err)
	}
	answer, err := runAgent(context.Background(), env.Client, env.Model, "How many people live in Paris?", []vllm.Tool{def}, 5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("answer:", answer)

	// The library's Agent runs the same loop: tools are Go functions whose
	// argument type gives the schema; tool errors go back to the model.
	type popArgs struct {
		City string `json:"city" description:"the city"`
	}
	population := vllm.MustFunc("lookup_population", "Population of a city",
		func(_ context.Context, a popArgs) (map[string]any, error) {
			return map[string]any{"city": a.City, "population": 2_100_000}, nil
		})
	agent := vllm.NewAgent(env.Client, env.Model, population)
	agent.MaxRounds = 5
	res, err := agent.Run(context.Background(), []vllm.Message{vllm.User("How many people live in Paris?")})
	if err != nil {
		log.Fatal(err) // a *vllm.RoundLimitError when MaxRounds is reached
	}
	fmt.Printf("agent: %d rounds, %d tool calls: %s\n", res.Rounds, res.ToolCalls, res.Content())
}
