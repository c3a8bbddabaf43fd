package bench

import (
	"math/rand/v2"
	"strconv"
	"unicode/utf8"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// This file renders responses byte for byte the way vLLM's OpenAI-compatible
// server writes them: pydantic's compact JSON (no spaces, non-ASCII as raw
// UTF-8, only '"', '\\' and control characters escaped), one "data: <json>\n\n"
// event per chunk, "data: [DONE]\n\n" at the end. The layout of each chunk
// follows the real capture in testdata/fixtures/vllm-tool-call-stream.sse.

const (
	chunkID = "chatcmpl-d0c68c86be0641129cffa5053c0c217e"
	created = 1744513664
	// model is the model name the rendered responses carry.
	model = "Qwen/Qwen3-8B"
)

// chunkHead appends the start of a chat.completion.chunk object, up to and
// including `"choices":[`.
func chunkHead(b []byte, model string) []byte {
	b = append(b, `data: {"id":"`+chunkID+`","object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = jsonstr.AppendPython(b, model)
	return append(b, `,"choices":[`...)
}

// appendDeltaChunk appends one event whose choice 0 carries the delta object
// delta (already JSON) and no finish reason.
func appendDeltaChunk(b []byte, model string, delta []byte) []byte {
	b = chunkHead(b, model)
	b = append(b, `{"index":0,"delta":`...)
	b = append(b, delta...)
	return append(b, `,"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
}

// appendFinishChunk appends the chunk that ends choice 0: an empty content
// delta, the finish reason and a null stop_reason, as vLLM sends it.
func appendFinishChunk(b []byte, model, finish string) []byte {
	b = chunkHead(b, model)
	b = append(b, `{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":`...)
	b = jsonstr.AppendPython(b, finish)
	return append(b, `,"stop_reason":null}]}`+"\n\n"...)
}

// appendUsageChunk appends the include_usage chunk (no choices). vLLM orders
// the usage fields prompt, total, completion.
func appendUsageChunk(b []byte, model string, u Usage) []byte {
	b = chunkHead(b, model)
	b = append(b, `],"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	return append(b, "}}\n\n"...)
}

// done is the event that ends every stream.
const done = "data: [DONE]\n\n"

// roleDelta is the delta of vLLM's first chunk.
const roleDelta = `{"role":"assistant","content":""}`

// textDelta returns the delta object {"<field>":"<text>"}.
func textDelta(b []byte, field, text string) []byte {
	b = append(b, `{"`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = jsonstr.AppendPython(b, text)
	return append(b, '}')
}

// toolStartDelta is the first delta of a tool call: id, type and name, no
// arguments key (as in the real capture).
func toolStartDelta(b []byte, index int, id, name string) []byte {
	b = append(b, `{"tool_calls":[{"id":`...)
	b = jsonstr.AppendPython(b, id)
	b = append(b, `,"type":"function","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"function":{"name":`...)
	b = jsonstr.AppendPython(b, name)
	return append(b, `}}]}`...)
}

// toolArgsDelta is a later delta of a tool call: index and an arguments
// fragment only.
func toolArgsDelta(b []byte, index int, fragment string) []byte {
	b = append(b, `{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"function":{"arguments":`...)
	b = jsonstr.AppendPython(b, fragment)
	return append(b, `}}]}`...)
}

// alphabet is what generated text is made of: mostly ASCII letters and
// spaces, with the characters that make JSON decoding work: quotes,
// backslashes, newlines, tabs, and 2-, 3- and 4-byte UTF-8.
var alphabet = []string{
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "w",
	"A", "T", "0", "1", "7", " ", " ", " ", " ", ".", ",", "/", "<", ">", "&",
	`"`, `\`, "\n", "\t", "é", "ü", "ß", "日", "本", "語", "€", "🙂", "🚀",
}

// textGen produces deterministic pseudo-random text.
type textGen struct{ r *rand.Rand }

func newTextGen(seed uint64) *textGen {
	return &textGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// piece returns 1 to 8 characters (runes).
func (g *textGen) piece() string {
	n := 1 + g.r.IntN(8)
	var b []byte
	for range n {
		b = append(b, alphabet[g.r.IntN(len(alphabet))]...)
	}
	return string(b)
}

// text returns n characters.
func (g *textGen) text(n int) string {
	var b []byte
	for range n {
		b = append(b, alphabet[g.r.IntN(len(alphabet))]...)
	}
	return string(b)
}

// split cuts s into pieces of 1 to 8 characters, never inside a UTF-8
// sequence (vLLM's detokenizer holds back incomplete characters).
func (g *textGen) split(s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + g.r.IntN(8)
		i := 0
		for ; n > 0 && i < len(s); n-- {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}
