package vllm

import (
	"encoding/binary"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// jscan is a minimal JSON scanner for the hot path of streams: it walks a
// chunk's bytes once, hands out strings as slices (borrowed from the input
// when they have no escapes, unescaped into an arena otherwise) and skips
// what the caller does not read, validating everything it passes over. The
// strings it produces are the ones encoding/json would produce for the same
// input (escapes, surrogate pairs, invalid UTF-8 replaced by U+FFFD).
type jscan struct {
	b   []byte
	i   int
	err *jsonError
	// arena holds unescaped strings of the current input; reset by start.
	arena []byte
	// stack is the container stack of skip.
	stack []byte
	// memo lets parseChunk skip a header identical to the last one;
	// noMemo turns it off (tests compare both ways).
	memo   headerMemo
	noMemo bool
	// Templates of text chunks (see chunkTemplate); texts counts the
	// strings a template may vary in the chunk being decoded, the last of
	// which is at b[spanStart:spanEnd].
	templates          [maxTemplates]chunkTemplate
	ntemplates         int
	nextTemplate       int
	texts              int
	spanStart, spanEnd int
}

// jsonError is a syntax error at a byte offset of the scanned input.
type jsonError struct {
	msg string
	off int
}

func (e *jsonError) Error() string { return e.msg }

// maxSkipDepth bounds the nesting of skipped values, as encoding/json does.
const maxSkipDepth = 10000

func (s *jscan) start(b []byte) {
	s.b, s.i, s.err = b, 0, nil
	if cap(s.arena) > 1<<20 {
		s.arena = nil // do not keep a huge arena for the rest of the stream
	}
	s.arena = s.arena[:0]
}

// fail records the first error; it returns false for convenient use.
func (s *jscan) fail(msg string) bool {
	if s.err == nil {
		if s.i >= len(s.b) {
			msg = "unexpected end of JSON input"
		}
		s.err = &jsonError{msg: msg, off: s.i}
	}
	s.i = len(s.b) // stop every loop
	return false
}

func (s *jscan) failChar(context string) bool {
	if s.i >= len(s.b) {
		return s.fail("")
	}
	return s.fail("invalid character " + quoteChar(s.b[s.i]) + " " + context)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	if c >= 0x80 {
		q = strconv.Quote(string([]byte{c}))
	}
	return "'" + q[1:len(q)-1] + "'"
}

func (s *jscan) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return
	}
	s.wsSlow()
}

func (s *jscan) wsSlow() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end checks that only whitespace follows.
func (s *jscan) end() bool {
	s.ws()
	if s.i < len(s.b) {
		return s.failChar("after top-level value")
	}
	return s.err == nil
}

// null consumes a null and reports whether there was one.
func (s *jscan) null() bool {
	s.ws()
	if s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// object consumes the '{' of an object; false (with an error) otherwise.
func (s *jscan) object() bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '{' {
		s.i++
		return true
	}
	return s.failChar("looking for beginning of object")
}

// array consumes the '[' of an array.
func (s *jscan) array() bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '[' {
		s.i++
		return true
	}
	return s.failChar("looking for beginning of array")
}

// key moves to the next member of an object whose '{' was consumed; n counts
// the members seen. It returns the member's name (ready to compare; escapes
// resolved) with the scanner on its value, or false at the closing '}'.
func (s *jscan) key(n *int) ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, s.fail("")
	}
	if s.b[s.i] == '}' {
		s.i++
		return nil, false
	}
	if *n > 0 {
		if s.b[s.i] != ',' {
			return nil, s.failChar("after object key:value pair")
		}
		s.i++
		s.ws()
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.failChar("looking for beginning of object key string")
	}
	// Keys are short and plain: take them without the general string path
	// when possible.
	var k []byte
	begin := s.i + 1
	if j := begin + plainPrefix(s.b[begin:]); j < len(s.b) && s.b[j] == '"' {
		k, s.i = s.b[begin:j], j+1
	} else {
		var ok bool
		if k, ok = s.str(); !ok {
			return nil, false
		}
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return nil, s.failChar("after object key")
	}
	s.i++
	*n++
	return k, true
}

// elem moves to the next element of an array whose '[' was consumed, or
// returns false at the closing ']'.
func (s *jscan) elem(n *int) bool {
	s.ws()
	if s.i >= len(s.b) {
		return s.fail("")
	}
	if s.b[s.i] == ']' {
		s.i++
		return false
	}
	if *n > 0 {
		if s.b[s.i] != ',' {
			return s.failChar("after array element")
		}
		s.i++
	}
	*n++
	return true
}

// strOrNull reads a string; null gives (nil, false) without error.
func (s *jscan) strOrNull() ([]byte, bool) {
	if s.null() {
		return nil, false
	}
	return s.str()
}

// str reads a string value and returns its decoded bytes, valid until the
// next start.
func (s *jscan) str() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.failChar("looking for beginning of string")
	}
	begin := s.i + 1
	b := s.b
	j := begin + plainPrefix(b[begin:])
	if j < len(b) && b[j] == '"' {
		s.i = j + 1
		return b[begin:j:j], true
	}
	// The slow path decodes as it validates, in one pass: plain runs and
	// valid UTF-8 are copied, escapes decoded, invalid UTF-8 replaced by
	// U+FFFD, as encoding/json does. Until the first escape or invalid
	// byte, nothing is copied (the string is then returned as it is).
	at := len(s.arena)
	out := s.arena
	copying := false
	copied := begin // b[begin:copied] is in out (when copying)
	for {
		j += plainPrefix(b[j:])
		if j >= len(b) {
			s.i = j
			return nil, s.fail("")
		}
		c := b[j]
		switch {
		case c == '"':
			s.i = j + 1
			if !copying {
				return b[begin:j:j], true
			}
			out = append(out, b[copied:j]...)
			s.arena = out
			return out[at:len(out):len(out)], true
		case c == '\\':
			if j+1 >= len(b) {
				s.i = j + 1
				return nil, s.fail("")
			}
			out = append(out, b[copied:j]...)
			copying = true
			switch e := b[j+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				j += 2
			case 'b':
				out = append(out, '\b')
				j += 2
			case 'f':
				out = append(out, '\f')
				j += 2
			case 'n':
				out = append(out, '\n')
				j += 2
			case 'r':
				out = append(out, '\r')
				j += 2
			case 't':
				out = append(out, '\t')
				j += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if j+k >= len(b) {
						s.i = j + k
						return nil, s.fail("")
					}
					if !isHex(b[j+k]) {
						s.i = j + k
						return nil, s.failChar("in \\u hexadecimal character escape")
					}
				}
				r := u4(b[j:])
				j += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, u4(b[j:])); dec != unicode.ReplacementChar {
						r = dec
						j += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				s.i = j + 1
				return nil, s.failChar("in string escape code")
			}
			copied = j
		case c < 0x20:
			s.i = j
			return nil, s.failChar("in string literal")
		default: // >= 0x80
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				copying = true
				out = append(out, b[copied:j]...)
				out = utf8.AppendRune(out, utf8.RuneError)
				j++
				copied = j
				continue
			}
			j += size
		}
	}
}

// plainPrefix returns the length of the run of plain bytes (see plainByte)
// at the start of b, eight bytes at a time where it can.
func plainPrefix(b []byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	n := 0
	for len(b)-n >= 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		q := x ^ ('"' * ones)
		bs := x ^ ('\\' * ones)
		// A byte below 0x20, a quote, a backslash or a byte >= 0x80.
		if ((x-0x20*ones)|(q-ones)|(bs-ones)|x)&highs != 0 {
			break
		}
		n += 8
	}
	for n < len(b) && plainByte[b[n]] {
		n++
	}
	return n
}

// plainByte marks the bytes a string body holds as they are: printable
// ASCII other than the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) rune {
	switch {
	case c <= '9':
		return rune(c - '0')
	case c <= 'F':
		return rune(c - 'A' + 10)
	}
	return rune(c - 'a' + 10)
}

// u4 decodes the \uXXXX escape at the start of b, or returns -1.
func u4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		if !isHex(c) {
			return -1
		}
		r = r<<4 | hexVal(c)
	}
	return r
}

// int reads an integer number.
func (s *jscan) int() (int64, bool) {
	s.ws()
	begin := s.i
	if !s.number() {
		return 0, false
	}
	num := s.b[begin:s.i]
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	var v int64
	for _, c := range num {
		if c < '0' || c > '9' || v > (1<<63-1-9)/10 {
			s.i = begin
			return 0, s.fail("cannot read number " + strconv.Quote(string(s.b[begin:min(len(s.b), begin+32)])) + " as an integer")
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// index reads an int, rejecting values outside [0, limit].
func (s *jscan) index(limit int) (int, bool) {
	begin := s.i
	v, ok := s.int()
	if !ok {
		return 0, false
	}
	if v < 0 || v > int64(limit) {
		s.i = begin
		return 0, s.fail("index " + strconv.FormatInt(v, 10) + " out of range")
	}
	return int(v), true
}

// number consumes a JSON number.
func (s *jscan) number() bool {
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		if i > 0 && b[i-1] == '-' {
			return s.failChar("in numeric literal")
		}
		return s.failChar("looking for beginning of value")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.failChar("after decimal point in numeric literal")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.failChar("in exponent of numeric literal")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return true
}

// literal consumes true, false or null.
func (s *jscan) literal(lit string) bool {
	for k := 0; k < len(lit); k++ {
		if s.i >= len(s.b) {
			return s.fail("")
		}
		if s.b[s.i] != lit[k] {
			return s.failChar("in literal " + lit + " (expecting " + quoteChar(lit[k]) + ")")
		}
		s.i++
	}
	return true
}

// raw skips a value and returns its bytes; nil for null.
func (s *jscan) raw() []byte {
	if s.null() {
		return nil
	}
	s.ws()
	begin := s.i
	if !s.skip() {
		return nil
	}
	return s.b[begin:s.i]
}

// skip consumes any value, validating it.
func (s *jscan) skip() bool {
	stack := s.stack[:0]
	defer func() { s.stack = stack }()
	for {
		// A value.
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("")
		}
		switch c := s.b[s.i]; {
		case c == '{' || c == '[':
			s.i++
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == c+2 { // '}' or ']'
				s.i++
				break
			}
			if len(stack) >= maxSkipDepth {
				return s.fail("exceeded max depth")
			}
			stack = append(stack, c)
			if c == '{' && !s.member() {
				return false
			}
			continue
		case c == '"':
			if !s.skipStr() {
				return false
			}
		case c == 't':
			if !s.literal("true") {
				return false
			}
		case c == 'f':
			if !s.literal("false") {
				return false
			}
		case c == 'n':
			if !s.literal("null") {
				return false
			}
		default:
			if !s.number() {
				return false
			}
		}
		// After a value: close containers, or go on to the next element.
		for {
			if len(stack) == 0 {
				return true
			}
			s.ws()
			if s.i >= len(s.b) {
				return s.fail("")
			}
			top := stack[len(stack)-1]
			c := s.b[s.i]
			if c == top+2 {
				s.i++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if top == '{' {
					return s.failChar("after object key:value pair")
				}
				return s.failChar("after array element")
			}
			s.i++
			if top == '{' && !s.member() {
				return false
			}
			break
		}
	}
}

// member reads an object member's name and colon.
func (s *jscan) member() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return s.failChar("looking for beginning of object key string")
	}
	if !s.skipStr() {
		return false
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return s.failChar("after object key")
	}
	s.i++
	return true
}

// skipStr validates a string without decoding it.
func (s *jscan) skipStr() bool {
	at := len(s.arena)
	_, ok := s.str()
	s.arena = s.arena[:at]
	return ok
}
