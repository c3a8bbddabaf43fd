package vllmmcp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestHTTPServerGoneMidSession: a call to a streamable HTTP server that has
// stopped fails at once, saying why, for the model to read.
func TestHTTPServerGoneMidSession(t *testing.T) {
	srv := newServer(textTool("lookup", objectSchema, "found it"))
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	tools := listTools(t, connect(t, nil, Server{Name: "web", Transport: &mcp.StreamableClientTransport{Endpoint: hs.URL}}))
	hs.CloseClientConnections()
	hs.Close()
	got, err := runTool(t, t.Context(), tools, "lookup", `{"q":"x"}`)
	if err == nil || !strings.HasPrefix(err.Error(), `MCP server "web", tool "lookup": call: `) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("a call to the stopped server: %q, %v", got, err)
	}
}
