// Parallel tool calls: the model calls several tools in one answer; they run
// concurrently and every result goes back in one request.
package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

// mustTool is vllm.NewTool for a schema written in the program: a schema it
// refuses is a bug, so it panics.
func mustTool(name, desc, schema string) vllm.Tool {
	t, err := vllm.NewTool(name, desc, schema)
	if err != nil {
		panic(err)
	}
	return t
}

func execute(call vllm.ToolCall) any {
	var args map[string]any
	if err := call.DecodeArguments(&args); err != nil {
		return err // sent back to the model as "error: ..."
	}
	switch call.Name {
	case "get_weather":
		return map[string]any{"location": args["location"], "temperature": 18}
	case "get_time":
		return map[string]any{"location": args["location"], "time": "14:05"}
	}
	return fmt.Errorf("unknown tool %q", call.Name)
}

func main() {
	exampleenv.Run(callToolsInParallel)
}

// callToolsInParallel offers two tools, runs the calls the model makes at
// once concurrently and sends every result back.
func callToolsInParallel(ctx context.Context, env *exampleenv.Env) error {
	schema := `{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}`
	req := &vllm.ChatRequest{
		Model:             env.Model,
		Messages:          []vllm.Message{vllm.User("Use get_weather and get_time for Paris.")},
		Tools:             []vllm.Tool{mustTool("get_weather", "Weather in a city", schema), mustTool("get_time", "Local time in a city", schema)},
		ParallelToolCalls: vllm.Ptr(true),
	}
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	calls := resp.ToolCalls()
	if len(calls) == 0 {
		// The model may answer without calling a tool.
		fmt.Println("the model called no tool; answer:", exampleenv.Answer(resp))
		return nil
	}
	fmt.Printf("the model made %s at once\n", exampleenv.Count(len(calls), "call"))

	results := make([]vllm.Message, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			results[i], errs[i] = vllm.ToolResult(call.ID, execute(call))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, call := range calls {
		fmt.Printf("  %s(%s) -> %s\n", call.Name, call.Arguments, results[i].Content)
	}

	req.Messages = append(req.Messages, resp.AssistantMessage())
	req.Messages = append(req.Messages, results...)
	final, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("answer:", exampleenv.Answer(final))
	return nil
}
