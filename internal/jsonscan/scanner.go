package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Scanner is a minimal JSON scanner for hot decoding paths: it walks its
// input once, hands out strings as slices (borrowed from the input when they
// have no escapes, unescaped into an arena otherwise) and skips what the
// caller does not read, validating everything it passes over. The strings it
// produces are the ones encoding/json would produce for the same input
// (escapes, surrogate pairs, invalid UTF-8 replaced by U+FFFD).
//
// The caller drives it: Start, then Object/Key/Elem/Str/Int/Skip… in the
// order of the document; each returns false on the first syntax error, which
// Err keeps. B and I are the input and the offset of the next byte, for
// callers that slice the input around a value.
type Scanner struct {
	B   []byte
	I   int
	err *Error
	// arena holds unescaped strings of the current input; reset by Start.
	arena []byte
	// stack is the container stack of Skip.
	stack []byte
}

// Error is a syntax error at a byte offset of the scanned input.
type Error struct {
	msg string
	// Off is the offset of the offending byte.
	Off int
}

// Error returns the message.
func (e *Error) Error() string { return e.msg }

// Err returns the first syntax error, or nil.
func (s *Scanner) Err() *Error { return s.err }

// OK reports that no syntax error was found so far.
func (s *Scanner) OK() bool { return s.err == nil }

// Reserve makes room for n bytes of unescaped strings.
func (s *Scanner) Reserve(n int) { s.arena = make([]byte, 0, n) }

// SetArena makes buf's memory the arena of unescaped strings (from length
// 0), for a caller that reuses one arena across inputs; call it after Start.
func (s *Scanner) SetArena(buf []byte) { s.arena = buf[:0] }

// Arena returns the arena, grown as the input needed; the strings Str
// returned from it are overwritten once it is used again.
func (s *Scanner) Arena() []byte { return s.arena }

// maxSkipDepth bounds the nesting of skipped values, as encoding/json does.
const maxSkipDepth = 10000

// Start begins scanning b, forgetting the previous input and error.
func (s *Scanner) Start(b []byte) {
	s.B, s.I, s.err = b, 0, nil
	if cap(s.arena) > 1<<20 {
		s.arena = nil // do not keep a huge arena for the rest of the stream
	}
	s.arena = s.arena[:0]
}

// Fail records the first error; it returns false for convenient use.
func (s *Scanner) Fail(msg string) bool {
	if s.err == nil {
		if s.I >= len(s.B) {
			msg = "unexpected end of JSON input"
		}
		s.err = &Error{msg: msg, Off: s.I}
	}
	s.I = len(s.B) // stop every loop
	return false
}

func (s *Scanner) failChar(context string) bool {
	if s.I >= len(s.B) {
		return s.Fail("")
	}
	return s.Fail("invalid character " + quoteChar(s.B[s.I]) + " " + context)
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

// WS skips whitespace.
func (s *Scanner) WS() {
	if s.I < len(s.B) && s.B[s.I] > ' ' {
		return
	}
	s.wsSlow()
}

func (s *Scanner) wsSlow() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// End checks that only whitespace follows.
func (s *Scanner) End() bool {
	s.WS()
	if s.I < len(s.B) {
		return s.failChar("after top-level value")
	}
	return s.err == nil
}

// Null consumes a null and reports whether there was one.
func (s *Scanner) Null() bool {
	s.WS()
	if s.I+4 <= len(s.B) && string(s.B[s.I:s.I+4]) == "null" {
		s.I += 4
		return true
	}
	return false
}

// Object consumes the '{' of an object; false (with an error) otherwise.
func (s *Scanner) Object() bool {
	s.WS()
	if s.I < len(s.B) && s.B[s.I] == '{' {
		s.I++
		return true
	}
	return s.failChar("looking for beginning of object")
}

// Array consumes the '[' of an array.
func (s *Scanner) Array() bool {
	s.WS()
	if s.I < len(s.B) && s.B[s.I] == '[' {
		s.I++
		return true
	}
	return s.failChar("looking for beginning of array")
}

// Key moves to the next member of an object whose '{' was consumed; n counts
// the members seen. It returns the member's name (ready to compare; escapes
// resolved) with the scanner on its value, or false at the closing '}'.
func (s *Scanner) Key(n *int) ([]byte, bool) {
	// Compact JSON, as vLLM writes it: the key's quote right after the '{'
	// or the ',', a plain name, its quote and the colon. Anything else goes
	// the general way, from where the member starts.
	b, i := s.B, s.I
	if *n > 0 {
		if i+1 >= len(b) || b[i] != ',' || b[i+1] != '"' {
			return s.key(n)
		}
		i += 2
	} else {
		if i >= len(b) || b[i] != '"' {
			return s.key(n)
		}
		i++
	}
	// The name's end, eight bytes at a time (plainPrefix, inline: names
	// are short, and the call would cost as much as the search).
	for j := i; j+8 <= len(b); j += 8 {
		m := nonPlain8(binary.LittleEndian.Uint64(b[j:]))
		if m == 0 {
			continue
		}
		j += bits.TrailingZeros64(m) >> 3
		if j+1 < len(b) && b[j] == '"' && b[j+1] == ':' {
			s.I = j + 2
			*n++
			return b[i:j], true
		}
		break
	}
	return s.key(n)
}

// key is Key for any JSON: whitespace, escaped names, and the errors.
func (s *Scanner) key(n *int) ([]byte, bool) {
	s.WS()
	if s.I >= len(s.B) {
		return nil, s.Fail("")
	}
	if s.B[s.I] == '}' {
		s.I++
		return nil, false
	}
	if *n > 0 {
		if s.B[s.I] != ',' {
			return nil, s.failChar("after object key:value pair")
		}
		s.I++
		s.WS()
	}
	if s.I >= len(s.B) || s.B[s.I] != '"' {
		return nil, s.failChar("looking for beginning of object key string")
	}
	// Keys are short and plain: take them without the general string path
	// when possible.
	var k []byte
	begin := s.I + 1
	if j := begin + plainPrefix(s.B[begin:]); j < len(s.B) && s.B[j] == '"' {
		k, s.I = s.B[begin:j], j+1
	} else {
		var ok bool
		if k, ok = s.Str(); !ok {
			return nil, false
		}
	}
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != ':' {
		return nil, s.failChar("after object key")
	}
	s.I++
	*n++
	return k, true
}

// Elem moves to the next element of an array whose '[' was consumed, or
// returns false at the closing ']'.
func (s *Scanner) Elem(n *int) bool {
	s.WS()
	if s.I >= len(s.B) {
		return s.Fail("")
	}
	if s.B[s.I] == ']' {
		s.I++
		return false
	}
	if *n > 0 {
		if s.B[s.I] != ',' {
			return s.failChar("after array element")
		}
		s.I++
	}
	*n++
	return true
}

// StrOrNull reads a string; null gives (nil, false) without error.
func (s *Scanner) StrOrNull() ([]byte, bool) {
	if s.Null() {
		return nil, false
	}
	return s.Str()
}

// Str reads a string value and returns its decoded bytes, valid until the
// next start.
func (s *Scanner) Str() ([]byte, bool) {
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != '"' {
		return nil, s.failChar("looking for beginning of string")
	}
	begin := s.I + 1
	b := s.B
	j := begin + plainPrefix(b[begin:])
	if j < len(b) && b[j] == '"' {
		s.I = j + 1
		return b[begin:j:j], true
	}
	// Until the first escape or invalid byte nothing is copied: a string of
	// plain ASCII and valid UTF-8 is returned as it is.
	j, st := run(b, j)
	if j >= len(b) {
		s.I = j
		return nil, s.Fail("")
	}
	if st == sAccept && b[j] == '"' {
		s.I = j + 1
		return b[begin:j:j], true
	}
	// From here the string is decoded into the arena: each run utf8Run
	// passes is copied whole, escapes are decoded, and invalid UTF-8 becomes
	// U+FFFD, as encoding/json decodes it.
	at := len(s.arena)
	out := s.arena
	copied := begin // b[begin:copied] is decoded into out
	for {
		if j >= len(b) {
			s.I = j
			return nil, s.Fail("")
		}
		c := b[j]
		switch next := utf8DFA[c] >> st & 63; {
		case next == sErr:
			// The sequence that began at q is invalid: one U+FFFD for its
			// first byte, and decoding goes on after it.
			q := j
			if st != sAccept {
				for q--; b[q]&0xC0 == 0x80; q-- {
				}
			}
			out = append(out, b[copied:q]...)
			out = utf8.AppendRune(out, utf8.RuneError)
			j, st = q+1, sAccept
		case c == '"':
			out = append(out, b[copied:j]...)
			s.I = j + 1
			s.arena = out
			return out[at:len(out):len(out)], true
		case c == '\\':
			out = append(out, b[copied:j]...)
			if j+1 < len(b) {
				if e := shortEscape[b[j+1]]; e != 0 {
					out = append(out, e)
					j += 2
					break
				}
			}
			var ok bool
			if out, j, ok = s.escape(out, j); !ok {
				return nil, false
			}
		default: // a control byte
			s.I = j
			return nil, s.failChar("in string literal")
		}
		if haveRunSIMD {
			var stop bool
			if out, j, stop = decodeRuns(out, b, j); stop {
				copied, st = j, sAccept
				continue
			}
		}
		copied = j
		j, st = run(b, j) // between characters: an escape ended the run
	}
}

// decodeWindow bounds the input one decodeSIMD call reads, and so how far
// ahead of the decoded string the arena grows.
const decodeWindow = 4096

// decodeRuns appends to out what decodeSIMD decodes of b from b[j], a
// character boundary, window by window, and returns out and the offset it
// stopped at: a character boundary where Str's loop goes on; and whether a
// quote, a backslash or a control byte is there, which the loop reads next
// with no run before it.
func decodeRuns(out, b []byte, j int) ([]byte, int, bool) {
	for len(b)-j >= 16 {
		w := min(len(b)-j, decodeWindow)
		out = slices.Grow(out, w+16)
		n, m := decodeSIMD(out[len(out):len(out)+w+16], b[j:j+w])
		out = out[:len(out)+m]
		j += n
		if n < w {
			// A stop decodeSIMD leaves to Str, or the start of a run
			// with invalid UTF-8.
			c := b[j]
			return out, j, c == '"' || c == '\\' || c < 0x20
		}
	}
	return out, j, false
}

// run is utf8Run from between characters (state sAccept), sixteen bytes a
// step with runSIMD where the CPU has it; utf8Run still reads a run with
// invalid UTF-8, to know where and how it is invalid, and a run that starts
// in the input's last 15 bytes.
func run(b []byte, j int) (int, uint64) {
	if haveRunSIMD {
		if n, ok := runSIMD(b[j:]); ok {
			return j + n, sAccept
		}
	}
	return utf8Run(b, j, sAccept)
}

// shortEscape maps the letter of each two-byte escape to its character
// (0 for the others), for the escapes Str decodes in place.
var shortEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escape appends the character of the escape at b[j] that is not a
// two-byte one (Str decodes those itself: shortEscape), a \uXXXX escape or
// a surrogate pair of them, to out and returns out and the offset after the
// escape; or false with the error recorded.
func (s *Scanner) escape(out []byte, j int) ([]byte, int, bool) {
	b := s.B
	if j+1 >= len(b) {
		s.I = j + 1
		return nil, 0, s.Fail("")
	}
	if b[j+1] != 'u' {
		s.I = j + 1
		return nil, 0, s.failChar("in string escape code")
	}
	for k := 2; k < 6; k++ {
		if j+k >= len(b) {
			s.I = j + k
			return nil, 0, s.Fail("")
		}
		if !isHex(b[j+k]) {
			s.I = j + k
			return nil, 0, s.failChar("in \\u hexadecimal character escape")
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
	return utf8.AppendRune(out, r), j, true
}

// utf8Run advances from b[j], in state st of utf8DFA, over the bytes a string
// body holds as they are (printable ASCII other than the quote and the
// backslash, and valid UTF-8 sequences). It returns the offset of the first
// byte it cannot pass (a quote, a backslash, a control byte, or the byte that
// makes a UTF-8 sequence invalid), or len(b), with the state before that
// byte.
//
// It takes eight bytes at a time: plain ASCII in one test, anything else in
// two runs of four steps of the DFA with no branch on the bytes themselves,
// which keeps text with many multi-byte characters fast.
func utf8Run(b []byte, j int, st uint64) (int, uint64) {
	for len(b)-j >= 8 {
		w := binary.LittleEndian.Uint64(b[j:])
		if st == sAccept {
			m := nonPlain8(w)
			if m == 0 {
				j += 8
				continue
			}
			// The first byte that is not plain ASCII: a stop unless it
			// begins a multi-byte character.
			if k := j + bits.TrailingZeros64(m)>>3; b[k] < 0x80 {
				return k, sAccept
			}
		}
		x := dfa4(uint32(w), st)
		if x >= sStop {
			break
		}
		y := dfa4(uint32(w>>32), x)
		if y >= sStop {
			st, j = x, j+4
			break
		}
		st, j = y, j+8
	}
	for ; j < len(b); j++ {
		next := utf8DFA[b[j]] >> st & 63
		if next >= sStop {
			break
		}
		st = next
	}
	return j, st
}

// dfa4 runs utf8DFA over the four bytes of w (little-endian) from state st.
func dfa4(w uint32, st uint64) uint64 {
	x := utf8DFA[byte(w)] >> (st & 63)
	x = utf8DFA[byte(w>>8)] >> (x & 63)
	x = utf8DFA[byte(w>>16)] >> (x & 63)
	x = utf8DFA[byte(w>>24)] >> (x & 63)
	return x & 63
}

// The states of utf8DFA, each the shift of its transitions in a table entry
// (a shift DFA: the next state is entry>>state&63, with no branch). sStop
// and above stop utf8Run: sSpecial for a quote, a backslash or a control
// byte outside a sequence, sErr for invalid UTF-8.
const (
	sAccept  = 0  // between characters
	sCont1   = 6  // one continuation byte (80-BF) to go
	sCont2   = 12 // two
	sCont3   = 18 // three
	sE0      = 24 // after E0: A0-BF, then one more (no overlong forms)
	sED      = 30 // after ED: 80-9F, then one more (no surrogates)
	sF0      = 36 // after F0: 90-BF, then two more (no overlong forms)
	sF4      = 42 // after F4: 80-8F, then two more (nothing above U+10FFFF)
	sSpecial = 48
	sErr     = 54
	sStop    = sSpecial
)

// utf8DFA is the transition table of the string body's bytes: entry c holds,
// at bit s, the state (6 bits) that byte c leads to from state s. It accepts
// exactly the sequences utf8.DecodeRune decodes with a size above 1.
var utf8DFA = func() (t [256]uint64) {
	set := func(c int, from, to uint64) {
		t[c] = t[c]&^(63<<from) | to<<from
	}
	for c := range 256 {
		for _, st := range []uint64{sCont1, sCont2, sCont3, sE0, sED, sF0, sF4, sErr} {
			set(c, st, sErr)
		}
		set(c, sSpecial, sSpecial)
		var next uint64
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			next = sSpecial
		case c < 0x80:
			next = sAccept
		case c < 0xC2 || c > 0xF4:
			next = sErr
		case c <= 0xDF:
			next = sCont1
		case c == 0xE0:
			next = sE0
		case c == 0xED:
			next = sED
		case c <= 0xEF:
			next = sCont2
		case c == 0xF0:
			next = sF0
		case c == 0xF4:
			next = sF4
		default:
			next = sCont3
		}
		set(c, sAccept, next)
		if c >= 0x80 && c <= 0xBF { // a continuation byte
			set(c, sCont1, sAccept)
			set(c, sCont2, sCont1)
			set(c, sCont3, sCont2)
			if c >= 0xA0 {
				set(c, sE0, sCont1)
			}
			if c <= 0x9F {
				set(c, sED, sCont1)
			}
			if c >= 0x90 {
				set(c, sF0, sCont2)
			}
			if c <= 0x8F {
				set(c, sF4, sCont2)
			}
		}
	}
	return t
}()

// plainPrefix returns the length of the run of plain bytes (see plainByte)
// at the start of b, eight bytes at a time where it can.
func plainPrefix(b []byte) int {
	n := 0
	for len(b)-n >= 8 {
		if m := nonPlain8(binary.LittleEndian.Uint64(b[n:])); m != 0 {
			return n + bits.TrailingZeros64(m)>>3
		}
		n += 8
	}
	for n < len(b) && plainByte[b[n]] {
		n++
	}
	return n
}

// nonPlain8 flags, in the high bit of each byte, the bytes of the eight
// (little-endian) bytes of x that are not plain: below 0x20, a quote, a
// backslash, or 0x80 and above. A borrow can flag a plain byte after a flagged
// one, never before: the lowest flagged byte is the first non-plain byte.
func nonPlain8(x uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	q := x ^ ('"' * ones)
	bs := x ^ ('\\' * ones)
	return ((x - 0x20*ones) | (q - ones) | (bs - ones) | x) & highs
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

// Int reads an integer number.
func (s *Scanner) Int() (int64, bool) {
	// Up to 18 digits (no overflow) and nothing a number could go on with
	// after them: read here. Anything else goes the general way.
	b, i := s.B, s.I
	if i < len(b) {
		if c := b[i] - '0'; c <= 9 {
			v, j := int64(c), i+1
			if c != 0 {
				for j < len(b) && j-i < 18 && b[j]-'0' <= 9 {
					v = v*10 + int64(b[j]-'0')
					j++
				}
			}
			if j >= len(b) || !numberGoesOn[b[j]] {
				s.I = j
				return v, true
			}
		}
	}
	return s.intAny()
}

// numberGoesOn marks the bytes with which a number's digits could go on:
// more digits, a fraction or an exponent.
var numberGoesOn = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['.'], t['e'], t['E'] = true, true, true
	return t
}()

// intAny is Int for any JSON number: whitespace, signs, long ones, and the
// errors.
func (s *Scanner) intAny() (int64, bool) {
	s.WS()
	begin := s.I
	if !s.number() {
		return 0, false
	}
	num := s.B[begin:s.I]
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	var v int64
	for _, c := range num {
		if c < '0' || c > '9' || v > (1<<63-1-9)/10 {
			s.I = begin
			return 0, s.Fail("cannot read number " + strconv.Quote(string(s.B[begin:min(len(s.B), begin+32)])) + " as an integer")
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// Index reads an int, rejecting values outside [0, limit].
func (s *Scanner) Index(limit int) (int, bool) {
	begin := s.I
	v, ok := s.Int()
	if !ok {
		return 0, false
	}
	if v < 0 || v > int64(limit) {
		s.I = begin
		return 0, s.Fail("index " + strconv.FormatInt(v, 10) + " out of range")
	}
	return int(v), true
}

// number consumes a JSON number.
func (s *Scanner) number() bool {
	b := s.B
	i := s.I
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
		s.I = i
		if i > 0 && b[i-1] == '-' {
			return s.failChar("in numeric literal")
		}
		return s.failChar("looking for beginning of value")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.I = i
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
			s.I = i
			return s.failChar("in exponent of numeric literal")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.I = i
	return true
}

// literal consumes true, false or null.
func (s *Scanner) literal(lit string) bool {
	for k := 0; k < len(lit); k++ {
		if s.I >= len(s.B) {
			return s.Fail("")
		}
		if s.B[s.I] != lit[k] {
			return s.failChar("in literal " + lit + " (expecting " + quoteChar(lit[k]) + ")")
		}
		s.I++
	}
	return true
}

// Raw skips a value and returns its bytes; nil for null.
func (s *Scanner) Raw() []byte {
	if s.Null() {
		return nil
	}
	s.WS()
	begin := s.I
	if !s.Skip() {
		return nil
	}
	return s.B[begin:s.I]
}

// Skip consumes any value, validating it.
func (s *Scanner) Skip() bool {
	stack := s.stack[:0]
	defer func() { s.stack = stack }()
	for {
		// A value.
		s.WS()
		if s.I >= len(s.B) {
			return s.Fail("")
		}
		switch c := s.B[s.I]; {
		case c == '{' || c == '[':
			s.I++
			s.WS()
			if s.I < len(s.B) && s.B[s.I] == c+2 { // '}' or ']'
				s.I++
				break
			}
			if len(stack) >= maxSkipDepth {
				return s.Fail("exceeded max depth")
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
			s.WS()
			if s.I >= len(s.B) {
				return s.Fail("")
			}
			top := stack[len(stack)-1]
			c := s.B[s.I]
			if c == top+2 {
				s.I++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if top == '{' {
					return s.failChar("after object key:value pair")
				}
				return s.failChar("after array element")
			}
			s.I++
			if top == '{' && !s.member() {
				return false
			}
			break
		}
	}
}

// member reads an object member's name and colon.
func (s *Scanner) member() bool {
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != '"' {
		return s.failChar("looking for beginning of object key string")
	}
	if !s.skipStr() {
		return false
	}
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != ':' {
		return s.failChar("after object key")
	}
	s.I++
	return true
}

// skipStr validates a string without decoding it.
func (s *Scanner) skipStr() bool {
	at := len(s.arena)
	_, ok := s.Str()
	s.arena = s.arena[:at]
	return ok
}

// Unquote decodes the JSON string literal b (quotes included), which the
// caller has already validated, exactly as encoding/json does, in one pass:
// a literal without escapes is copied as it is; one with escapes goes through
// Str.
func Unquote(b []byte) string {
	body := b[1 : len(b)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s Scanner
	s.Start(b)
	v, ok := s.Str()
	if !ok {
		// Not reached for a validated literal; keep the bytes rather than lose them.
		return string(body)
	}
	return string(v)
}
