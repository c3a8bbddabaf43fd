package vllmmcp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestConfigServersOverStdioAndStreamableHTTP(t *testing.T) {
	srv := newServer(textTool("lookup", objectSchema, "found it"))
	var mu sync.Mutex
	var auth []string
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close) // runs after the Toolset's Close: cleanups run in reverse order
	exe, err := json.Marshal(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	cfg := `{"mcpServers": {
		"remote": {"type": "http", "url": "` + hs.URL + `", "headers": {"Authorization": "Bearer s3cret"}},
		"local": {"command": ` + string(exe) + `, "args": ["-test.run=^$"], "env": {"` + serverModeEnv + `": "tools"}, "alwaysAllow": ["echo"]},
		"off": {"command": "vllmmcp-no-such-server", "disabled": true}
	}}`
	servers, err := ParseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 2 || servers[0].Name != "local" || servers[1].Name != "remote" {
		t.Fatalf("servers %+v", servers)
	}
	tools := listTools(t, connect(t, nil, servers...))
	if got := toolNames(tools); got != "crash echo lookup" {
		t.Fatalf("tools %q", got)
	}
	if got, err := runTool(t, t.Context(), tools, "lookup", `{"q":"x"}`); err != nil || got != "found it" {
		t.Fatalf("lookup over HTTP: %q, %v", got, err)
	}
	if got, err := runTool(t, t.Context(), tools, "echo", `{"q":"x"}`); err != nil || got != `echo {"q":"x"}` {
		t.Fatalf("echo over stdio: %q, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) == 0 {
		t.Fatal("no HTTP request")
	}
	for _, a := range auth {
		if a != "Bearer s3cret" {
			t.Fatalf("Authorization %q, want the configured header on every request", a)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		`[]`:                      `vllmmcp: config: json: cannot unmarshal array`,
		`{}`:                      `vllmmcp: config: no "mcpServers" object`,
		`{"mcpServers":{"a":{}}}`: `vllmmcp: config: mcpServers.a: "command" or "url" is required`,
		`{"mcpServers":{"a":{"command":"x","url":"http://h"}}}`:    `vllmmcp: config: mcpServers.a: give "command" or "url", not both`,
		`{"mcpServers":{"a":{"type":"sse","url":"http://h/sse"}}}`: `vllmmcp: config: mcpServers.a: the SSE transport is not supported; use the server's streamable HTTP endpoint`,
		`{"mcpServers":{"a":{"type":"http","command":"x"}}}`:       `vllmmcp: config: mcpServers.a: "type" "http" does not go with "command" (use "stdio")`,
		`{"mcpServers":{"a":{"type":"ws","url":"ws://h"}}}`:        `vllmmcp: config: mcpServers.a: unknown "type" "ws" (want "http")`,
		`{"mcpServers":{"my server":{"command":"x"}}}`:             `vllmmcp: config: mcpServers."my server": a server's name may hold only letters, digits, '_' and '-'`,
		`{"mcpServers":{"a":{"command":"x","args":"-v"}}}`:         `vllmmcp: config: mcpServers.a: json: cannot unmarshal string`,
	} {
		_, err := ParseConfig([]byte(cfg))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v\nwant %s", cfg, err, want)
		}
	}
}

func TestConnectRejectsBadServerLists(t *testing.T) {
	ct, _ := mcp.NewInMemoryTransports()
	for _, tc := range []struct {
		servers []Server
		want    string
	}{
		{[]Server{{Transport: ct}}, `vllmmcp: servers[0].Name is required`},
		{[]Server{{Name: "a.b", Transport: ct}}, `vllmmcp: servers[0].Name "a.b": use only letters, digits, '_' and '-'`},
		{[]Server{{Name: "a", Transport: ct}, {Name: "a", Transport: ct}}, `vllmmcp: servers[1].Name "a" is given twice`},
		{[]Server{{Name: "a"}}, `vllmmcp: servers[0] ("a"): Transport is required`},
	} {
		if _, err := Connect(t.Context(), tc.servers, nil); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.servers, err, tc.want)
		}
	}
}
