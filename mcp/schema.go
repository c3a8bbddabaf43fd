package vllmmcp

import (
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// noArguments is the parameters schema of a tool that declares none.
var noArguments = json.RawMessage(`{"type":"object","properties":{}}`)

// parameters returns the tool's input schema as the parameters of a vLLM
// tool, as the server sent it, or an error saying why vLLM would reject it
// or the model could not call it: vLLM takes parameters only as a JSON
// object (a schema of true, false or anything else is a 400), and a call's
// arguments are always an object, so a schema of another type cannot be met.
func parameters(t *mcp.Tool) (json.RawMessage, error) {
	if t.Name == "" {
		return nil, fmt.Errorf("the tool has no name")
	}
	if t.InputSchema == nil {
		return noArguments, nil
	}
	raw, err := json.Marshal(t.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("the input schema cannot be encoded: %v", err)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, fmt.Errorf("the input schema is not a JSON object (vLLM accepts tool parameters only as an object): %.200s", raw)
	}
	if typ, ok := obj["type"]; ok {
		var s string
		if json.Unmarshal(typ, &s) != nil || s != "object" {
			return nil, fmt.Errorf(`the input schema's type is %s, not "object" (tool arguments are a JSON object)`, typ)
		}
	}
	return raw, nil
}
