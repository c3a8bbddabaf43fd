// A multi-round agent with the library's Agent: tools are Go functions
// (agent.Func derives each tool's schema from its argument type), and the
// agent calls the model, runs every tool it asks for, sends the results back
// and repeats until the model answers in text or the round limit is hit.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

// populationArgs are the tool's arguments; json tags name them and
// description tags document them in the schema sent to the model.
type populationArgs struct {
	City string `json:"city" description:"the city"`
}

func lookupPopulation(_ context.Context, a populationArgs) (map[string]any, error) {
	if a.City == "" {
		return nil, errors.New("city is required") // sent to the model as a tool error
	}
	return map[string]any{"city": a.City, "population": 2_100_000}, nil
}

func main() {
	exampleenv.Run(runAgent)
}

// runAgent lets the agent answer a question with a tool, then stops it at
// one round and resumes it.
func runAgent(ctx context.Context, env *exampleenv.Env) error {
	population, err := agent.Func("lookup_population", "Population of a city", lookupPopulation)
	if err != nil {
		return err
	}
	a := agent.New(env.Client, env.Model, population)
	a.MaxRounds = 5
	a.OnToolResult = func(call vllm.ToolCall, result string, err error) {
		fmt.Printf("tool %s(%s) -> %s\n", call.Name, call.Arguments, result)
	}

	question := []vllm.Message{vllm.User("How many people live in Paris?")}
	res, err := a.Run(ctx, question)
	var limit *agent.RoundLimitError
	switch {
	case errors.As(err, &limit):
		// The model may keep calling tools: the run stops at MaxRounds.
		fmt.Printf("no answer: %v\n", err)
	case err != nil:
		return err
	default:
		fmt.Printf("answer after %s, %s: %s\n", exampleenv.Count(res.Rounds, "round"),
			exampleenv.Count(res.ToolCalls, "tool call"), exampleenv.Answer(res.Response))
	}

	// With too few rounds the run stops while the model still calls tools;
	// the error carries the conversation so far, to go on from.
	a.MaxRounds = 1
	_, err = a.Run(ctx, question)
	switch {
	case errors.As(err, &limit):
		fmt.Printf("stopped: %v\n", err)
	case err != nil:
		return err
	default:
		fmt.Println("the model answered within 1 round: nothing to resume")
		return nil
	}
	res, err = a.Run(ctx, limit.Messages)
	switch {
	case errors.As(err, &limit):
		fmt.Printf("resumed, stopped again: %v\n", err)
	case err != nil:
		return err
	default:
		fmt.Printf("resumed: %s, %d messages in all: %s\n", exampleenv.Count(res.Rounds, "round"), len(res.Messages), exampleenv.Answer(res.Response))
	}
	return nil
}
