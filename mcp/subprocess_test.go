package vllmmcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serverModeEnv makes the test binary an MCP server on its stdin/stdout
// instead of running the tests: "tools" serves echo and crash, "fail"
// exits at once with a message on stderr.
const serverModeEnv = "VLLMMCP_TEST_SERVER"

func TestMain(m *testing.M) {
	switch os.Getenv(serverModeEnv) {
	case "":
		os.Exit(m.Run())
	case "tools":
		srv := newServer(
			serverTool{name: "echo", schema: objectSchema, handler: func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo " + string(req.Params.Arguments)}}}, nil
			}},
			serverTool{name: "crash", schema: objectSchema, handler: func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				fmt.Fprintln(os.Stderr, "fatal: disk on fire")
				os.Exit(3)
				return nil, nil
			}})
		if err := srv.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stderr, "config file /nope: not found")
		os.Exit(1)
	}
}

// selfServer is this test binary run as an MCP server in mode.
func selfServer(t *testing.T, mode string) *mcp.CommandTransport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverModeEnv+"="+mode)
	return &mcp.CommandTransport{Command: cmd}
}

func TestSubprocessServerRunsTools(t *testing.T) {
	ts := connect(t, nil, Server{Name: "self", Transport: selfServer(t, "tools")})
	tools := listTools(t, ts)
	if got := toolNames(tools); got != "crash echo" {
		t.Fatalf("tools %q", got)
	}
	got, err := runTool(t, t.Context(), tools, "echo", `{"q": "hi"}`)
	if err != nil || got != `echo {"q":"hi"}` {
		t.Fatalf("%q, %v", got, err)
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := runTool(t, t.Context(), tools, "echo", `{}`); err == nil || err.Error() != `MCP server "self", tool "echo": call: the session is closed` {
		t.Fatalf("a call after Close: %v", err)
	}
}

func TestSubprocessServerDyingMidSession(t *testing.T) {
	ts := connect(t, nil, Server{Name: "self", Transport: selfServer(t, "tools")})
	tools := listTools(t, ts)
	_, err := runTool(t, t.Context(), tools, "crash", `{}`)
	if err == nil || !strings.HasPrefix(err.Error(), `MCP server "self", tool "crash": call: the server is gone: `) {
		t.Fatalf("the call the server died in: %v", err)
	}
	if strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("the server's stderr went into the model's tool message: %v", err)
	}
	// Later calls fail at once; the caller's Tools says what happened.
	if _, err := runTool(t, t.Context(), tools, "echo", `{}`); err == nil || !strings.Contains(err.Error(), "the server is gone") {
		t.Fatalf("a call after the death: %v", err)
	}
	_, err = ts.Tools(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.Op != "list tools" || !strings.Contains(e.Stderr, "fatal: disk on fire") ||
		!strings.Contains(err.Error(), "its stderr ends with: fatal: disk on fire") {
		t.Fatalf("Tools after the death: %v", err)
	}
}

func TestSubprocessServerFailingToStart(t *testing.T) {
	_, err := Connect(t.Context(), []Server{
		{Name: "ok", Transport: selfServer(t, "tools")},
		{Name: "broken", Transport: selfServer(t, "fail")},
	}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Server != "broken" || e.Op != "start" || e.Stderr != "config file /nope: not found\n" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.HasPrefix(err.Error(), `MCP server "broken": start: `) || !strings.HasSuffix(err.Error(), "; its stderr ends with: config file /nope: not found") {
		t.Errorf("message %q", err)
	}
}

func TestCommandNotFound(t *testing.T) {
	_, err := Connect(t.Context(), []Server{{Name: "gone", Transport: &mcp.CommandTransport{Command: exec.Command("vllmmcp-no-such-server")}}}, nil)
	if err == nil || !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}
