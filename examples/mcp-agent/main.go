// An agent whose tools come from an MCP server: the server runs in this
// process (the official Go SDK's in-memory transport joins it to the
// client), vllmmcp turns its tools into agent tools, and the agent calls
// them when the model asks. A real server is reached the same way with an
// *mcp.CommandTransport (a command speaking MCP on stdin/stdout) or an
// *mcp.StreamableClientTransport (an HTTP endpoint), or from an mcpServers
// JSON file with vllmmcp.ParseConfig.
//
// This example is its own Go module (see go.mod) so that the library's
// module needs no MCP dependency.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
	vllmmcp "github.com/vllmgo/vllm/mcp"
)

// weatherArgs are the arguments of the server's get_weather tool; the SDK
// derives the tool's input schema from the type.
type weatherArgs struct {
	City string `json:"city" jsonschema:"the city"`
}

// weather is the server's answer.
type weather struct {
	City        string `json:"city"`
	Temperature int    `json:"temperature_c"`
	Sky         string `json:"sky"`
}

// newWeatherServer is the MCP server: one tool, get_weather.
func newWeatherServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "weather", Version: "v1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "get_weather", Description: "Current weather in a city"},
		func(_ context.Context, _ *mcp.CallToolRequest, a weatherArgs) (*mcp.CallToolResult, weather, error) {
			if a.City == "" {
				return nil, weather{}, errors.New("city is required") // the model reads this as a tool error
			}
			return nil, weather{City: a.City, Temperature: 18, Sky: "clear"}, nil
		})
	return s
}

func main() {
	exampleenv.Run(runMCPAgent)
}

// runMCPAgent serves the MCP tool in memory, connects to it and lets the
// agent use it.
func runMCPAgent(ctx context.Context, env *exampleenv.Env) error {
	// Start the server on one end of an in-memory pipe...
	clientEnd, serverEnd := mcp.NewInMemoryTransports()
	session, err := newWeatherServer().Connect(ctx, serverEnd, nil)
	if err != nil {
		return err
	}
	defer session.Close()
	// ...and connect to it from the other.
	toolset, err := vllmmcp.Connect(ctx, []vllmmcp.Server{{Name: "weather", Transport: clientEnd}}, nil)
	if err != nil {
		return err
	}
	defer toolset.Close()
	tools, err := toolset.Tools(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tools {
		names = append(names, t.Def.Function.Name)
	}
	fmt.Printf("MCP tools: %s\n", strings.Join(names, ", "))

	a := agent.New(env.Client, env.Model, tools...)
	a.MaxRounds = 4
	a.OnToolResult = func(call vllm.ToolCall, result string, err error) {
		fmt.Printf("tool %s(%s) -> %s\n", call.Name, call.Arguments, result)
	}
	res, err := a.Run(ctx, []vllm.Message{vllm.User("What is the weather in Paris?")})
	var limit *agent.RoundLimitError
	switch {
	case errors.As(err, &limit):
		fmt.Printf("the model still called tools after %d rounds\n", limit.Limit)
		return nil
	case err != nil:
		return err
	}
	if res.ToolCalls == 0 {
		fmt.Println("the model answered without calling a tool")
	}
	fmt.Printf("answer after %d tool calls: %s\n", res.ToolCalls, res.Text())
	return nil
}
