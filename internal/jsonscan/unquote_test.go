package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzUnquote: for every valid JSON string literal, Unquote gives
// exactly what encoding/json gives.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\nb\t\"q\"\\ \/"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud83d x"`, `"\udc00"`, `"\ud83d\u0041"`, "\"\xff\xfe bad utf8\"", `"日本語"`, `"\u0000"`, "\"a\xed\xa0\x80b\"", `null`, ` "x" `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		var want string
		err := json.Unmarshal(lit, &want)
		if err != nil {
			return // not a valid literal: the caller's decoder rejects it first
		}
		// A decoder hands the literal over without surrounding whitespace;
		// null also decodes into a string, but is not a string literal.
		lit = bytes.Trim(lit, " \t\r\n")
		if lit[0] != '"' {
			return
		}
		if got := Unquote(lit); got != want {
			t.Fatalf("Unquote(%q) = %q; encoding/json gives %q", lit, got, want)
		}
	})
}
