package vllm

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestNewToolForms(t *testing.T) {
	const schema = `{"type":"object","properties":{"q":{"type":"string"}}}`
	for _, p := range []any{schema, []byte(schema), json.RawMessage(schema), map[string]any{"type": "object", "properties": map[string]any{"q": map[string]any{"type": "string"}}}} {
		tool, err := NewTool("search", "Search the web", p)
		if err != nil {
			t.Fatalf("%T: %v", p, err)
		}
		want := `{"type":"function","function":{"name":"search","description":"Search the web","parameters":` + schema + `}}`
		jsonEqual(t, "tool", mustJSON(t, tool), want)
	}
	tool, err := NewTool("now", "", nil)
	if err != nil || string(mustJSON(t, tool)) != `{"type":"function","function":{"name":"now"}}` {
		t.Fatalf("no parameters: %s %v", mustJSON(t, tool), err)
	}
	for _, bad := range []any{`[1,2]`, `{"type":`, 42, func() {}} {
		_, err := NewTool("t", "", bad)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(pe.Field, "tools[t].function.parameters") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := NewTool("", "", nil); !isParamError(err, true) {
		t.Errorf("unnamed: %v", err)
	}
}

func TestToolCallArguments(t *testing.T) {
	tc := ToolCall{ID: "chatcmpl-tool-1", Name: "get_weather", Arguments: `{"city": "Paris", "days": 3}`}
	var m map[string]any
	err := tc.DecodeArguments(&m)
	if err != nil || m["city"] != "Paris" || m["days"] != float64(3) {
		t.Fatalf("map %v %v", m, err)
	}
	var typed struct {
		City string `json:"city"`
		Days int    `json:"days"`
	}
	if err := tc.DecodeArguments(&typed); err != nil || typed.City != "Paris" || typed.Days != 3 {
		t.Fatalf("typed %+v %v", typed, err)
	}
	// Empty arguments are an empty object.
	var empty map[string]any
	if err := (ToolCall{Name: "now", Arguments: "  "}).DecodeArguments(&empty); err != nil || len(empty) != 0 || empty == nil {
		t.Fatalf("empty args %v %v", empty, err)
	}
	// Malformed arguments name the tool and show the text.
	bad := ToolCall{ID: "chatcmpl-tool-2", Name: "get_weather", Arguments: `{"city": "Paris"`}
	err = bad.DecodeArguments(&typed)
	var ae *ToolArgumentsError
	if !errors.As(err, &ae) || ae.Tool != "get_weather" || ae.ID != "chatcmpl-tool-2" || ae.Arguments != `{"city": "Paris"` {
		t.Fatalf("err %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `tool "get_weather"`) || !strings.Contains(msg, `{\"city\": \"Paris\"`) {
		t.Fatalf("message %s", msg)
	}
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Fatal("the JSON error is not unwrapped")
	}
	// Wrong types are reported too, and long text is bounded.
	long := ToolCall{Name: "f", Arguments: `{"days": "` + strings.Repeat("x", 1000) + `"}`}
	err = long.DecodeArguments(&typed)
	if !errors.As(err, &ae) || len(ae.Arguments) > snippetLen+len("…") {
		t.Fatalf("type error %v", err)
	}
}

func TestToolResult(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"plain text", `{"role":"tool","content":"plain text","tool_call_id":"c1"}`},
		{[]byte(`{"a":1}`), `{"role":"tool","content":"{\"a\":1}","tool_call_id":"c1"}`},
		{json.RawMessage(`[1]`), `{"role":"tool","content":"[1]","tool_call_id":"c1"}`},
		{map[string]int{"temp": 18}, `{"role":"tool","content":"{\"temp\":18}","tool_call_id":"c1"}`},
		{42, `{"role":"tool","content":"42","tool_call_id":"c1"}`},
		{nil, `{"role":"tool","content":"null","tool_call_id":"c1"}`},
		{errors.New("city not found"), `{"role":"tool","content":"error: city not found","tool_call_id":"c1"}`},
	} {
		m, err := ToolResult("c1", tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(mustJSON(t, m)); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	if _, err := ToolResult("", "x"); !isParamError(err, true) {
		t.Errorf("no id: %v", err)
	}
	if _, err := ToolResult("c1", func() {}); !isParamError(err, false) {
		t.Errorf("unencodable: %v", err)
	}
}

func TestToolCallJSON(t *testing.T) {
	tc := ToolCall{ID: "i", Name: "f", Arguments: `{}`}
	if got := string(mustJSON(t, tc)); got != `{"id":"i","type":"function","function":{"name":"f","arguments":"{}"}}` {
		t.Fatalf("%s", got)
	}
	var back ToolCall
	if err := json.Unmarshal([]byte(`{"index":0,"id":"i","type":"function","function":{"name":"f","arguments":"{}"}}`), &back); err != nil || back != (ToolCall{ID: "i", Type: "function", Name: "f", Arguments: "{}"}) {
		t.Fatalf("%+v %v", back, err)
	}
}
