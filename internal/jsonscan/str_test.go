package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSONString checks the string decoder alone against encoding/json:
// the same strings accepted, decoded to the same bytes.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"a\"b"`, `"\ud83d\ude00"`, "\"\xff\xe2\x82\"", `"\ud83d\u0041x"`, `"é\\n\t"`, `"abcdefghijklmnopq\u00e9rs"`, `"\u12G4"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if string(bytes.Trim(in, " \t\r\n")) == "null" {
			return // encoding/json leaves a string alone for null; Str wants a string
		}
		var want string
		errJ := json.Unmarshal(in, &want)
		var s Scanner
		s.Start(in)
		got, ok := s.Str()
		if ok {
			ok = s.End()
		}
		if (errJ == nil) != ok {
			t.Fatalf("%q: encoding/json error %v, ours ok=%v (%v)", in, errJ, ok, s.Err())
		}
		if ok && string(got) != want {
			t.Fatalf("%q: got %q, want %q", in, got, want)
		}
	})
}

// TestUTF8DFA runs utf8DFA from between characters over every lead byte
// from 0x80 with every second byte, continuation bytes at the range edges
// after it, and every truncation, and compares the sequence it accepts
// with utf8.DecodeRune's.
func TestUTF8DFA(t *testing.T) {
	tails := []byte{0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}
	// seqLen is the length of the sequence the DFA accepts at the start of
	// in, or 0 when it stops on invalid UTF-8 (or runs out of bytes).
	seqLen := func(in []byte) int {
		st := uint64(sAccept)
		for i, c := range in {
			if st = utf8DFA[c] >> st & 63; st == sErr {
				return 0
			}
			if st == sAccept {
				return i + 1
			}
		}
		return 0
	}
	for b0 := 0x80; b0 <= 0xFF; b0++ {
		for b1 := 0; b1 <= 0xFF; b1++ {
			for _, b2 := range tails {
				for _, b3 := range tails {
					full := []byte{byte(b0), byte(b1), b2, b3}
					for n := 1; n <= len(full); n++ {
						in := full[:n]
						want := 0
						if r, size := utf8.DecodeRune(in); !(r == utf8.RuneError && size == 1) {
							want = size
						}
						if got := seqLen(in); got != want {
							t.Fatalf("utf8DFA on % x accepts %d bytes, utf8.DecodeRune decodes %d", in, got, want)
						}
					}
				}
			}
		}
	}
	// ASCII: printable bytes other than the quote and the backslash pass,
	// they and control bytes stop the run.
	for c := range 0x80 {
		want := uint64(sAccept)
		if c < 0x20 || c == '"' || c == '\\' {
			want = sSpecial
		}
		if got := utf8DFA[c] & 63; got != want {
			t.Fatalf("utf8DFA[%#x] from sAccept = %d, want %d", c, got, want)
		}
	}
}

// TestStrUTF8Sequences compares Str with encoding/json on strings made of
// every lead byte from 0x80 with every second byte and edge continuation
// bytes (third, and fourth after a four-byte lead), after plain text long
// enough for the eight-byte test; and, for runSIMD, after an escape and
// plain text that put the sequence across a 16-byte block boundary, with
// more text after it.
func TestStrUTF8Sequences(t *testing.T) {
	tails := []byte{0x00, 0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}
	every := make([]byte, 0, 0xE0)
	for b := 0x20; b <= 0xFF; b++ {
		every = append(every, byte(b))
	}
	// runSIMD itself is compared with utf8.Valid on every second byte
	// (TestRunSIMD): here the edge cases show that Str falls back to the
	// DFA where it must.
	layouts := []struct {
		before, after string
		second        []byte
	}{
		{"abcdefgh", "z", every},
		{"ab\\nabcdefghijklm", "zzzzzzzzzzzzzzzzzz", append([]byte{0x20, 0x7F}, tails[1:]...)},
		{"ab\\nabcdefghijklmno", "zzzzzzzzzzzzzzzzzz", append([]byte{0x20, 0x7F}, tails[1:]...)},
	}
	for _, l := range layouts {
		strUTF8Sequences(t, l.before, l.after, l.second, tails)
	}
}

func strUTF8Sequences(t *testing.T, before, after string, second, tails []byte) {
	for b0 := 0x80; b0 <= 0xFF; b0++ {
		for _, b1 := range second {
			for _, b2 := range tails {
				if b2 < 0x20 || b1 == '"' || b1 == '\\' {
					continue
				}
				b3s := []byte{'z'}
				if b0 >= 0xF0 { // four-byte leads: every fourth byte of tails too
					b3s = append(b3s, tails[1:]...)
				}
				for _, b3 := range b3s {
					lit := []byte(`"` + before + string([]byte{byte(b0), byte(b1), b2, b3}) + after + `"`)
					var want string
					if err := json.Unmarshal(lit, &want); err != nil {
						t.Fatalf("%q: %v", lit, err)
					}
					var s Scanner
					s.Start(lit)
					got, ok := s.Str()
					if !ok || string(got) != want {
						t.Fatalf("Str(%q) = %q, %v; encoding/json gives %q", lit, got, ok, want)
					}
				}
			}
		}
	}
}

// TestStrLong decodes strings longer than decodeWindow, with the window's
// end falling at each point of multi-byte characters, escapes and invalid
// bytes, and in long runs without an escape, and compares with
// encoding/json.
func TestStrLong(t *testing.T) {
	pieces := []string{"日本語🙂é\\n", "🙂🙂🙂\\\"", "abc\xe2\x82", "é\\u00e9\\t", strings.Repeat("日", 3000)}
	step := 1
	if raceOn {
		step = 5
	}
	for _, piece := range pieces {
		for shift := 0; shift < 24; shift += step {
			body := "\\n" + strings.Repeat("a", shift)
			for len(body) < 3*decodeWindow {
				body += piece
			}
			lit := []byte(`"` + body + `"`)
			var want string
			if err := json.Unmarshal(lit, &want); err != nil {
				t.Fatal(err)
			}
			var s Scanner
			s.Start(lit)
			got, ok := s.Str()
			if !ok || string(got) != want {
				t.Fatalf("piece %q, shift %d: Str differs from encoding/json (ok=%v, %d bytes vs %d)", piece, shift, ok, len(got), len(want))
			}
		}
	}
}
