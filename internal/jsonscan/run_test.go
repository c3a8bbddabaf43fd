package jsonscan

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// refRun is what runSIMD computes, the plain way.
func refRun(b []byte) (int, bool) {
	n := len(b)
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			n = i
			break
		}
	}
	return n, utf8.Valid(b[:n])
}

func checkRun(t *testing.T, b []byte) {
	t.Helper()
	wantN, wantOK := refRun(b)
	wantOK = wantOK && len(b) >= 16 // shorter: left to the caller
	n, ok := runSIMD(b)
	if ok != wantOK || ok && n != wantN {
		t.Fatalf("runSIMD(% x) = %d, %v; want %d, %v", b, n, ok, wantN, wantOK)
	}
}

// TestRunSIMD compares runSIMD with refRun on every lead byte from 0x80
// followed by every second byte and two more bytes from the edge cases,
// placed so that the sequence crosses a 16-byte block boundary at each
// point, cut short or ended by a quote; and on random text.
func TestRunSIMD(t *testing.T) {
	if !haveRunSIMD {
		t.Skip("no SIMD version on this CPU or architecture")
	}
	// ASCII, both ends of the continuation bytes and a lead byte; the
	// second byte takes every value.
	tails := []byte{0x41, 0x80, 0xBF, 0xC0}
	var buf []byte
	offsets := []int{29, 30, 31}
	if raceOn {
		offsets = offsets[1:2]
	}
	for _, off := range offsets {
		prefix := bytes.Repeat([]byte{'a'}, off)
		for b0 := 0x80; b0 <= 0xFF; b0++ {
			for b1 := 0; b1 <= 0xFF; b1++ {
				for _, b2 := range tails {
					for _, b3 := range tails {
						buf = append(append(buf[:0], prefix...), byte(b0), byte(b1), b2, b3)
						checkRun(t, buf[:off+2]) // cut short
						checkRun(t, buf[:off+3])
						checkRun(t, append(buf, '"'))
					}
				}
			}
		}
	}
	alphabet := []string{"a", " ", "é", "日", "🙂", "\"", "\\", "\n", "\xff", "\xe2\x82", "\xf0\x9f", "\x80"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		buf = buf[:0]
		for range r.IntN(80) {
			buf = append(buf, alphabet[r.IntN(len(alphabet))]...)
		}
		checkRun(t, buf)
	}
}

func FuzzRunSIMD(f *testing.F) {
	if !haveRunSIMD {
		f.Skip("no SIMD version on this CPU or architecture")
	}
	for _, s := range []string{"", "abc", "日本語\"", "\xed\xa0\x80", "0123456789abcdé\"", "\xf4\x90\x80\x80", "aaaaaaaaaaaaaaa\xe2\x82\xac\\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkRun(t, b) })
}

// refDecode is what decodeSIMD computes, the plain way: runs checked as
// refRun checks them and copied, two-byte escapes decoded, and a stop at
// anything else; a run that is not valid UTF-8 is left whole to the caller.
func refDecode(src []byte) (int, []byte) {
	if len(src) < 16 {
		return 0, nil
	}
	var out []byte
	i := 0
	for {
		n, valid := refRun(src[i:])
		if !valid {
			return i, out
		}
		out = append(out, src[i:i+n]...)
		k := i + n
		if k+1 >= len(src) || src[k] != '\\' || shortEscape[src[k+1]] == 0 {
			return k, out
		}
		out = append(out, shortEscape[src[k+1]])
		i = k + 2
	}
}

// guard fills the bytes of dst past the room decodeSIMD may write.
const guard = 0xA5

func checkDecode(t *testing.T, src []byte) {
	t.Helper()
	wantN, want := refDecode(src)
	buf := bytes.Repeat([]byte{guard}, len(src)+16+32)
	n, m := decodeSIMD(buf[:len(src)+16], src)
	if n != wantN || !bytes.Equal(buf[:m], want) {
		t.Fatalf("decodeSIMD(%q) read %d, wrote %q; want %d, %q", src, n, buf[:m], wantN, want)
	}
	for i, c := range buf[len(src)+16:] {
		if c != guard {
			t.Fatalf("decodeSIMD(%q) wrote %d bytes past its room", src, i+1)
		}
	}
}

// TestDecodeSIMD compares decodeSIMD with refDecode: every lead byte from
// 0x80 with every second byte, across each block-boundary point of a run
// that begins after an escape, cut short or followed by an escape, a quote
// or a \u escape; every escape letter at every offset in a block and at the
// end of src; and random text of characters, escapes and invalid bytes.
func TestDecodeSIMD(t *testing.T) {
	if !haveRunSIMD {
		t.Skip("no SIMD version on this CPU or architecture")
	}
	tails := []byte{0x41, 0x80, 0xBF, 0xC0}
	var buf []byte
	offsets := []int{11, 12, 13}
	if raceOn {
		offsets = offsets[1:2]
	}
	for _, off := range offsets {
		prefix := append([]byte(`abcdefghijklmnopqr\n`), bytes.Repeat([]byte{'a'}, off)...)
		for b0 := 0x80; b0 <= 0xFF; b0++ {
			for b1 := 0; b1 <= 0xFF; b1++ {
				for _, b2 := range tails {
					buf = append(append(buf[:0], prefix...), byte(b0), byte(b1), b2)
					checkDecode(t, buf[:len(buf)-1]) // cut short
					checkDecode(t, buf)
					checkDecode(t, append(buf, `\tzzzzzzzzzzzzzzzzzz"`...))
					checkDecode(t, append(buf, `\u00e9"`...))
				}
			}
		}
	}
	for c := 0; c <= 0xFF; c++ {
		for off := range 20 {
			for _, end := range []string{"", "z", `zzzzzzzzzzzzzzzzzzzz"`} {
				buf = append(append(append(bytes.Repeat([]byte{'a'}, off), '\\', byte(c)), end...), bytes.Repeat([]byte{'b'}, 16-min(off, 16))...)
				checkDecode(t, buf)
				checkDecode(t, buf[:off+1]) // a backslash as the last byte
			}
		}
	}
	alphabet := []string{"a", " ", "é", "日", "🙂", `\"`, `\\`, `\/`, `\n`, `\t`, `\u00e9`, `\x`, "\"", "\n", "\xff", "\xe2\x82", "\xf0\x9f", "\x80"}
	r := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if raceOn {
		n = 4000
	}
	for range n {
		buf = buf[:0]
		for range r.IntN(120) {
			buf = append(buf, alphabet[r.IntN(len(alphabet)-6)]...)
			if r.IntN(40) == 0 { // now and then a stop decodeSIMD leaves to Go
				buf = append(buf, alphabet[len(alphabet)-6+r.IntN(6)]...)
			}
		}
		checkDecode(t, buf)
	}
}

func FuzzDecodeSIMD(f *testing.F) {
	if !haveRunSIMD {
		f.Skip("no SIMD version on this CPU or architecture")
	}
	for _, s := range []string{"", `abcdefghijklmnop\n`, `日本語\"日本語\\日本語\/é"`, "aaaaaaaaaaaaaaaa\\n\xe2\x82", `aaaaaaaaaaaaaaa\u00e9`, "aaaaaaaaaaaaaaaaa\\", "\\n\\n\\n\\n\\n\\n\\n\\n\\n\\t\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}
