package exampleenv

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/vllmgo/vllm/vllmtest"
)

// modelLike makes the embedded server answer a little more like a model
// that uses tools, so that the tool examples show a whole exchange:
//   - after tool results it answers in text, quoting them;
//   - asked with several tools whose names all appear in the user's message,
//     it calls each of them at once (parallel calls).
//
// Everything else is left to the server's default generator.
func modelLike(r *vllmtest.Request) *vllmtest.Reply {
	req := r.Chat
	if req == nil || len(req.Messages) == 0 {
		return nil
	}
	last := &req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		var results []string
		for i := len(req.Messages) - 1; i >= 0 && req.Messages[i].Role == "tool"; i-- {
			results = append([]string{req.Messages[i].Text()}, results...)
		}
		return &vllmtest.Reply{Content: "Based on the tool results: " + strings.Join(results, "; ")}
	}
	if last.Role != "user" || len(req.Tools) < 2 {
		return nil
	}
	text := last.Text()
	var calls []vllmtest.ToolCall
	for _, t := range req.Tools {
		if strings.Contains(text, t.Function.Name) {
			calls = append(calls, vllmtest.ToolCall{Name: t.Function.Name, Arguments: sampleArguments(t.Function.Parameters)})
		}
	}
	if len(calls) < 2 {
		return nil
	}
	return &vllmtest.Reply{ToolCalls: calls}
}

// sampleArguments makes arguments that fit a JSON schema's properties.
func sampleArguments(schema json.RawMessage) string {
	var s struct {
		Properties map[string]struct {
			Type string `json:"type"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s)
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	args := map[string]any{}
	for _, n := range names {
		switch s.Properties[n].Type {
		case "number", "integer":
			args[n] = 3
		case "boolean":
			args[n] = true
		default:
			args[n] = "Paris"
		}
	}
	b, _ := json.Marshal(args)
	return string(b)
}
