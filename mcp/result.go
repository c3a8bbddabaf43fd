package vllmmcp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// resultText turns a tools/call result into the text of the tool message:
// the text of its content parts, one per line (an image, audio or binary
// resource as a one-line note of what it is: a tool message carries text),
// or, when there is no content, the structured content as JSON.
func resultText(r *mcp.CallToolResult) (string, error) {
	if r == nil {
		return "", fmt.Errorf("the result is empty")
	}
	var parts []string
	for i, c := range r.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			parts = append(parts, c.Text)
		case *mcp.ImageContent:
			parts = append(parts, fmt.Sprintf("[image: %s, %d bytes]", orUnknown(c.MIMEType), len(c.Data)))
		case *mcp.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio: %s, %d bytes]", orUnknown(c.MIMEType), len(c.Data)))
		case *mcp.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource link: %s %s]", c.URI, strings.TrimSpace(c.Name+" "+c.MIMEType)))
		case *mcp.EmbeddedResource:
			switch {
			case c.Resource == nil:
				return "", fmt.Errorf("content[%d] is a resource without contents", i)
			case c.Resource.Blob == nil:
				parts = append(parts, c.Resource.Text)
			default:
				parts = append(parts, fmt.Sprintf("[resource %s: %s, %d bytes]", c.Resource.URI, orUnknown(c.Resource.MIMEType), len(c.Resource.Blob)))
			}
		case nil:
			return "", fmt.Errorf("content[%d] is null", i)
		default:
			return "", fmt.Errorf("content[%d] is a %T, which a tool result does not carry", i, c)
		}
	}
	if len(parts) == 0 && r.StructuredContent != nil {
		b, err := json.Marshal(r.StructuredContent)
		if err != nil {
			return "", fmt.Errorf("the structured content cannot be encoded: %v", err)
		}
		return string(b), nil
	}
	return strings.Join(parts, "\n"), nil
}

func orUnknown(mime string) string {
	if mime == "" {
		return "unknown type"
	}
	return mime
}
