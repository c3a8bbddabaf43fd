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
