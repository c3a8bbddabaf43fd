// Tool errors: a tool that fails, arguments that do not decode, and a tool
// that does not exist are all reported back to the model as tool results, so
// that it can recover, instead of ending the conversation.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

type divideArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// executeSafely never fails: every error becomes a result the model reads.
func executeSafely(call vllm.ToolCall) any {
	if call.Name == "exchange_rate" {
		// A backend that is down: the model is told, and can say so.
		return map[string]any{"success": false, "error": "rate service unavailable"}
	}
	if call.Name != "divide" {
		return map[string]any{"success": false, "error": "unknown tool " + call.Name}
	}
	var a divideArgs
	if err := call.DecodeArguments(&a); err != nil {
		var ae *vllm.ToolArgumentsError
		if errors.As(err, &ae) {
			return map[string]any{"success": false, "error": "malformed arguments: " + ae.Arguments}
		}
		return map[string]any{"success": false, "error": err.Error()}
	}
	if a.B == 0 {
		return map[string]any{"success": false, "error": "division by zero"}
	}
	return map[string]any{"success": true, "value": a.A / a.B}
}

func main() {
	exampleenv.Run(reportToolErrors)
}

// reportToolErrors turns bad tool calls into results the model can read,
// alone and in an exchange.
func reportToolErrors(ctx context.Context, env *exampleenv.Env) error {
	// What the model may send, well-formed or not:
	for _, call := range []vllm.ToolCall{
		{ID: "call-1", Name: "divide", Arguments: `{"a": 1, "b": 0}`},
		{ID: "call-2", Name: "divide", Arguments: `{"a": 1, "b": `},
		{ID: "call-3", Name: "sqrt", Arguments: `{"x": 2}`},
	} {
		msg, err := vllm.ToolResult(call.ID, executeSafely(call))
		if err != nil {
			return err
		}
		fmt.Printf("%s(%s) -> %s\n", call.Name, call.Arguments, msg.Content)
	}

	// And in a real exchange, with a tool whose backend is down:
	rate, err := vllm.NewTool("exchange_rate", "Current exchange rate between two currencies",
		`{"type":"object","properties":{"from":{"type":"string"},"to":{"type":"string"}},"required":["from","to"]}`)
	if err != nil {
		return err
	}
	req := &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("How many yen is one euro today?")}, Tools: []vllm.Tool{rate}}
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	if len(resp.ToolCalls()) == 0 {
		// The model may answer without calling the tool.
		fmt.Println("the model called no tool; answer:", exampleenv.Answer(resp))
		return nil
	}
	req.Messages = append(req.Messages, resp.AssistantMessage())
	for _, call := range resp.ToolCalls() {
		msg, err := vllm.ToolResult(call.ID, executeSafely(call))
		if err != nil {
			return err
		}
		// Whatever the arguments, a division by zero or a bad call comes
		// back to the model as a result it can read.
		fmt.Printf("sent back to the model: %s(%s) -> %s\n", call.Name, call.Arguments, msg.Content)
		req.Messages = append(req.Messages, msg)
	}
	final, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("answer:", exampleenv.Answer(final))
	return nil
}
