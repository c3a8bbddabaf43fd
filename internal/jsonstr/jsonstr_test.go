package jsonstr

import (
	"encoding/json"
	"testing"
)

// TestAppendPython checks the exact bytes for each kind of character: those
// escaped, non-ASCII text kept as is, and invalid UTF-8 replaced by U+FFFD.
func TestAppendPython(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            `"plain"`,
		`say "hi" \ bye`:   `"say \"hi\" \\ bye"`,
		"a\nb\rc\td\be\ff": `"a\nb\rc\td\be\ff"`,
		"\x00\x1f\x7f":     "\"\\u0000\\u001f\x7f\"",
		"héllo – 日本 <&>":   `"héllo – 日本 <&>"`,
		"bad \xff byte":    "\"bad \uFFFD byte\"",
		"line\u2028sep":    "\"line\u2028sep\"",
		"":                 `""`,
	} {
		if got := string(AppendPython([]byte("x"), in)); got != "x"+want {
			t.Errorf("AppendPython(%q) = %s, want x%s", in, got, want)
		}
	}
}

// AppendGo writes what encoding/json writes for the same string.
func TestAppendGoIsEncodingJSON(t *testing.T) {
	for _, s := range jsonStringSeeds {
		checkAppendGo(t, s)
	}
}

func FuzzAppendGo(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(checkAppendGo)
}

var jsonStringSeeds = []string{
	"plain", `say "hi" \ bye`, "a\nb\rc\td\be\ff", "\x00\x1f\x7f", "héllo – 日本 <&>",
	"bad \xff byte", "cut \xe6\x97", "line\u2028sep\u2029", "", "\xed\xa0\x80 surrogate",
}

func checkAppendGo(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendGo([]byte("x"), s); string(got) != "x"+string(want) {
		t.Fatalf("AppendGo(%q) = %s, want x%s", s, got, want)
	}
}
