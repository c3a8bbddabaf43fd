// Several tools: the model picks the one it needs; each call is dispatched to
// its Go function by name.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

type searchArgs struct {
	Query string `json:"query"`
	Limit int    `json:"limit,omitempty"`
}

type calcArgs struct {
	Expression string `json:"expression"`
}

// mustTool is vllm.NewTool for a schema written in the program: a schema it
// refuses is a bug, so it panics.
func mustTool(name, desc, schema string) vllm.Tool {
	t, err := vllm.NewTool(name, desc, schema)
	if err != nil {
		panic(err)
	}
	return t
}

// run executes one tool call and returns its result.
func run(call vllm.ToolCall) (any, error) {
	switch call.Name {
	case "web_search":
		var a searchArgs
		if err := call.DecodeArguments(&a); err != nil {
			return nil, err
		}
		return []string{"Result 1 for " + a.Query, "Result 2 for " + a.Query}, nil
	case "calculator":
		var a calcArgs
		if err := call.DecodeArguments(&a); err != nil {
			return nil, err
		}
		return map[string]string{"expression": a.Expression, "value": "392"}, nil
	}
	return nil, fmt.Errorf("unknown tool %q", call.Name)
}

func main() {
	exampleenv.Run(offerTwoTools)
}

// offerTwoTools offers two tools, runs what the model calls, then forces a
// call to one of them.
func offerTwoTools(ctx context.Context, env *exampleenv.Env) error {
	tools := []vllm.Tool{
		mustTool("web_search", "Search the web", `{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},"required":["query"]}`),
		mustTool("calculator", "Evaluate an arithmetic expression", `{"type":"object","properties":{"expression":{"type":"string"}},"required":["expression"]}`),
	}
	req := &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.User("Find the latest news about the Go programming language.")},
		Tools:    tools,
	}
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	for _, call := range resp.ToolCalls() {
		out, err := run(call)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(out)
		fmt.Printf("called %s -> %s\n", call.Name, b)
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Function.Name
	}
	fmt.Println("tools offered:", strings.Join(names, ", "))

	// Force a particular tool with ToolChoiceFunction.
	req.ToolChoice = vllm.ToolChoiceFunction("calculator")
	req.Messages = []vllm.Message{vllm.User("What is 15 * 23 + 47?")}
	forced, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	for _, call := range forced.ToolCalls() {
		fmt.Printf("forced call: %s(%s)\n", call.Name, call.Arguments)
	}
	return nil
}
