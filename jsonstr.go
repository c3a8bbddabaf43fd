package vllm

import (
	"bytes"
	"unicode/utf8"
)

// unquoteJSON decodes the JSON string literal b (quotes included), which the
// decoder handing it over has already validated, exactly as encoding/json
// does, in one pass: a literal without escapes is copied as it is; one with
// escapes goes through the stream decoder's string scanner (jscan.str in
// stream_json.go), which decodes exactly as encoding/json does.
func unquoteJSON(b []byte) string {
	body := b[1 : len(b)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s jscan
	s.start(b)
	v, ok := s.str()
	if !ok {
		// Not reached for a validated literal; keep the bytes rather than lose them.
		return string(body)
	}
	return string(v)
}
