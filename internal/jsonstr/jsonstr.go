// Package jsonstr writes JSON strings in the two dialects this module needs:
// encoding/json's, for the request bodies the client sends, and vLLM's
// Python serializers', for the bytes the test server and the benchmarks
// answer with.
package jsonstr

import "unicode/utf8"

// AppendGo appends s as a JSON string exactly as encoding/json encodes it:
// HTML characters (<, >, &) and U+2028/U+2029 escaped as \u00XX and \u202X,
// control characters as \b, \f, \n, \r, \t or \u00XX, invalid UTF-8 replaced
// by \ufffd.
func AppendGo(b []byte, s string) []byte { return appendString(b, s, &goPlain, true) }

// AppendPython appends s as a JSON string the way vLLM's serializers write
// it: non-ASCII text as is (U+2028/U+2029 included), control characters
// escaped, invalid UTF-8 replaced by U+FFFD itself.
func AppendPython(b []byte, s string) []byte { return appendString(b, s, &pythonPlain, false) }

// goPlain and pythonPlain tell the ASCII bytes each dialect writes as they are.
var goPlain, pythonPlain = plainTable("<>&"), plainTable("")

func plainTable(alsoEscaped string) (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	for i := 0; i < len(alsoEscaped); i++ {
		t[alsoEscaped[i]] = false
	}
	return t
}

const hexDigit = "0123456789abcdef"

// appendString is both dialects: plain says which ASCII bytes go as they
// are; goStyle escapes invalid UTF-8 and U+2028/U+2029 as encoding/json does.
func appendString(b []byte, s string, plain *[utf8.RuneSelf]bool, goStyle bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			if goStyle {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, "\uFFFD"...)
			}
		case goStyle && (r == '\u2028' || r == '\u2029'):
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigit[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
