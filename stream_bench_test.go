package vllm

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// renderContentStream renders n content chunks of 1–8 characters (quotes,
// backslashes, newlines, multi-byte UTF-8) as vLLM sends them, and returns
// the stream and the full text.
func renderContentStream(n int) (string, string) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "b", "c", " ", "\"", "\\", "\n", "é", "✓", "😀", "x", "y"}
	var b, text strings.Builder
	b.WriteString("data: " + vllmChunk(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`) + "\n\n")
	for range n {
		var tok strings.Builder
		for range r.IntN(8) + 1 {
			tok.WriteString(pieces[r.IntN(len(pieces))])
		}
		text.WriteString(tok.String())
		b.WriteString("data: " + vllmChunk(contentChoice(0, tok.String())) + "\n\n")
	}
	b.WriteString("data: " + vllmChunk(`{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}`) + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":[],"usage":{"prompt_tokens":10,"total_tokens":20,"completion_tokens":10,"prompt_tokens_details":null}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.String(), text.String()
}

// memStream returns a chat stream reading body from memory, without HTTP.
func memStream(c *Client, body io.Reader) *ChatStream {
	st := &ChatStream{}
	st.r.acc, st.r.what = &st.acc, "chat stream chunk"
	startMemStream(&st.r.core, c, "/chat/completions", body)
	return st
}

// memCompletionStream is memStream for a completion stream.
func memCompletionStream(c *Client, body io.Reader) *CompletionStream {
	st := &CompletionStream{}
	st.r.acc, st.r.what = &st.acc, "completion stream chunk"
	startMemStream(&st.r.core, c, "/completions", body)
	return st
}

// startMemStream makes s read body from memory, as the stream of a POST to
// path.
func startMemStream(s *streamCore, c *Client, path string, body io.Reader) {
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.c, s.ar, s.body = c, &apiRequest{method: http.MethodPost, path: path}, io.NopCloser(body)
	s.dec.Reset(s, 0)
}

// readMemStream reads body, from r reset to it, as a chat stream to the end:
// through Next alone or, with event, through Event too. A stream error fails
// tb.
func readMemStream(tb testing.TB, c *Client, r *strings.Reader, body string, event bool) {
	r.Reset(body)
	st := memStream(c, r)
	for st.Next() {
		if event {
			_ = st.Event()
		}
	}
	if st.Err() != nil {
		tb.Fatal(st.Err())
	}
}

func TestMemStreamMatchesText(t *testing.T) {
	body, text := renderContentStream(2000)
	c, _ := New("http://127.0.0.1:1/v1")
	got, err := collectText(memStream(c, strings.NewReader(body)))
	if err != nil || got != text {
		t.Fatalf("err %v, equal %v", err, got == text)
	}
}

// TestContentChunkAllocations pins the allocation budget of the hot path:
// no allocation per content chunk through Next alone (the path of Collect),
// nor through Event, whose texts are cut from shared blocks (one allocation
// per 4 KiB of text).
func TestContentChunkAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in the full run")
	}
	const n = 2000
	body, _ := renderContentStream(n)
	c, _ := New("http://127.0.0.1:1/v1")
	r := strings.NewReader(body)
	run := func(event bool) float64 {
		return testing.AllocsPerRun(3, func() { readMemStream(t, c, r, body, event) }) / n
	}
	if a := run(false); a > 0.05 {
		t.Errorf("Next: %.3f allocations per content chunk, want ~0", a)
	}
	if a := run(true); a > 0.05 {
		t.Errorf("Next+Event: %.3f allocations per content chunk, want ~0", a)
	}
}

// Texts handed out by Event stay what they were after the stream has moved
// on: those cut from a block (short ones, across several blocks), those with
// a string of their own (longer than a block's share) and empty ones, in
// chat and completion streams alike.
func TestEventTextsKeptAcrossBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var pieces []string
	var chat, completion strings.Builder
	for i := range 3000 {
		n := r.IntN(12)
		switch i % 500 {
		case 7:
			n = maxBlockText + 1
		case 8:
			n = maxBlockText
		case 9:
			n = textBlockSize + 10
		}
		p := strings.Repeat(string(rune('a'+i%26)), n) + `\`[:min(n, 1)]
		pieces = append(pieces, p)
		chat.WriteString("data: " + vllmChunk(contentChoice(0, p)) + "\n\n")
		completion.WriteString(`data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":` +
			jsonString(p) + `,"logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}` + "\n\n")
	}
	chat.WriteString("data: [DONE]\n\n")
	completion.WriteString("data: [DONE]\n\n")
	c, _ := New("http://127.0.0.1:1/v1")

	var got []string
	st := memStream(c, strings.NewReader(chat.String()))
	for ev, err := range st.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == EventContent || ev.Type == EventReasoning {
			got = append(got, ev.Text)
		}
	}
	checkKeptTexts(t, "chat", got, pieces)

	// Event called again for the same event gives the same event.
	got = got[:0:0]
	st = memStream(c, strings.NewReader(chat.String()))
	for st.Next() {
		ev := st.Event()
		if again := st.Event(); again.Type != ev.Type || again.Text != ev.Text {
			t.Fatalf("Event again: %+v, first %+v", again, ev)
		}
		if ev.Type == EventContent {
			got = append(got, ev.Text)
		}
	}
	if st.Err() != nil {
		t.Fatal(st.Err())
	}
	checkKeptTexts(t, "chat, Event twice", got, pieces)

	got = got[:0:0]
	for ev, err := range memCompletionStream(c, strings.NewReader(completion.String())).Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == EventContent {
			got = append(got, ev.Text)
		}
	}
	checkKeptTexts(t, "completion", got, pieces)
}

func checkKeptTexts(t *testing.T, what string, got, want []string) {
	t.Helper()
	var nonEmpty []string
	for _, p := range want {
		if p != "" { // an empty delta is no event
			nonEmpty = append(nonEmpty, p)
		}
	}
	if len(got) != len(nonEmpty) {
		t.Fatalf("%s: %d texts, want %d", what, len(got), len(nonEmpty))
	}
	for i := range got {
		if got[i] != nonEmpty[i] {
			t.Fatalf("%s: text %d is %q after the stream ended, want %q", what, i, got[i], nonEmpty[i])
		}
	}
}

func benchContent(b *testing.B, keep bool) {
	const n = 20000
	body, _ := renderContentStream(n)
	c, _ := New("http://127.0.0.1:1/v1")
	r := strings.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		readMemStream(b, c, r, body, keep)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/chunk")
}

// BenchmarkChatStreamContentNext reads 20 000 content chunks with Next alone
// (the path of Collect, which accumulates without building events).
func BenchmarkChatStreamContentNext(b *testing.B) { benchContent(b, false) }

// BenchmarkChatStreamContentEvent reads them as ChatEvent values (Text kept).
func BenchmarkChatStreamContentEvent(b *testing.B) { benchContent(b, true) }

// BenchmarkChatStreamHTTP reads 20 000 content chunks over HTTP (in memory).
func BenchmarkChatStreamHTTP(b *testing.B) {
	body, _ := renderContentStream(20000)
	c := newMemServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.Copy(w, bytes.NewReader([]byte(body)))
	})).Client(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		st, err := c.Chat.Stream(context.Background(), chatReq())
		if err != nil {
			b.Fatal(err)
		}
		for st.Next() {
			_ = st.Event()
		}
		if st.Err() != nil {
			b.Fatal(st.Err())
		}
	}
}

// renderToolStream renders four parallel tool calls whose argument
// fragments (1–8 characters) interleave, as vLLM sends each delta.
func renderToolStream(fragmentsPerCall int) string {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for k := range 4 {
		b.WriteString("data: " + vllmChunk(`{"index":0,"delta":{"tool_calls":[{"id":"chatcmpl-tool-`+strings.Repeat(string(rune('a'+k)), 32)+
			`","type":"function","index":`+itoa(k)+`,"function":{"name":"f`+itoa(k)+`"}}]},"logprobs":null,"finish_reason":null}`) + "\n\n")
	}
	left := [4]int{fragmentsPerCall, fragmentsPerCall, fragmentsPerCall, fragmentsPerCall}
	// Pieces of JSON string bodies (escapes included).
	pieces := []string{`{\"`, `a`, `\": \"`, `\\\"`, `x`, `é`, `\n`, `, `, `1`, `}`}
	for left[0]+left[1]+left[2]+left[3] > 0 {
		k := r.IntN(4)
		if left[k] == 0 {
			continue
		}
		left[k]--
		var frag strings.Builder
		for range r.IntN(4) + 1 {
			frag.WriteString(pieces[r.IntN(len(pieces))])
		}
		b.WriteString("data: " + vllmChunk(`{"index":0,"delta":{"tool_calls":[{"index":`+itoa(k)+`,"function":{"arguments":"`+frag.String()+`"}}]},"logprobs":null,"finish_reason":null}`) + "\n\n")
	}
	b.WriteString("data: " + vllmChunk(`{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}`) + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// BenchmarkChatStreamToolCalls reads 4 × 5 000 interleaved argument
// fragments, keeping the completed calls.
func BenchmarkChatStreamToolCalls(b *testing.B) {
	const n = 5000
	body := renderToolStream(n)
	c, _ := New("http://127.0.0.1:1/v1")
	r := strings.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		st := memStream(c, r)
		calls := 0
		for st.Next() {
			if st.Event().Type == EventToolCallDone {
				calls++
			}
		}
		if st.Err() != nil || calls != 4 {
			b.Fatal(st.Err(), calls)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(4*n), "ns/chunk")
}
