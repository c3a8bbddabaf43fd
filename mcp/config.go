package vllmmcp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ParseConfig reads servers from a JSON configuration in the shape other
// MCP hosts use (Claude Desktop, Cursor, VS Code's "servers" aside):
//
//	{"mcpServers": {
//	  "files": {"command": "mcp-files", "args": ["/srv"], "env": {"ROOT": "/srv"}, "cwd": "/tmp"},
//	  "search": {"type": "http", "url": "https://example.com/mcp", "headers": {"Authorization": "Bearer …"}}
//	}}
//
// A server with "command" runs it and speaks MCP on its stdin/stdout (its
// environment is this process's plus "env"); one with "url" uses the
// streamable HTTP transport, sending "headers" with every request. "type",
// when given, must agree ("stdio", or "http" / "streamable-http"); the old
// SSE transport is not supported. A server with "disabled": true is left
// out; other fields are ignored. Servers are returned in name order.
func ParseConfig(data []byte) ([]Server, error) {
	var cfg struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("vllmmcp: config: %v", err)
	}
	if cfg.MCPServers == nil {
		return nil, fmt.Errorf(`vllmmcp: config: no "mcpServers" object`)
	}
	names := make([]string, 0, len(cfg.MCPServers))
	for name := range cfg.MCPServers {
		names = append(names, name)
	}
	sort.Strings(names)
	var servers []Server
	for _, name := range names {
		var c struct {
			Type     string            `json:"type"`
			Command  string            `json:"command"`
			Args     []string          `json:"args"`
			Env      map[string]string `json:"env"`
			Cwd      string            `json:"cwd"`
			URL      string            `json:"url"`
			Headers  map[string]string `json:"headers"`
			Disabled bool              `json:"disabled"`
		}
		if err := json.Unmarshal(cfg.MCPServers[name], &c); err != nil {
			return nil, fmt.Errorf("vllmmcp: config: mcpServers.%s: %v", name, err)
		}
		if c.Disabled {
			continue
		}
		if !serverName.MatchString(name) {
			return nil, fmt.Errorf("vllmmcp: config: mcpServers.%q: a server's name may hold only letters, digits, '_' and '-'", name)
		}
		field := "vllmmcp: config: mcpServers." + name
		switch {
		case c.Command != "" && c.URL != "":
			return nil, fmt.Errorf(`%s: give "command" or "url", not both`, field)
		case c.Command != "":
			if c.Type != "" && c.Type != "stdio" {
				return nil, fmt.Errorf(`%s: "type" %q does not go with "command" (use "stdio")`, field, c.Type)
			}
			cmd := exec.Command(c.Command, c.Args...)
			cmd.Dir = c.Cwd
			if len(c.Env) > 0 {
				cmd.Env = os.Environ()
				keys := make([]string, 0, len(c.Env))
				for k := range c.Env {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					cmd.Env = append(cmd.Env, k+"="+c.Env[k])
				}
			}
			servers = append(servers, Server{Name: name, Transport: &mcp.CommandTransport{Command: cmd}})
		case c.URL != "":
			switch c.Type {
			case "", "http", "streamable-http", "streamableHttp":
			case "sse":
				return nil, fmt.Errorf(`%s: the SSE transport is not supported; use the server's streamable HTTP endpoint`, field)
			default:
				return nil, fmt.Errorf(`%s: unknown "type" %q (want "http")`, field, c.Type)
			}
			t := &mcp.StreamableClientTransport{Endpoint: c.URL}
			if len(c.Headers) > 0 {
				t.HTTPClient = &http.Client{Transport: headerTransport{headers: c.Headers, next: http.DefaultTransport}}
			}
			servers = append(servers, Server{Name: name, Transport: t})
		default:
			return nil, fmt.Errorf(`%s: "command" or "url" is required`, field)
		}
	}
	return servers, nil
}

// headerTransport adds headers to every request.
type headerTransport struct {
	headers map[string]string
	next    http.RoundTripper
}

// RoundTrip sends req with the headers set.
func (h headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	return h.next.RoundTrip(req)
}
