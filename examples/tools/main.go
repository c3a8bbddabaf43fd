// Tool calling: offer a tool, run the call the model makes, send the result
// back, and print the final answer.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

// weatherArgs are the arguments of get_weather. The tool's JSON schema is
// derived from this type (ToolFor), and the call's arguments decode into it.
type weatherArgs struct {
	Location string `json:"location" description:"City name, e.g. Paris"`
	Unit     string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
}

func getWeather(a weatherArgs) map[string]any {
	return map[string]any{"location": a.Location, "temperature": 22, "unit": "celsius", "condition": "sunny"}
}

func main() {
	exampleenv.Run(callWeatherTool)
}

// callWeatherTool offers get_weather, runs the call the model makes and
// sends the result back for the answer.
func callWeatherTool(ctx context.Context, env *exampleenv.Env) error {
	weather, err := vllm.ToolFor[weatherArgs]("get_weather", "Get the current weather for a location")
	if err != nil {
		return err
	}
	req := &vllm.ChatRequest{
		Model:      env.Model,
		Messages:   []vllm.Message{vllm.User("What is the weather like in Paris?")},
		Tools:      []vllm.Tool{weather},
		ToolChoice: vllm.ToolChoiceAuto,
	}
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	calls := resp.ToolCalls()
	if len(calls) == 0 {
		fmt.Println("the model answered directly:", exampleenv.Answer(resp))
		return nil
	}
	call := calls[0]
	fmt.Println("tool schema:", string(weather.Function.Parameters))
	fmt.Printf("tool call: %s(%s) id=%s\n", call.Name, call.Arguments, call.ID)

	var args weatherArgs
	if err := call.DecodeArguments(&args); err != nil {
		return err // names the tool and shows the malformed arguments
	}
	result, err := vllm.ToolResult(call.ID, getWeather(args))
	if err != nil {
		return err
	}
	// The assistant message carries the tool calls; the tool message answers them.
	req.Messages = append(req.Messages, resp.AssistantMessage(), result)
	final, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("answer:", exampleenv.Answer(final))
	return nil
}
