package vllm

import (
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
)

func TestSplitThink(t *testing.T) {
	tests := []struct {
		name, in, reasoning, content string
	}{
		{"no tags", "Hello there.", "", "Hello there."},
		{"no tags keeps whitespace", "  Hello\n", "", "  Hello\n"},
		{"empty", "", "", ""},
		{"qwen3 style", "<think>\nLet me see.\n</think>\n\nThe answer is 4.", "Let me see.", "The answer is 4."},
		{"leading space before think", "\n\n<think>r</think>c", "r", "c"},
		{"unclosed think is all reasoning", "<think>\nstill thinking ", "still thinking", ""},
		{"starts inside (deepseek-r1)", "The user asks.\n</think>\n\nFour.", "The user asks.", "Four."},
		{"starts inside, extra close later stays", "r</think>c</think>d", "r", "c</think>d"},
		{"empty think block", "<think>\n\n</think>\n\nHi", "", "Hi"},
		{"content before think", "Sure. <think>hmm</think>Done", "hmm", "Sure. Done"},
		{"two blocks", "<think>a</think>x<think>b</think>y", "ab", "xy"},
		{"nested open is literal reasoning", "<think>a<think>b</think>c", "a<think>b", "c"},
		{"lookalike tags are text", "<thinking>x</thinkers>", "", "<thinking>x</thinkers>"},
		{"partial open at end", "abc <thi", "", "abc <thi"},
		{"partial close at end inside", "<think>abc </thi", "abc </thi", ""},
		{"inner whitespace kept", "<think>a\n\nb</think>c \n d", "a\n\nb", "c \n d"},
		{"only whitespace after close", "<think>r</think>  \n", "r", ""},
		{"unicode", "<think>ü→</think>日本", "ü→", "日本"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c := splitThink(tt.in, false)
			if r != tt.reasoning || c != tt.content {
				t.Fatalf("splitThink(%q, false) = (%q, %q), want (%q, %q)", tt.in, r, c, tt.reasoning, tt.content)
			}
		})
	}
}

func TestThinkSplitterStartInThink(t *testing.T) {
	in := thinkSplitter{startInThink: true}
	for _, tc := range []struct {
		parts              []string
		reasoning, content string
	}{
		{[]string{"\nOkay", ", the user", " wants 4.\n", "</th", "ink>\n", "\n", "Four", "."}, "Okay, the user wants 4.", "Four."},
		// A leading <think> is accepted even when the template opened the block.
		{[]string{"<think>\nx</think>y"}, "x", "y"},
		// Without a tag at all, everything is reasoning.
		{[]string{"  all reasoning "}, "all reasoning", ""},
	} {
		if r, c := feedAll(in, tc.parts); r != tc.reasoning || c != tc.content {
			t.Errorf("%q: got (%q, %q), want (%q, %q)", tc.parts, r, c, tc.reasoning, tc.content)
		}
	}
}

func TestThinkSplitterStreamsEarly(t *testing.T) {
	// Text that cannot start a tag is released at once, not held to the end.
	var sp thinkSplitter
	if r, c := sp.split("<think>"); r != "" || c != "" {
		t.Fatalf("got (%q, %q)", r, c)
	}
	if r, c := sp.split("step one"); r != "step one" || c != "" {
		t.Fatalf("got (%q, %q)", r, c)
	}
	if r, c := sp.split(" and two\n<"); r != " and two" || c != "" {
		t.Fatalf("got (%q, %q)", r, c)
	}
	if r, c := sp.split("/think>\n\nAns"); r != "" || c != "Ans" {
		t.Fatalf("got (%q, %q)", r, c)
	}
	if r, c := sp.split("wer <b>"); r != "" || c != "wer <b>" {
		t.Fatalf("got (%q, %q)", r, c)
	}
	if r, c := sp.flush(); r != "" || c != "" {
		t.Fatalf("flush got (%q, %q)", r, c)
	}
}

func TestThinkSplitterReuseAfterFlush(t *testing.T) {
	var sp thinkSplitter
	sp.split("<think>a")
	sp.flush()
	r, c := sp.split("plain")
	r2, c2 := sp.flush()
	if r+r2 != "" || c+c2 != "plain" {
		t.Fatalf("after Flush got (%q, %q)", r+r2, c+c2)
	}
}

func TestThinkSplitterAllocations(t *testing.T) {
	var sp thinkSplitter
	sp.split("<think>")
	allocs := testing.AllocsPerRun(100, func() {
		sp.split("a reasoning token")
		sp.split(" and another one.")
	})
	if allocs != 0 {
		t.Fatalf("Split of plain fragments allocates %v times", allocs)
	}
}

// splitAll feeds parts to a splitter configured as splitThink would be for
// the whole text, and joins what comes out.
func splitAll(whole string, parts []string) (string, string) {
	return feedAll(thinkSplitter{startInThink: opensInsideThink(whole)}, parts)
}

// feedAll feeds parts to sp, flushes it, and joins what comes out.
func feedAll(sp thinkSplitter, parts []string) (string, string) {
	var r, c strings.Builder
	for _, p := range parts {
		rr, cc := sp.split(p)
		r.WriteString(rr)
		c.WriteString(cc)
	}
	rr, cc := sp.flush()
	r.WriteString(rr)
	c.WriteString(cc)
	return r.String(), c.String()
}

// thinkPieces are the building blocks of generated test strings: tags, tag
// fragments, whitespace and text.
var thinkPieces = []string{"<think>", "</think>", "<", "</", "<th", "</thi", "think", ">", "k>", " ", "\n", "a", "bc", "é", "<b>"}

func randomThinkText(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.Intn(12); n >= 0; n-- {
		b.WriteString(thinkPieces[rng.Intn(len(thinkPieces))])
	}
	return b.String()
}

// TestThinkSplitterEveryCut checks the property the stream relies on:
// however the text is cut into fragments, the result equals the whole-text
// result.
func TestThinkSplitterEveryCut(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	texts := []string{
		"<think>\nLet me see.\n</think>\n\nThe answer is 4.",
		"The user asks.\n</think>\n\nFour.",
		"  <think> a </think>  b <think>c",
		"x</thi</think>y<thin<think>z",
	}
	for i := 0; i < 3000; i++ {
		texts = append(texts, randomThinkText(rng))
	}
	for _, s := range texts {
		wr, wc := splitThink(s, false)
		for i := 0; i <= len(s); i++ {
			if r, c := splitAll(s, []string{s[:i], s[i:]}); r != wr || c != wc {
				t.Fatalf("%q cut at %d: got (%q, %q), whole (%q, %q)", s, i, r, c, wr, wc)
			}
		}
		// Byte by byte: every cut at once.
		parts := make([]string, len(s))
		for i := 0; i < len(s); i++ {
			parts[i] = s[i : i+1]
		}
		if r, c := splitAll(s, parts); r != wr || c != wc {
			t.Fatalf("%q byte by byte: got (%q, %q), whole (%q, %q)", s, r, c, wr, wc)
		}
	}
}

func FuzzThinkSplitter(f *testing.F) {
	f.Add("<think>\nreason\n</think>\n\nanswer", uint16(3), uint16(20))
	f.Add("reason</think>answer", uint16(7), uint16(9))
	f.Add("a</thi</think>b<think", uint16(1), uint16(2))
	f.Fuzz(func(t *testing.T, s string, a, b uint16) {
		i, j := int(a)%(len(s)+1), int(b)%(len(s)+1)
		if i > j {
			i, j = j, i
		}
		wr, wc := splitThink(s, false)
		if r, c := splitAll(s, []string{s[:i], s[i:j], s[j:]}); r != wr || c != wc {
			t.Fatalf("%q cut at %d,%d: got (%q, %q), whole (%q, %q)", s, i, j, r, c, wr, wc)
		}
		// Nothing but tags and whitespace is ever dropped.
		strip := func(x string) string {
			x = strings.ReplaceAll(x, thinkOpenTag, "")
			x = strings.ReplaceAll(x, thinkCloseTag, "")
			return strings.Join(strings.Fields(x), "")
		}
		if got, want := len(strip(wr))+len(strip(wc)), len(strip(s)); got != want {
			t.Fatalf("%q: kept %d non-space bytes of %d: (%q, %q)", s, got, want, wr, wc)
		}
	})
}

// TestCreateWithThinkSplit: WithThinkSplit splits a whole chat response as
// it splits a stream; without it the content is left as the server sent it.
func TestCreateWithThinkSplit(t *testing.T) {
	body := `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[
	 {"index":0,"message":{"role":"assistant","content":"<think>\nPlan.\n</think>\n\nHi!"},"finish_reason":"stop"},
	 {"index":1,"message":{"role":"assistant","content":"Only content."},"finish_reason":"stop"},
	 {"index":2,"message":{"role":"assistant","content":"R1 style</think>Answer","reasoning":"server"},"finish_reason":"stop"},
	 {"index":3,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	})).Client(t)
	type rc struct{ reasoning, content string }
	for _, tt := range []struct {
		name string
		opts []Option
		want []rc
	}{
		{"no option", nil, []rc{{"", "<think>\nPlan.\n</think>\n\nHi!"}, {"", "Only content."}, {"server", "R1 style</think>Answer"}, {"", ""}}},
		{"split", []Option{WithThinkSplit(false)}, []rc{{"Plan.", "Hi!"}, {"", "Only content."}, {"server\nR1 style", "Answer"}, {"", ""}}},
		{"start in think", []Option{WithThinkSplit(true)}, []rc{{"Plan.", "Hi!"}, {"Only content.", ""}, {"server\nR1 style", "Answer"}, {"", ""}}},
	} {
		resp, err := c.Chat.Create(context.Background(), chatReq(), tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tt.want {
			m := resp.Choices[i].Message
			if m.Reasoning != w.reasoning || m.Content != w.content {
				t.Errorf("%s, choice %d: got (%q, %q), want (%q, %q)", tt.name, i, m.Reasoning, m.Content, w.reasoning, w.content)
			}
		}
		// The tool-call choice still sends content null in history.
		if b, _ := json.Marshal(resp.Choices[3].AssistantMessage()); !strings.Contains(string(b), `"content":null`) {
			t.Errorf("%s: tool-call message lost null content: %s", tt.name, b)
		}
	}
	var nilResp *ChatResponse
	nilResp.splitThink(false) // no panic
}
