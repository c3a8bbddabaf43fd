package vllmmcp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	"github.com/vllmgo/vllm/vllmtest"
)

// callThenAnswer makes vllmtest call the named tool with args on the first
// turn and, after the tool's result, answer with that result quoted.
func callThenAnswer(tool, args string) vllmtest.Handler {
	return func(r *vllmtest.Request) *vllmtest.Reply {
		if r.Chat == nil {
			return nil
		}
		last := r.Chat.Messages[len(r.Chat.Messages)-1]
		if last.Role == "tool" {
			return &vllmtest.Reply{Content: "the tool said: " + last.Text()}
		}
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: tool, Arguments: args}}}
	}
}

func TestAgentRunsMCPToolOnVLLMTest(t *testing.T) {
	var got json.RawMessage
	srv := newServer(serverTool{name: "population", description: "Population of a city",
		schema: `{"type":"object","properties":{"city":{"type":"string","description":"the city"}},"required":["city"]}`,
		handler: func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			got = req.Params.Arguments
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "2100000 people"}}}, nil
		}})
	ts := connectInMemory(t, nil, named{"cities", srv})
	tools, err := ts.Tools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	vt := vllmtest.NewServer(vllmtest.WithHandler(callThenAnswer("population", `{"city": "Paris"}`)))
	defer vt.Close()
	c, err := vllm.New(vt.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := agent.New(c, vllmtest.DefaultModel, tools...).Run(t.Context(), []vllm.Message{vllm.User("How many people live in Paris?")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text() != "the tool said: 2100000 people" || res.ToolCalls != 1 {
		t.Fatalf("answer %q after %d calls", res.Text(), res.ToolCalls)
	}
	if string(got) != `{"city":"Paris"}` { // the model's arguments, compacted by the SDK's encoder
		t.Errorf("the MCP server got arguments %s", got)
	}
	reqs := vt.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	wantTools := `[{"type":"function","function":{"name":"population","description":"Population of a city",` +
		`"parameters":{"properties":{"city":{"description":"the city","type":"string"}},"required":["city"],"type":"object"}}}]`
	var body struct{ Tools json.RawMessage }
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if tools := string(body.Tools); tools != wantTools {
		t.Errorf("tools sent:\n%s\nwant\n%s", tools, wantTools)
	}
	msgs := reqs[1].Chat.Messages
	if last := msgs[len(msgs)-1]; last.Role != "tool" || last.Text() != "2100000 people" || !strings.HasPrefix(last.ToolCallID, "chatcmpl-tool-") {
		t.Errorf("tool message sent: %+v", last)
	}
}

// runTool calls the named tool of tools as the agent does.
func runTool(t *testing.T, ctx context.Context, tools []agent.Tool, name, args string) (any, error) {
	t.Helper()
	for _, tool := range tools {
		if tool.Def.Function.Name == name {
			return tool.Run(ctx, vllm.ToolCall{ID: "call-1", Type: "function", Name: name, Arguments: args})
		}
	}
	t.Fatalf("no tool %q", name)
	return nil, nil
}

func toolNames(tools []agent.Tool) string {
	var names []string
	for _, t := range tools {
		names = append(names, t.Def.Function.Name)
	}
	return strings.Join(names, " ")
}

func TestClashingNamesArePrefixedWithTheServer(t *testing.T) {
	ts := connectInMemory(t, nil,
		named{"web", newServer(textTool("search", objectSchema, "from web"), textTool("fetch", objectSchema, "fetched"))},
		named{"docs", newServer(textTool("search", objectSchema, "from docs"))})
	tools, err := ts.Tools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := toolNames(tools); got != "web__fetch web__search docs__search" && got != "fetch web__search docs__search" {
		// the SDK lists tools sorted by name
		t.Fatalf("tool names %q", got)
	}
	for name, want := range map[string]string{"web__search": "from web", "docs__search": "from docs", "fetch": "fetched"} {
		got, err := runTool(t, t.Context(), tools, name, `{"q":"x"}`)
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %q", name, got, err, want)
		}
	}
}

func TestNameStillClashingAfterPrefixIsAnError(t *testing.T) {
	ts := connectInMemory(t, nil,
		named{"a", newServer(textTool("x", objectSchema, ""), textTool("b__x", objectSchema, ""))},
		named{"b", newServer(textTool("x", objectSchema, ""))})
	_, err := ts.Tools(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.Server != "b" || e.Op != "schema" ||
		!strings.Contains(err.Error(), `the tool name "b__x" is also the name of server "a"'s tool "b__x"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestToolListIsReadAgainAfterListChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newServer(textTool("one", objectSchema, "1"))
		ts := connectInMemory(t, nil, named{"s", srv})
		tools, err := ts.Tools(t.Context())
		if err != nil || toolNames(tools) != "one" {
			t.Fatalf("%q, %v", toolNames(tools), err)
		}
		srv.AddTool(&mcp.Tool{Name: "two", InputSchema: json.RawMessage(objectSchema)}, textTool("two", objectSchema, "2").handler)
		time.Sleep(time.Second) // the SDK's server batches change notifications (10ms); time is simulated
		synctest.Wait()         // the notification reaches the client
		if !ts.servers[0].stale.Load() {
			t.Fatal("notifications/tools/list_changed did not mark the list stale")
		}
		tools, err = ts.Tools(t.Context())
		if err != nil || toolNames(tools) != "one two" {
			t.Fatalf("after the change: %q, %v", toolNames(tools), err)
		}
		srv.RemoveTools("one")
		time.Sleep(time.Second)
		synctest.Wait()
		tools, err = ts.Tools(t.Context())
		if err != nil || toolNames(tools) != "two" {
			t.Fatalf("after the removal: %q, %v", toolNames(tools), err)
		}
		ts.Close()
	})
}

func TestToolListIsCachedUntilChanged(t *testing.T) {
	raw := &rawServer{tools: `{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}`}
	ts := connect(t, nil, Server{Name: "raw", Transport: raw.transport(t)})
	for range 2 {
		if _, err := ts.Tools(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, m := range raw.methods {
		if m == "tools/list" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("tools/list sent %d times for two Tools calls without a change", n)
	}
}

func TestCallTimesOutAndIsCancelledOnTheServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cancelled := make(chan struct{})
		srv := newServer(serverTool{name: "slow", schema: objectSchema,
			handler: func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				<-ctx.Done()
				close(cancelled)
				return nil, ctx.Err()
			}})
		ts := connectInMemory(t, &Options{Timeout: 3 * time.Second}, named{"s", srv})
		tools, err := ts.Tools(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = runTool(t, t.Context(), tools, "slow", `{}`)
		if time.Since(start) != 3*time.Second {
			t.Errorf("the call returned after %v, want the 3s timeout", time.Since(start))
		}
		if !errors.Is(err, context.DeadlineExceeded) || err.Error() != `MCP server "s", tool "slow": call: timed out after 3s` {
			t.Fatalf("err = %v", err)
		}
		select {
		case <-cancelled:
		case <-time.After(time.Minute):
			t.Fatal("the server's handler was not cancelled")
		}
		ts.Close()
	})
}

func TestCallIsCancelledWithTheAgentsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		srv := newServer(serverTool{name: "slow", schema: objectSchema,
			handler: func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}})
		ts := connectInMemory(t, nil, named{"s", srv})
		tools, err := ts.Tools(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-started; cancel() }()
		_, err = runTool(t, ctx, tools, "slow", `{}`)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		ts.Close()
	})
}

func TestToolErrorResultReachesTheModelAsAnError(t *testing.T) {
	srv := newServer(serverTool{name: "read", schema: objectSchema,
		handler: func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "no such file: a.txt"}}}, nil
		}})
	ts := connectInMemory(t, nil, named{"fs", srv})
	tools, err := ts.Tools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = runTool(t, t.Context(), tools, "read", `{"q":"a.txt"}`)
	msg, _ := vllm.ToolResult("call-1", err)
	if msg.Content != `error: MCP server "fs", tool "read": tool error: no such file: a.txt` {
		t.Fatalf("tool message %q", msg.Content)
	}
}

func TestMalformedArgumentsAreNotSent(t *testing.T) {
	raw := &rawServer{tools: `{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}`, call: `{"content":[]}`}
	tools := listTools(t, connect(t, nil, Server{Name: "raw", Transport: raw.transport(t)}))
	for args, want := range map[string]string{
		`{"q": `: `MCP server "raw", tool "t": arguments: the arguments are not valid JSON: {"q":`,
		`[1]`:    `MCP server "raw", tool "t": arguments: the arguments are not a JSON object: [1]`,
	} {
		if _, err := runTool(t, t.Context(), tools, "t", args); err == nil || err.Error() != want {
			t.Errorf("arguments %s: %v", args, err)
		}
	}
	if raw.called("tools/call") {
		t.Error("malformed arguments were sent to the server")
	}
	if got, err := runTool(t, t.Context(), tools, "t", ``); err != nil || got != "" {
		t.Errorf("empty arguments (sent as {}): %q, %v", got, err)
	}
}

func TestResultsThatDoNotDecodeAreToolErrors(t *testing.T) {
	for name, tc := range map[string]struct{ result, want string }{
		"unknown content type":      {`{"content":[{"type":"hologram","text":"x"}]}`, `MCP server "raw", tool "t": call: `},
		"content not a list":        {`{"content":"hello"}`, `MCP server "raw", tool "t": call: `},
		"result not an object":      {`[1,2]`, `MCP server "raw", tool "t": call: `},
		"resource without contents": {`{"content":[{"type":"resource"}]}`, `MCP server "raw", tool "t": `},
	} {
		t.Run(name, func(t *testing.T) {
			raw := &rawServer{tools: `{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}`, call: tc.result}
			tools := listTools(t, connect(t, nil, Server{Name: "raw", Transport: raw.transport(t)}))
			got, err := runTool(t, t.Context(), tools, "t", `{}`)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %q, %v; want an error starting %q", got, err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestSchemasVLLMWouldRejectAreErrors(t *testing.T) {
	raw := &rawServer{tools: `{"tools":[` +
		`{"name":"ok","inputSchema":{"type":"object","properties":{}}},` +
		`{"name":"list","inputSchema":["not","a","schema"]},` +
		`{"name":"text","inputSchema":{"type":"string"}},` +
		`{"name":"anything","inputSchema":true}]}`}
	_, err := connect(t, nil, Server{Name: "raw", Transport: raw.transport(t)}).Tools(t.Context())
	want := []string{
		`MCP server "raw", tool "list": schema: the input schema is not a JSON object (vLLM accepts tool parameters only as an object): ["not","a","schema"]`,
		`MCP server "raw", tool "text": schema: the input schema's type is "string", not "object" (tool arguments are a JSON object)`,
		`MCP server "raw", tool "anything": schema: the input schema is not a JSON object (vLLM accepts tool parameters only as an object): true`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("err =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}

	// The filter leaves them out; the rest is offered.
	filter := &Options{Filter: func(server string, tool *mcp.Tool) bool { return server == "raw" && tool.Name == "ok" }}
	tools, err := connect(t, filter, Server{Name: "raw", Transport: (&rawServer{tools: raw.tools}).transport(t)}).Tools(t.Context())
	if err != nil || toolNames(tools) != "ok" || string(tools[0].Def.Function.Parameters) != `{"properties":{},"type":"object"}` {
		t.Fatalf("filtered: %q, %v", toolNames(tools), err)
	}
}

func TestServerThatNeverAnswersTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		raw := &rawServer{tools: `{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}`} // no answer to tools/call
		ts := connect(t, &Options{Timeout: time.Second}, Server{Name: "raw", Transport: raw.transport(t)})
		tools := listTools(t, ts)
		_, err := runTool(t, t.Context(), tools, "t", `{}`)
		if err == nil || err.Error() != `MCP server "raw", tool "t": call: timed out after 1s` {
			t.Fatalf("err = %v", err)
		}
		synctest.Wait()
		if !raw.called("notifications/cancelled") {
			t.Error("the server was not told the call is cancelled")
		}
		ts.Close()
	})
}

func TestConnectTimesOutOnAServerThatNeverAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clientR, serverW := io.Pipe()
		serverR, clientW := io.Pipe()
		go io.Copy(io.Discard, serverR) // reads the initialize request, never answers
		start := time.Now()
		_, err := Connect(t.Context(), []Server{{Name: "mute", Transport: &mcp.IOTransport{Reader: clientR, Writer: clientW}}}, &Options{Timeout: 2 * time.Second})
		var e *Error
		if !errors.As(err, &e) || e.Op != "start" || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 2*time.Second {
			t.Fatalf("after %v: %v", time.Since(start), err)
		}
		if err.Error() != `MCP server "mute": start: timed out after 2s` {
			t.Errorf("message %q", err)
		}
		serverW.Close()
		serverR.Close()
	})
}
