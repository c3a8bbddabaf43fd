package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// This file checks, over many generated output shapes, that the response a
// chat stream accumulates equals the response of the non-streaming request
// for the same output. Each shape is rendered twice, as vLLM renders it:
// as an event stream and as a chat.completion body.

type genToken struct {
	text    string
	logprob float64
}

type genTool struct {
	id, name, args string
}

type genChoice struct {
	reasoning  []string   // fragments
	content    []genToken // fragments, each one token
	tools      []genTool
	finish     string
	stopReason string // JSON: null, a string or an int
	finalDelta string // the delta of the finish chunk
}

type genShape struct {
	id, model     string
	created       int64
	reasoningName string // "reasoning" or "reasoning_content"
	choices       []genChoice
	logprobs      bool
	continuous    bool // continuous_usage_stats
	cached        bool // prompt_tokens_details
	interleave    bool // interleave parallel tool calls and choices
	fingerprint   string
	promptTokens  int
}

var textPieces = []string{"a", "b", "Hello", " ", "é", "✓", "\"", "\\", "\n", "<", ">", "&", "\u2028", "😀", "\t", "{", "}", "0", "日本"}

func genText(r *rand.Rand, maxPieces int) string {
	var b strings.Builder
	for range r.IntN(maxPieces) + 1 {
		b.WriteString(textPieces[r.IntN(len(textPieces))])
	}
	return b.String()
}

// fragments splits s into 1–8 rune pieces (a JSON string holds whole
// characters, so a server never splits inside one).
func fragments(r *rand.Rand, s string) []string {
	runes := []rune(s)
	var out []string
	for len(runes) > 0 {
		n := min(len(runes), r.IntN(8)+1)
		out = append(out, string(runes[:n]))
		runes = runes[n:]
	}
	return out
}

func genArgs(r *rand.Rand) string {
	m := map[string]any{"city": genText(r, 4), "n": r.IntN(100)}
	if r.IntN(2) == 0 {
		m["nested"] = map[string]any{"list": []any{1, "two", true, nil}}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func genShapeN(r *rand.Rand, i int) genShape {
	sh := genShape{
		id: "chatcmpl-" + strconv.Itoa(i), model: "Qwen/Qwen3-8B", created: 1744513664 + int64(i),
		reasoningName: []string{"reasoning", "reasoning_content"}[r.IntN(2)],
		logprobs:      r.IntN(3) == 0, continuous: r.IntN(3) == 0, cached: r.IntN(2) == 0,
		interleave: r.IntN(2) == 0, promptTokens: r.IntN(50) + 1,
	}
	if r.IntN(2) == 0 {
		sh.fingerprint = "vllm-0.11.0-abc"
	}
	n := 1
	if r.IntN(3) == 0 {
		n = r.IntN(3) + 2
	}
	for range n {
		var ch genChoice
		if r.IntN(2) == 0 {
			ch.reasoning = fragments(r, genText(r, 12))
		}
		if r.IntN(4) != 0 {
			for _, f := range fragments(r, genText(r, 20)) {
				ch.content = append(ch.content, genToken{f, -float64(r.IntN(1000)) / 37})
			}
		}
		if r.IntN(3) == 0 {
			for k := range r.IntN(4) + 1 {
				ch.tools = append(ch.tools, genTool{
					id: fmt.Sprintf("chatcmpl-tool-%032x", r.Uint64()), name: []string{"get_weather", "run_command", "search"}[k%3],
					args: genArgs(r),
				})
			}
		}
		switch r.IntN(4) {
		case 0:
			ch.finish, ch.stopReason = "length", "null"
		case 1:
			ch.finish, ch.stopReason = "stop", jsonString(genText(r, 2))
		case 2:
			ch.finish, ch.stopReason = "stop", strconv.Itoa(r.IntN(150000))
		default:
			ch.finish, ch.stopReason = "stop", "null"
		}
		if len(ch.tools) > 0 {
			ch.finish = "tool_calls"
		}
		ch.finalDelta = []string{`{}`, `{"content":""}`}[r.IntN(2)]
		sh.choices = append(sh.choices, ch)
	}
	return sh
}

func (sh *genShape) completionTokens() int {
	n := 0
	for _, ch := range sh.choices {
		n += len(ch.reasoning) + len(ch.content) + 3*len(ch.tools)
	}
	return n
}

func (sh *genShape) usage(completion int) string {
	details := "null"
	if sh.cached {
		details = `{"cached_tokens":` + strconv.Itoa(sh.promptTokens/2) + `}`
	}
	return fmt.Sprintf(`{"prompt_tokens":%d,"total_tokens":%d,"completion_tokens":%d,"prompt_tokens_details":%s}`,
		sh.promptTokens, sh.promptTokens+completion, completion, details)
}

func tokenLogprob(t genToken) string {
	ints := make([]string, 0, len(t.text))
	for _, c := range []byte(t.text) {
		ints = append(ints, strconv.Itoa(int(c)))
	}
	lp := strconv.FormatFloat(t.logprob, 'g', -1, 64)
	return `{"token":` + jsonString(t.text) + `,"logprob":` + lp + `,"bytes":[` + strings.Join(ints, ",") +
		`],"top_logprobs":[{"token":` + jsonString(t.text) + `,"logprob":` + lp + `,"bytes":[` + strings.Join(ints, ",") + `]}]}`
}

// renderStream renders the shape as vLLM's event stream.
func (sh *genShape) renderStream(r *rand.Rand) string {
	// Each choice's chunk-choices, in order.
	perChoice := make([][]string, len(sh.choices))
	for i, ch := range sh.choices {
		var cs []string
		add := func(delta, logprobs string) {
			cs = append(cs, fmt.Sprintf(`{"index":%d,"delta":%s,"logprobs":%s,"finish_reason":null}`, i, delta, logprobs))
		}
		add(`{"role":"assistant","content":""}`, "null")
		for _, f := range ch.reasoning {
			add(`{"`+sh.reasoningName+`":`+jsonString(f)+`}`, "null")
		}
		for _, tok := range ch.content {
			lp := "null"
			if sh.logprobs {
				lp = `{"content":[` + tokenLogprob(tok) + `]}`
			}
			add(`{"content":`+jsonString(tok.text)+`}`, lp)
		}
		// Tool calls: the announcing delta, then argument fragments,
		// possibly interleaved between calls.
		type piece struct{ tool, n int }
		var queues [][]string
		for k, tc := range ch.tools {
			q := []string{fmt.Sprintf(`{"tool_calls":[{"id":%q,"type":"function","index":%d,"function":{"name":%q}}]}`, tc.id, k, tc.name)}
			for _, f := range fragments(r, tc.args) {
				q = append(q, fmt.Sprintf(`{"tool_calls":[{"index":%d,"function":{"arguments":%s}}]}`, k, jsonString(f)))
			}
			queues = append(queues, q)
		}
		for _, d := range merge(r, queues, sh.interleave) {
			add(d, "null")
		}
		cs = append(cs, fmt.Sprintf(`{"index":%d,"delta":%s,"logprobs":null,"finish_reason":%q,"stop_reason":%s}`, i, ch.finalDelta, ch.finish, ch.stopReason))
		perChoice[i] = cs
	}
	var b strings.Builder
	sent := 0
	total := sh.completionTokens()
	for _, c := range merge(r, perChoice, sh.interleave) {
		usage := ""
		if sh.continuous {
			sent = min(sent+1, total)
			usage = `,"usage":` + sh.usage(sent)
		}
		fp := ""
		if sh.fingerprint != "" {
			fp = `,"system_fingerprint":` + jsonString(sh.fingerprint)
		}
		fmt.Fprintf(&b, "data: {\"id\":%q,\"object\":\"chat.completion.chunk\",\"created\":%d,\"model\":%q%s,\"choices\":[%s]%s}\n\n",
			sh.id, sh.created, sh.model, fp, c, usage)
	}
	fmt.Fprintf(&b, "data: {\"id\":%q,\"object\":\"chat.completion.chunk\",\"created\":%d,\"model\":%q,\"choices\":[],\"usage\":%s}\n\n",
		sh.id, sh.created, sh.model, sh.usage(total))
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// merge concatenates the queues, or interleaves them at random keeping each
// queue's order.
func merge(r *rand.Rand, queues [][]string, interleave bool) []string {
	var out []string
	if !interleave {
		for _, q := range queues {
			out = append(out, q...)
		}
		return out
	}
	qs := make([][]string, len(queues))
	copy(qs, queues)
	for {
		var live []int
		for i, q := range qs {
			if len(q) > 0 {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			return out
		}
		i := live[r.IntN(len(live))]
		out = append(out, qs[i][0])
		qs[i] = qs[i][1:]
	}
}

// renderBody renders the shape as vLLM's non-streaming response.
func (sh *genShape) renderBody() string {
	var choices []string
	for i, ch := range sh.choices {
		reasoning := strings.Join(ch.reasoning, "")
		var content strings.Builder
		var lps []string
		for _, tok := range ch.content {
			content.WriteString(tok.text)
			lps = append(lps, tokenLogprob(tok))
		}
		msg := `{"role":"assistant"`
		switch {
		case content.Len() == 0 && (len(ch.tools) > 0 || reasoning != ""):
			msg += `,"content":null`
		default:
			msg += `,"content":` + jsonString(content.String())
		}
		if reasoning != "" {
			msg += `,"` + sh.reasoningName + `":` + jsonString(reasoning)
		}
		if len(ch.tools) > 0 {
			var tcs []string
			for _, tc := range ch.tools {
				tcs = append(tcs, fmt.Sprintf(`{"id":%q,"type":"function","function":{"name":%q,"arguments":%s}}`, tc.id, tc.name, jsonString(tc.args)))
			}
			msg += `,"tool_calls":[` + strings.Join(tcs, ",") + `]`
		}
		msg += "}"
		lp := "null"
		if sh.logprobs && len(lps) > 0 {
			lp = `{"content":[` + strings.Join(lps, ",") + `]}`
		}
		choices = append(choices, fmt.Sprintf(`{"index":%d,"message":%s,"logprobs":%s,"finish_reason":%q,"stop_reason":%s}`, i, msg, lp, ch.finish, ch.stopReason))
	}
	fp := ""
	if sh.fingerprint != "" {
		fp = `,"system_fingerprint":` + jsonString(sh.fingerprint)
	}
	return fmt.Sprintf(`{"id":%q,"object":"chat.completion","created":%d,"model":%q,"choices":[%s],"usage":%s%s,"prompt_logprobs":null,"kv_transfer_params":null}`,
		sh.id, sh.created, sh.model, strings.Join(choices, ","), sh.usage(sh.completionTokens()), fp)
}

// normalize clears what legitimately differs between the two forms: the
// raw body, and JSON nulls kept as raw values by the non-streaming decoder.
func normalize(r *ChatResponse) {
	r.Raw = nil
	for _, raw := range []*json.RawMessage{&r.PromptLogprobs, &r.KVTransferParams} {
		if string(*raw) == "null" {
			*raw = nil
		}
	}
}

func TestStreamCollectEqualsCreate(t *testing.T) {
	var cur struct{ stream, body string }
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "text/event-stream" {
			startSSE(w).raw(cur.stream)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(cur.body))
	})).Client(t)
	const shapes = 400
	kinds := map[string]int{}
	for i := range shapes {
		r := rand.New(rand.NewPCG(uint64(i), 42))
		sh := genShapeN(r, i)
		cur.stream, cur.body = sh.renderStream(r), sh.renderBody()
		want, err := c.Chat.Create(context.Background(), chatReq())
		if err != nil {
			t.Fatalf("shape %d: create: %v\n%s", i, err, cur.body)
		}
		st := openChat(t, c)
		got, err := st.Collect()
		if err != nil {
			t.Fatalf("shape %d: stream: %v\n%s", i, err, cur.stream)
		}
		normalize(want)
		normalize(got)
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.MarshalIndent(got, "", " ")
			wj, _ := json.MarshalIndent(want, "", " ")
			t.Fatalf("shape %d differs\nstream:\n%s\n got %s\nwant %s\nbody %s", i, cur.stream, gj, wj, cur.body)
		}
		// The same property through the per-event view: the content of
		// every choice rebuilt from EventContent texts.
		for _, ch := range sh.choices {
			if len(ch.tools) > 1 {
				kinds["parallel tools"]++
			}
			if len(ch.reasoning) > 0 && len(ch.content) > 0 {
				kinds["reasoning+content"]++
			}
		}
		if len(sh.choices) > 1 {
			kinds["n>1"]++
		}
		if sh.logprobs {
			kinds["logprobs"]++
		}
		if sh.continuous {
			kinds["continuous usage"]++
		}
	}
	for _, k := range []string{"parallel tools", "reasoning+content", "n>1", "logprobs", "continuous usage"} {
		if kinds[k] < 10 {
			t.Errorf("only %d shapes with %s", kinds[k], k)
		}
	}
}

// TestStreamEventsRebuildResponse checks the events themselves against the
// accumulated response: concatenated texts, and one EventToolCallDone per
// call in index order, before the choice's EventFinish.
func TestStreamEventsRebuildResponse(t *testing.T) {
	var body string
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	for i := range 100 {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		sh := genShapeN(r, i)
		body = sh.renderStream(r)
		st := openChat(t, c)
		content := map[int]*bytes.Buffer{}
		reasoning := map[int]*bytes.Buffer{}
		done := map[int][]ChatEvent{}
		finished := map[int]bool{}
		var last EventType
		for st.Next() {
			ev := st.Event()
			if ev.Choice >= 0 && finished[ev.Choice] {
				t.Fatalf("shape %d: %v event after the finish of choice %d", i, ev.Type, ev.Choice)
			}
			buf := func(m map[int]*bytes.Buffer) *bytes.Buffer {
				if m[ev.Choice] == nil {
					m[ev.Choice] = &bytes.Buffer{}
				}
				return m[ev.Choice]
			}
			switch ev.Type {
			case EventContent:
				buf(content).WriteString(ev.Text)
			case EventReasoning:
				buf(reasoning).WriteString(ev.Text)
			case EventToolCallDone:
				done[ev.Choice] = append(done[ev.Choice], ev)
			case EventFinish:
				finished[ev.Choice] = true
			}
			if ev.Type != EventUsage && len(ev.Raw) > 0 && !json.Valid(ev.Raw) {
				t.Fatalf("Raw is not the chunk: %s", ev.Raw)
			}
			last = ev.Type
		}
		if st.Err() != nil || last != EventDone {
			t.Fatalf("shape %d: err %v, last %v", i, st.Err(), last)
		}
		resp, _ := st.Collect() // Err was nil: the stream ended with [DONE]
		for _, ch := range resp.Choices {
			if got := content[ch.Index]; ch.Message.Content != "" && (got == nil || got.String() != ch.Message.Content) {
				t.Fatalf("shape %d: content events %q, response %q", i, got, ch.Message.Content)
			}
			if got := reasoning[ch.Index]; ch.Message.Reasoning != "" && got.String() != ch.Message.Reasoning {
				t.Fatalf("shape %d: reasoning events differ", i)
			}
			if len(done[ch.Index]) != len(ch.Message.ToolCalls) {
				t.Fatalf("shape %d: %d done events for %d calls", i, len(done[ch.Index]), len(ch.Message.ToolCalls))
			}
			for k, tc := range done[ch.Index] {
				if tc.ToolIndex != k || tc.ToolCall != ch.Message.ToolCalls[k] {
					t.Fatalf("shape %d: done event %d = #%d %+v, call %+v", i, k, tc.ToolIndex, tc.ToolCall, ch.Message.ToolCalls[k])
				}
			}
			if !finished[ch.Index] {
				t.Fatalf("shape %d: no finish event for choice %d", i, ch.Index)
			}
		}
	}
}
