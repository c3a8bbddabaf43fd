package vllmmcp

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestResultText(t *testing.T) {
	for name, tc := range map[string]struct {
		r    *mcp.CallToolResult
		want string
	}{
		"text parts, one per line":  {&mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "a"}, &mcp.TextContent{Text: "b"}}}, "a\nb"},
		"structured only":           {&mcp.CallToolResult{Content: []mcp.Content{}, StructuredContent: map[string]any{"t": 18, "city": "Paris"}}, `{"city":"Paris","t":18}`},
		"text wins over structured": {&mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "18 degrees"}}, StructuredContent: map[string]any{"t": 18}}, "18 degrees"},
		"media as notes": {&mcp.CallToolResult{Content: []mcp.Content{
			&mcp.ImageContent{Data: []byte("PNG!"), MIMEType: "image/png"},
			&mcp.AudioContent{Data: []byte("RIFF..")},
			&mcp.ResourceLink{URI: "file:///a.txt", Name: "a.txt", MIMEType: "text/plain"},
			&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "file:///b.txt", Text: "contents of b"}},
			&mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "file:///c.bin", Blob: []byte{1, 2, 3}}},
		}}, "[image: image/png, 4 bytes]\n[audio: unknown type, 6 bytes]\n[resource link: file:///a.txt a.txt text/plain]\ncontents of b\n[resource file:///c.bin: unknown type, 3 bytes]"},
		"nothing": {&mcp.CallToolResult{}, ""},
	} {
		got, err := resultText(tc.r)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, tc.want)
		}
	}
	for name, r := range map[string]*mcp.CallToolResult{
		"nil result":   nil,
		"null content": {Content: []mcp.Content{nil}},
		"tool use":     {Content: []mcp.Content{&mcp.ToolUseContent{Name: "x"}}},
	} {
		if got, err := resultText(r); err == nil {
			t.Errorf("%s: %q, want an error", name, got)
		}
	}
}
