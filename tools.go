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

// ToolChoice says whether and which tool the model must call:
// ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired, or
// ToolChoiceFunction(name) to force a call of one function. The zero value
// sends nothing (the server's default, "auto" when tools are given). The
// string form of a forced function is "function:NAME"; on the wire it is
// {"type":"function","function":{"name":NAME}}.
type ToolChoice string

// The tool choices that are plain strings on the wire.
const (
	// ToolChoiceAuto lets the model decide whether to call a tool.
	ToolChoiceAuto ToolChoice = "auto"
	// ToolChoiceNone forbids tool calls.
	ToolChoiceNone ToolChoice = "none"
	// ToolChoiceRequired makes the model call at least one tool.
	ToolChoiceRequired ToolChoice = "required"
)

// functionChoice prefixes the string form of a forced function.
const functionChoice = "function:"

// ToolChoiceFunction forces a call of the named function.
func ToolChoiceFunction(name string) ToolChoice { return ToolChoice(functionChoice + name) }

// Function returns the forced function's name, or "" when the choice is not a
// named function.
func (t ToolChoice) Function() string {
	name, _ := strings.CutPrefix(string(t), functionChoice)
	if len(name) == len(t) {
		return ""
	}
	return name
}

// isFunction reports a forced function (whose name may be empty).
func (t ToolChoice) isFunction() bool { return strings.HasPrefix(string(t), functionChoice) }

// MarshalJSON encodes the choice as a string or as
// {"type":"function","function":{"name":…}}.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.isFunction() {
		return json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": t.Function()}})
	}
	if t == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(t))
}

// UnmarshalJSON decodes either form.
func (t *ToolChoice) UnmarshalJSON(data []byte) error {
	var s string
	if json.Unmarshal(data, &s) == nil {
		*t = ToolChoice(s)
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
	// Tool is the function name.
	Tool string
	// ID is the call's id.
	ID string
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

// ToolResult returns the tool message (role "tool") answering the call
// toolCallID with result: a string (or []byte, or json.RawMessage) is sent as
// it is, an error as "error: " and its message (so the model can react to a
// failed call), and any other value as its JSON encoding. It is the one way
// to build a tool message; the error is a *ParamError for an empty id or a
// value that cannot be encoded.
func ToolResult(toolCallID string, result any) (Message, error) {
	if toolCallID == "" {
		return Message{}, missing("tool_call_id")
	}
	m := Message{Role: RoleTool, ToolCallID: toolCallID}
	switch r := result.(type) {
	case string:
		m.Content = r
	case []byte:
		m.Content = string(r)
	case json.RawMessage:
		m.Content = string(r)
	case error:
		m.Content = "error: " + r.Error()
	default:
		b, err := json.Marshal(result)
		if err != nil {
			return Message{}, invalid("tool result for "+toolCallID, "cannot be encoded as JSON: %v", err)
		}
		m.Content = string(b)
	}
	return m, nil
}
