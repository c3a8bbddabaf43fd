package vllm

import (
	"bytes"
	"unicode/utf8"
)

// unquoteJSON decodes the JSON string literal b (quotes included), which the
// decoder handing it over has already validated, exactly as encoding/json
// does, in one pass: a literal without escapes is copied as it is; one with
// escapes goes through the stream decoder's unescaper (appendUnescaped in
// stream_json.go).
func unquoteJSON(b []byte) string {
	body := b[1 : len(b)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	return string(appendUnescaped(make([]byte, 0, len(body)), body))
}
