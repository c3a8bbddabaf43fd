package jsonscan

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"syscall"
	"testing"
)

// benchText is about 2000 characters of mixed text: ASCII letters, spaces,
// characters JSON escapes and multi-byte UTF-8, as model output has.
func benchText() []byte {
	alphabet := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "w",
		"A", "T", "0", "1", "7", " ", " ", " ", " ", ".", ",", "/", "<", ">", "&",
		`"`, `\`, "\n", "\t", "é", "ü", "ß", "日", "本", "語", "€", "🙂", "🚀"}
	r := rand.New(rand.NewPCG(4, 4))
	var text []byte
	for range 2000 {
		text = append(text, alphabet[r.IntN(len(alphabet))]...)
	}
	// vLLM (pydantic) escapes neither HTML characters nor non-ASCII.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(text))
	return bytes.TrimSpace(buf.Bytes())
}

func BenchmarkStrMixed(b *testing.B) {
	lit := benchText()
	b.SetBytes(int64(len(lit)))
	var s Scanner
	cpu0 := processCPU()
	for b.Loop() {
		s.Start(lit)
		if _, ok := s.Str(); !ok {
			b.Fatal(s.Err())
		}
	}
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the CPU time (user and system) the process has used,
// in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkStrProse reads 2000 characters of English-like ASCII text with a
// newline every 80 characters and a quoted word now and then.
func BenchmarkStrProse(b *testing.B) {
	var text []byte
	words := []string{"the", "model", "answered", "with", "a", "short", `"quoted"`, "sentence,", "then", "stopped."}
	r := rand.New(rand.NewPCG(5, 5))
	line := 0
	for len(text) < 2000 {
		w := words[r.IntN(len(words))]
		text = append(text, w...)
		text = append(text, ' ')
		if line += len(w) + 1; line > 80 {
			text = append(text, '\n')
			line = 0
		}
	}
	lit, _ := json.Marshal(string(text))
	b.SetBytes(int64(len(lit)))
	var s Scanner
	for b.Loop() {
		s.Start(lit)
		if _, ok := s.Str(); !ok {
			b.Fatal(s.Err())
		}
	}
}
