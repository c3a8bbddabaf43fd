package pyjson

import "testing"

// TestAppendString checks the exact bytes for each kind of character: those
// escaped, non-ASCII text kept as is, and invalid UTF-8 replaced by U+FFFD.
func TestAppendString(t *testing.T) {
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
		if got := string(AppendString([]byte("x"), in)); got != "x"+want {
			t.Errorf("AppendString(%q) = %s, want x%s", in, got, want)
		}
	}
}
