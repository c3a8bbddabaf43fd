package vllmmcp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm/agent"
)

// named is an in-process MCP server with the name its Toolset gives it.
type named struct {
	name string
	srv  *mcp.Server
}

// connect connects a Toolset to servers, failing the test if it cannot;
// the Toolset is closed when the test ends.
func connect(t *testing.T, opts *Options, servers ...Server) *Toolset {
	t.Helper()
	ts, err := Connect(t.Context(), servers, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	return ts
}

// connectInMemory connects a Toolset to in-process servers over the SDK's
// in-memory transports; the Toolset is closed when the test ends.
func connectInMemory(t *testing.T, opts *Options, servers ...named) *Toolset {
	t.Helper()
	return connect(t, opts, inMemory(t, servers...)...)
}

// listTools returns the tools of ts, failing the test on an error.
func listTools(t *testing.T, ts *Toolset) []agent.Tool {
	t.Helper()
	tools, err := ts.Tools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

// inMemory starts each server's side of an in-memory pair and returns the
// client sides as Servers.
func inMemory(t *testing.T, servers ...named) []Server {
	t.Helper()
	var list []Server
	for _, n := range servers {
		ct, st := mcp.NewInMemoryTransports()
		ss, err := n.srv.Connect(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		list = append(list, Server{Name: n.name, Transport: ct})
	}
	return list
}

// newServer returns an MCP server offering the given tools.
func newServer(tools ...serverTool) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "v1"}, nil)
	for _, st := range tools {
		s.AddTool(&mcp.Tool{Name: st.name, Description: st.description, InputSchema: json.RawMessage(st.schema)}, st.handler)
	}
	return s
}

// serverTool is a tool of a test server.
type serverTool struct {
	name, description, schema string
	handler                   mcp.ToolHandler
}

// textTool answers every call with text.
func textTool(name, schema, text string) serverTool {
	return serverTool{name: name, description: "the " + name + " tool", schema: schema,
		handler: func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
		}}
}

const objectSchema = `{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}`

// rawServer is an MCP server written by hand, answering over pipes with
// exactly the JSON it is given: the tools/list result, and for tools/call
// the result (or, when call is "", no answer at all). It records the
// requests' methods.
type rawServer struct {
	tools, call string

	mu      sync.Mutex
	methods []string
}

// transport starts the server and returns the client's transport to it.
func (r *rawServer) transport(t *testing.T) mcp.Transport {
	t.Helper()
	clientR, serverW := io.Pipe()
	serverR, clientW := io.Pipe()
	t.Cleanup(func() { serverW.Close(); serverR.Close() })
	go r.serve(serverR, serverW)
	return &mcp.IOTransport{Reader: clientR, Writer: clientW}
}

func (r *rawServer) serve(in io.Reader, out io.WriteCloser) {
	defer out.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"params"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			return
		}
		r.mu.Lock()
		r.methods = append(r.methods, msg.Method)
		r.mu.Unlock()
		if msg.ID == nil {
			continue // a notification
		}
		var result string
		switch msg.Method {
		case "initialize":
			v, _ := json.Marshal(msg.Params.ProtocolVersion)
			result = `{"protocolVersion":` + string(v) + `,"capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"raw","version":"1"}}`
		case "tools/list":
			result = r.tools
		case "tools/call":
			if r.call == "" {
				continue
			}
			result = r.call
		default:
			if _, err := io.WriteString(out, `{"jsonrpc":"2.0","id":`+string(msg.ID)+`,"error":{"code":-32601,"message":"no such method"}}`+"\n"); err != nil {
				return
			}
			continue
		}
		if _, err := io.WriteString(out, `{"jsonrpc":"2.0","id":`+string(msg.ID)+`,"result":`+result+"}\n"); err != nil {
			return
		}
	}
}

// called reports whether the server received a request of method.
func (r *rawServer) called(method string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.methods {
		if m == method {
			return true
		}
	}
	return false
}
