package vllmtest

import (
	"hash/fnv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The server's tokenizer is a toy with the properties tests need: it is
// deterministic, splitting text and joining the pieces gives the text back,
// and every piece has a stable id that /detokenize maps back to it.
//
// A piece is a run of letters or digits with the spaces before it, a single
// other character with the spaces before it, or a special token such as
// "<|im_start|>".

// splitTokens splits s into token pieces whose concatenation is s.
func splitTokens(s string) []string {
	var out []string
	start := 0
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j == len(s) {
			out = append(out, s[start:])
			return out
		}
		if strings.HasPrefix(s[j:], "<|") {
			if k := strings.Index(s[j:], "|>"); k > 0 {
				end := j + k + 2
				out = append(out, s[start:end])
				start, i = end, end
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		end := j + size
		if isWordRune(r) {
			for end < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[end:])
				if !isWordRune(r2) {
					break
				}
				end += sz
			}
		}
		out = append(out, s[start:end])
		start, i = end, end
	}
	return out
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// countTokens returns len(splitTokens(s)) without allocating the pieces.
func countTokens(s string) int { return len(splitTokens(s)) }

// vocab maps token pieces to ids and back. Ids are derived from the piece by
// hashing, so the same piece has the same id in every server; collisions are
// resolved by probing.
var vocab = struct {
	sync.Mutex
	ids    map[string]int
	pieces map[int]string
}{ids: map[string]int{}, pieces: map[int]string{}}

const (
	vocabBase = 1000
	vocabSize = 150000
)

// tokenID returns the id of a piece, registering it.
func tokenID(piece string) int {
	vocab.Lock()
	defer vocab.Unlock()
	if id, ok := vocab.ids[piece]; ok {
		return id
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(piece))
	id := vocabBase + int(h.Sum32()%vocabSize)
	for {
		if _, taken := vocab.pieces[id]; !taken {
			break
		}
		id = vocabBase + (id-vocabBase+1)%vocabSize
	}
	vocab.ids[piece] = id
	vocab.pieces[id] = piece
	return id
}

// tokenPiece returns the piece of an id, and false for an id never issued.
func tokenPiece(id int) (string, bool) {
	vocab.Lock()
	defer vocab.Unlock()
	p, ok := vocab.pieces[id]
	return p, ok
}

// tokenIDs returns the ids of the pieces of s.
func tokenIDs(s string) []int {
	pieces := splitTokens(s)
	ids := make([]int, len(pieces))
	for i, p := range pieces {
		ids[i] = tokenID(p)
	}
	return ids
}

// words is the default generator's vocabulary.
var words = strings.Fields(`the a model answer token stream server client test quick brown fox
jumps over lazy dog vllm speaks dialect exactly every event arrives in order with
reasoning tools call weather city sunny cloudy rain today tomorrow hello world simple
small fast dependable go code runs tests pass green light blue sky river stone tree
wind paper glass music`)

// rng is a small deterministic generator (splitmix64).
type rng struct{ state uint64 }

func newRNG(seed string, salt uint64) *rng {
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	return &rng{state: h.Sum64() ^ (salt * 0x9e3779b97f4a7c15)}
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// generateText returns n token pieces derived from seed: words separated by
// spaces, the first without a leading space.
func generateText(seed string, salt uint64, n int) []string {
	r := newRNG(seed, salt)
	out := make([]string, n)
	for i := range out {
		w := words[r.next()%uint64(len(words))]
		if i > 0 {
			w = " " + w
		}
		out[i] = w
	}
	return out
}
