// Tool errors: a tool that fails, arguments that do not decode, and a tool
// that does not exist are all reported back to the model as tool results, so
// that it can recover, instead of ending the conversation.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

type divideArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// executeSafely never fails: every error becomes a result the model reads.
func executeSafely(call vllm.ToolCall) any {
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
	env := exampleenv.Start(nil)
	defer env.Close()
	ctx := context.Background()

	// What the model may send, well-formed or not:
	for _, call := range []vllm.ToolCall{
		{ID: "call-1", Name: "divide", Arguments: `{"a": 1, "b": 0}`},
		{ID: "call-2", Name: "divide", Arguments: `{"a": 1, "b": `},
		{ID: "call-3", Name: "sqrt", Arguments: `{"x": 2}`},
	} {
		msg, err := vllm.ToolResult(call.ID, executeSafely(call))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s(%s) -> %s\n", call.Name, call.Arguments, msg.Content)
	}

	// And in a real exchange:
	divide, err := vllm.NewTool("divide", "Divide a by b",
		`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`)
	if err != nil {
		log.Fatal(err)
	}
	req := &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("What is 10 divided by 0?")}, Tools: []vllm.Tool{divide}}
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	req.Messages = append(req.Messages, resp.AssistantMessage())
	for _, call := range resp.ToolCalls() {
		msg, err := vllm.ToolResult(call.ID, executeSafely(call))
		if err != nil {
			log.Fatal(err)
		}
		req.Messages = append(req.Messages, msg)
	}
	final, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("answer:", final.Text())
}
