package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm/vllmtest"
)

// mcpServerEnv makes this test binary an MCP server on stdin/stdout (for the
// tests that give the chat --mcp): get_weather answers at once; slow creates
// the file $VLLM_TEST_MCP_DIR/started, waits until the call is cancelled,
// then creates $VLLM_TEST_MCP_DIR/cancelled.
const mcpServerEnv = "VLLM_TEST_MCP_SERVER"

func init() {
	if os.Getenv(mcpServerEnv) == "" {
		return
	}
	dir := os.Getenv("VLLM_TEST_MCP_DIR")
	s := mcp.NewServer(&mcp.Implementation{Name: "weather", Version: "v1"}, nil)
	type cityArgs struct {
		City string `json:"city"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "get_weather", Description: "Current weather"},
		func(_ context.Context, _ *mcp.CallToolRequest, a cityArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "18C and clear in " + a.City}}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "slow", Description: "Takes forever"},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			os.WriteFile(filepath.Join(dir, "started"), nil, 0o644)
			<-ctx.Done()
			os.WriteFile(filepath.Join(dir, "cancelled"), nil, 0o644)
			return nil, nil, ctx.Err()
		})
	if err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// toolScript calls get_weather for prompts about the weather and slow for
// "slow" ones, and answers with the tool's result after it.
func toolScript(r *vllmtest.Request) *vllmtest.Reply {
	if r.Chat == nil {
		return nil
	}
	last := r.Chat.Messages[len(r.Chat.Messages)-1]
	switch text := last.Text(); {
	case last.Role == "tool":
		return &vllmtest.Reply{Content: "Tool said: " + text}
	case strings.Contains(text, "weather"):
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "get_weather", Arguments: `{"city": "Paris"}`}}}
	case strings.Contains(text, "slow"):
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "slow", Arguments: `{}`}}}
	}
	return &vllmtest.Reply{Content: "No tool needed."}
}

func TestSplitCommandLine(t *testing.T) {
	for line, want := range map[string][]string{
		`npx -y @scope/server /tmp`:            {"npx", "-y", "@scope/server", "/tmp"},
		`  server  'a b'  "c \"d\" \$e" f\ g `: {"server", "a b", `c "d" $e`, "f g"},
		`x ''`:                                 {"x", ""},
		``:                                     nil,
	} {
		got, err := splitCommandLine(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, %v; want %q", line, got, err, want)
		}
	}
	for _, line := range []string{`a 'b`, `a "b`, `a \`} {
		if got, err := splitCommandLine(line); err == nil {
			t.Errorf("%q: %q, want an error", line, got)
		}
	}
}

func TestServerNameFor(t *testing.T) {
	taken := map[string]bool{}
	var got []string
	for _, cmd := range []string{"/usr/bin/npx", "npx", "./my server.py", "@@"} {
		name := serverNameFor(cmd, taken)
		taken[name] = true
		got = append(got, name)
	}
	if want := []string{"npx", "npx-2", "my-server", "mcp"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
}

func TestChatMCPFlagErrors(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "mcp.json")
	os.WriteFile(cfg, []byte(`{"mcpServers":{"a":{"type":"sse","url":"http://h/sse"}}}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"chat", "--mcp", "server", "hi"}, "MCP tool calls are confirmed on the terminal: run on one, or pass --yes"},
		{[]string{"chat", "--yes", "--mcp", "server 'x", "hi"}, `--mcp "server 'x": unterminated ' quote`},
		{[]string{"chat", "--yes", "--mcp-config", cfg, "hi"}, "--mcp-config " + cfg + ": mcpServers.a: the SSE transport is not supported"},
		{[]string{"chat", "--yes", "--json", "--mcp", "server", "hi"}, "--json does not go with MCP tools"},
		{[]string{"chat", "--yes", "--mcp", "vllm-no-such-mcp-server", "hi"}, `MCP server "vllm-no-such-mcp-server": start: exec: "vllm-no-such-mcp-server": executable file not found`},
	} {
		r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL}, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestOneShotChatWithMCPToolsAndYes(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithHandler(toolScript))
	defer srv.Close()
	t.Setenv(mcpServerEnv, "1") // for the server the chat starts
	r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL}, "chat", "--yes", "--mcp", os.Args[0], "what is the weather in Paris?")
	if r.code != 0 || r.stdout != "Tool said: 18C and clear in Paris\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	want := "[MCP tools: get_weather, slow]\n[tool get_weather {\"city\": \"Paris\"}]\n[result: 18C and clear in Paris]\n"
	if r.stderr != want {
		t.Fatalf("stderr %q, want %q", r.stderr, want)
	}
	var reqs []vllmtest.Request
	for _, r := range srv.Requests() {
		if r.Chat != nil {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) != 2 {
		t.Fatalf("%d chat requests", len(reqs))
	}
	msgs := reqs[1].Chat.Messages
	if len(msgs) != 3 || msgs[1].Role != "assistant" || msgs[2].Role != "tool" || msgs[2].Text() != "18C and clear in Paris" {
		t.Fatalf("second request %s", reqs[1].Body)
	}
}
