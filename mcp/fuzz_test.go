package vllmmcp

import (
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm"
)

// FuzzParseConfig: any bytes give servers that Connect would take, or an
// error; never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"mcpServers":{"fs":{"command":"mcp-files","args":["/srv"],"env":{"A":"1"},"cwd":"/tmp"}}}`,
		`{"mcpServers":{"web":{"type":"http","url":"https://example.com/mcp","headers":{"Authorization":"Bearer x"}}}}`,
		`{"mcpServers":{"a":{"type":"sse","url":"http://h/sse"},"b":{"disabled":true}}}`,
		`{"mcpServers":{"my server":{"command":"x"}}}`, `{"mcpServers":null}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		servers, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, s := range servers {
			if !serverName.MatchString(s.Name) || s.Transport == nil {
				t.Fatalf("server %+v from %q", s, data)
			}
		}
	})
}

// FuzzToolSchema: a server's input schema (as the SDK decodes it) is
// accepted as parameters that vLLM takes (a JSON object of type "object"),
// or rejected with an error.
func FuzzToolSchema(f *testing.F) {
	for _, s := range []string{`{"type":"object","properties":{"q":{"type":"string"}}}`, `{"type":"string"}`, `true`, `[1]`, `null`, `{}`, `{"type":["object","null"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var schema any
		if json.Unmarshal(data, &schema) != nil {
			return
		}
		params, err := parameters(&mcp.Tool{Name: "t", InputSchema: schema})
		if err != nil {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(params, &obj); err != nil {
			t.Fatalf("parameters %s from %s are not an object", params, data)
		}
		if typ, ok := obj["type"]; ok && typ != "object" {
			t.Fatalf("parameters of type %v accepted", typ)
		}
		if _, err := vllm.NewTool("t", "", params); err != nil {
			t.Fatalf("NewTool rejects accepted parameters %s: %v", params, err)
		}
	})
}

// FuzzToolArguments: the model's arguments are sent only as a JSON object.
func FuzzToolArguments(f *testing.F) {
	for _, s := range []string{`{"city": "Paris"}`, ``, `  `, `[1]`, `{"q": `, `"x"`, `{} {}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arguments string) {
		raw, err := objectArguments(arguments)
		if err != nil {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatalf("arguments %q sent as %s: %v", arguments, raw, err)
		}
	})
}
