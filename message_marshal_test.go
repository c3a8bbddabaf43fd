package vllm

import (
	"encoding/json"
	"testing"
)

// marshalMessageSlow is the encoding/json form of a message: what the text
// fast path of Message.MarshalJSON must write byte for byte.
func marshalMessageSlow(m Message) ([]byte, error) {
	w := messageWire{Role: m.Role, Name: m.Name, Reasoning: m.Reasoning, Refusal: m.Refusal, ToolCallID: m.ToolCallID}
	if m.Content == "" && m.contentNull {
		w.Content = nil
	} else {
		w.Content = m.Content
	}
	return json.Marshal(&w)
}

func FuzzMessageMarshalText(f *testing.F) {
	for _, s := range []string{"", "hi", `"quoted" \back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
		"caf\u00e9 \u2028\u2029 \U0001F600", "bad \xff\xfe utf8 \xc3", "\u007f\u0080"} {
		f.Add(s, "user", s)
	}
	f.Fuzz(func(t *testing.T, content, role, name string) {
		for _, m := range []Message{
			{Role: role, Content: content},
			{Role: role, Content: content, Name: name, Reasoning: name, Refusal: content, ToolCallID: name},
			{Role: role, contentNull: true},
		} {
			got, err := m.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			want, err := marshalMessageSlow(m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("MarshalJSON(%+v)\n got %s\nwant %s", m, got, want)
			}
		}
	})
}
