package vllm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Tool is a tool the model may call, in OpenAI's function-tool form.
type Tool struct {
	// Type is "function".
	Type     string      `json:"type"`
	Function FunctionDef `json:"function"` // the function's name, description and parameters
}

// FunctionDef describes a function tool.
type FunctionDef struct {
	Name        string `json:"name"`                  // the name the model calls
	Description string `json:"description,omitempty"` // what the function does, for the model
	// Parameters is the JSON schema of the arguments object.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Strict asks for arguments that follow the schema exactly.
	Strict *bool `json:"strict,omitempty"`
}

// NewTool returns a function tool whose parameters schema is given as raw JSON
// (a string, []byte or json.RawMessage) or as any value that encodes to a JSON
// schema object (e.g. a map). A schema that is not a JSON object is an error.
func NewTool(name, description string, parameters any) (Tool, error) {
	if name == "" {
		return Tool{}, missing("tools[].function.name")
	}
	var raw json.RawMessage
	switch p := parameters.(type) {
	case nil:
	case string:
		raw = json.RawMessage(p)
	case []byte:
		raw = json.RawMessage(p)
	case json.RawMessage:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return Tool{}, invalid("tools["+name+"].function.parameters", "cannot be encoded: %v", err)
		}
		raw = b
	}
	if raw != nil {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return Tool{}, invalid("tools["+name+"].function.parameters", "is not a JSON object: %v", err)
		}
	}
	return Tool{Type: "function", Function: FunctionDef{Name: name, Description: description, Parameters: raw}}, nil
}

// ToolChoice says whether and which tool the model must call. The zero value
// sends nothing (the server's default, "auto" when tools are given).
type ToolChoice struct {
	mode     string // "auto", "none", "required" or "function"
	function string
}

// The tool choices that are plain strings on the wire.
var (
	ToolChoiceAuto     = ToolChoice{mode: "auto"}
	ToolChoiceNone     = ToolChoice{mode: "none"}
	ToolChoiceRequired = ToolChoice{mode: "required"}
)

// ToolChoiceFunction forces a call of the named function.
func ToolChoiceFunction(name string) ToolChoice { return ToolChoice{mode: "function", function: name} }

// IsZero reports whether no choice is set (nothing is sent).
func (t ToolChoice) IsZero() bool { return t.mode == "" }

// Function returns the forced function's name, or "" when the choice is not a
// named function.
func (t ToolChoice) Function() string { return t.function }

// String returns the choice as "auto", "none", "required" or "function:NAME".
func (t ToolChoice) String() string {
	if t.mode == "function" {
		return "function:" + t.function
	}
	return t.mode
}

// MarshalJSON encodes the choice as a string or as
// {"type":"function","function":{"name":…}}.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.mode == "function" {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": t.function}})
	}
	if t.mode == "" {
		return []byte("null"), nil
	}
	return json.Marshal(t.mode)
}

// UnmarshalJSON decodes either form.
func (t *ToolChoice) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		*t = ToolChoice{mode: s}
		return nil
	}
	var obj struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	*t = ToolChoiceFunction(obj.Function.Name)
	return nil
}

// ToolCall is a call of a function tool made by the model.
type ToolCall struct {
	// ID identifies the call (vLLM: "chatcmpl-tool-<hex>"); a tool result
	// names it in ToolCallID.
	ID string
	// Type is "function".
	Type string
	// Name is the function's name.
	Name string
	// Arguments is the JSON text of the arguments, exactly as the model
	// produced it (it may be malformed: see DecodeArguments).
	Arguments string
}

type toolCallWire struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// MarshalJSON encodes the call in the chat API's nested form.
func (tc ToolCall) MarshalJSON() ([]byte, error) {
	var w toolCallWire
	w.ID, w.Type = tc.ID, tc.Type
	if w.Type == "" {
		w.Type = "function"
	}
	w.Function.Name, w.Function.Arguments = tc.Name, tc.Arguments
	return json.Marshal(&w)
}

// UnmarshalJSON decodes the chat API's nested form.
func (tc *ToolCall) UnmarshalJSON(data []byte) error {
	var w toolCallWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*tc = ToolCall{ID: w.ID, Type: w.Type, Name: w.Function.Name, Arguments: w.Function.Arguments}
	return nil
}

// ToolArgumentsError is a tool call whose arguments could not be decoded.
type ToolArgumentsError struct {
	// Tool is the function name, ID the call's id.
	Tool, ID string
	// Arguments is a bounded excerpt of the offending text.
	Arguments string
	Err       error // the JSON decoding error
}

// Error names the tool and shows the offending arguments.
func (e *ToolArgumentsError) Error() string {
	return fmt.Sprintf("vllm: tool %q (call %s): cannot decode arguments %q: %v", e.Tool, e.ID, e.Arguments, e.Err)
}

// Unwrap returns the JSON error.
func (e *ToolArgumentsError) Unwrap() error { return e.Err }

// DecodeArguments decodes the call's JSON arguments into v (a pointer to a
// struct or map). Empty arguments decode as {}. Malformed arguments give a
// *ToolArgumentsError naming the tool and showing the text.
func (tc ToolCall) DecodeArguments(v any) error {
	args := strings.TrimSpace(tc.Arguments)
	if args == "" {
		args = "{}"
	}
	if err := json.Unmarshal([]byte(args), v); err != nil {
		return &ToolArgumentsError{Tool: tc.Name, ID: tc.ID, Arguments: snippet([]byte(tc.Arguments)), Err: err}
	}
	return nil
}

// ArgumentsMap decodes the call's arguments into a map.
func (tc ToolCall) ArgumentsMap() (map[string]any, error) {
	var m map[string]any
	if err := tc.DecodeArguments(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// ToolResult returns the tool message answering call id with result: a string
// (or []byte, or json.RawMessage) is sent as it is; any other value is sent
// as its JSON encoding.
func ToolResult(toolCallID string, result any) (Message, error) {
	if toolCallID == "" {
		return Message{}, missing("tool_call_id")
	}
	switch r := result.(type) {
	case string:
		return ToolMessage(toolCallID, r), nil
	case []byte:
		return ToolMessage(toolCallID, string(r)), nil
	case json.RawMessage:
		return ToolMessage(toolCallID, string(r)), nil
	case error:
		return ToolMessage(toolCallID, "error: "+r.Error()), nil
	}
	b, err := json.Marshal(result)
	if err != nil {
		return Message{}, invalid("tool result for "+toolCallID, "cannot be encoded as JSON: %v", err)
	}
	return ToolMessage(toolCallID, string(b)), nil
}
