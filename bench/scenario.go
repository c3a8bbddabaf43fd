package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// Usage is the token accounting a client read from a response.
type Usage struct {
	PromptTokens, CompletionTokens, TotalTokens int
}

// ToolCall is an assembled tool call: id, function name and the whole
// arguments text.
type ToolCall struct {
	ID, Name, Arguments string
}

// Result is what a client made of a response: the assembled content,
// reasoning and tool calls, the finish reason and the usage. The floor row
// only counts bytes.
type Result struct {
	Content      string
	Reasoning    string
	ToolCalls    []ToolCall
	FinishReason string
	Usage        Usage
	// Bytes is the size of the body the floor row read.
	Bytes int64
}

// Scenario is one pre-rendered response and what a client must make of it.
type Scenario struct {
	// Name identifies the scenario; clients send it as the model name and
	// the server answers with this scenario's body.
	Name string
	// Stream is true for an SSE body (the request must ask for a stream
	// with stream_options.include_usage).
	Stream bool
	// Body is the response body exactly as vLLM would write it.
	Body []byte
	// Deltas is the number of chunks that carry generated text (content,
	// reasoning or tool-call deltas): the unit of the per-event metrics.
	Deltas int
	// Want is the exact result a client must produce.
	Want Result
}

// promptTokens is the prompt size every rendered response reports.
const promptTokens = 23

func usageFor(completion int) Usage {
	return Usage{PromptTokens: promptTokens, CompletionTokens: completion, TotalTokens: promptTokens + completion}
}

// streamBuilder renders an SSE body chunk by chunk.
type streamBuilder struct {
	body   []byte
	delta  []byte
	deltas int
}

func newStreamBuilder(sizeHint int) *streamBuilder {
	sb := &streamBuilder{body: make([]byte, 0, sizeHint)}
	sb.body = appendDeltaChunk(sb.body, model, []byte(roleDelta))
	return sb
}

func (sb *streamBuilder) text(field, s string) {
	sb.delta = textDelta(sb.delta[:0], field, s)
	sb.body = appendDeltaChunk(sb.body, model, sb.delta)
	sb.deltas++
}

func (sb *streamBuilder) toolStart(index int, id, name string) {
	sb.delta = toolStartDelta(sb.delta[:0], index, id, name)
	sb.body = appendDeltaChunk(sb.body, model, sb.delta)
}

func (sb *streamBuilder) toolArgs(index int, fragment string) {
	sb.delta = toolArgsDelta(sb.delta[:0], index, fragment)
	sb.body = appendDeltaChunk(sb.body, model, sb.delta)
	sb.deltas++
}

// finish appends the finish chunk, the usage chunk and [DONE], and returns
// the scenario.
func (sb *streamBuilder) finish(name, reason string, want Result) *Scenario {
	want.FinishReason = reason
	want.Usage = usageFor(sb.deltas)
	sb.body = appendFinishChunk(sb.body, model, reason)
	sb.body = appendUsageChunk(sb.body, model, want.Usage)
	sb.body = append(sb.body, done...)
	return &Scenario{Name: name, Stream: true, Body: sb.body, Deltas: sb.deltas, Want: want}
}

// ContentScenario is a stream of n content chunks of 1 to 8 characters each,
// with quotes, backslashes, newlines and multi-byte UTF-8 among them.
func ContentScenario(n int) *Scenario {
	g := newTextGen(1)
	sb := newStreamBuilder(n * 190)
	var all strings.Builder
	for range n {
		p := g.piece()
		all.WriteString(p)
		sb.text("content", p)
	}
	return sb.finish("content", "stop", Result{Content: all.String()})
}

// ReasoningScenario is n/2 reasoning chunks followed by n - n/2 content
// chunks. field names the reasoning field: "reasoning" (current vLLM) or
// "reasoning_content" (vLLM before the rename); the scenario is named after
// it.
func ReasoningScenario(n int, field string) *Scenario {
	g := newTextGen(2)
	sb := newStreamBuilder(n * 190)
	var reasoning, content strings.Builder
	for i := range n {
		p := g.piece()
		if i < n/2 {
			reasoning.WriteString(p)
			sb.text(field, p)
		} else {
			content.WriteString(p)
			sb.text("content", p)
		}
	}
	return sb.finish(field, "stop", Result{Reasoning: reasoning.String(), Content: content.String()})
}

// toolNames are the functions of the tool-call scenario.
var toolNames = []string{"write_file", "run_command", "search_docs", "get_weather"}

// ToolCallsScenario is calls parallel tool calls whose arguments arrive in
// about fragments pieces each (1 to 8 characters), interleaved between the
// calls in pseudo-random order; each call starts with its id and name.
func ToolCallsScenario(calls, fragments int) *Scenario {
	g := newTextGen(3)
	sb := newStreamBuilder(calls * fragments * 200)
	want := Result{}
	pending := make([][]string, calls)
	started := make([]bool, calls)
	for i := range calls {
		// Arguments as a model writes them (Python-style separators),
		// with a long string value full of characters that need escaping.
		var a []byte
		a = append(a, `{"path": "/tmp/out-`...)
		a = strconv.AppendInt(a, int64(i), 10)
		a = append(a, `.txt", "content": `...)
		a = jsonstr.AppendPython(a, g.text(fragments*4))
		a = append(a, `, "mode": 420}`...)
		args := string(a)
		pending[i] = g.split(args)
		want.ToolCalls = append(want.ToolCalls, ToolCall{
			ID:        fmt.Sprintf("chatcmpl-tool-ca99dda515524c6abe47d1ea22813%02x", i),
			Name:      toolNames[i%len(toolNames)],
			Arguments: args,
		})
	}
	left := calls
	for left > 0 {
		i := g.r.IntN(calls)
		if len(pending[i]) == 0 {
			continue
		}
		if !started[i] {
			started[i] = true
			sb.toolStart(i, want.ToolCalls[i].ID, want.ToolCalls[i].Name)
		}
		sb.toolArgs(i, pending[i][0])
		pending[i] = pending[i][1:]
		if len(pending[i]) == 0 {
			left--
		}
	}
	return sb.finish("tools", "tool_calls", want)
}

// LongLineScenario is a tool call whose arguments arrive in one fragment, so
// that one SSE line is at least size bytes long: a probe of the clients'
// line limits. The scenario is named after the size ("line-100KiB").
func LongLineScenario(size int) *Scenario {
	var a []byte
	a = append(a, `{"content": "`...)
	for len(a) < size {
		a = append(a, "0123456789abcdef"...)
	}
	a = append(a, `"}`...)
	sb := newStreamBuilder(len(a) + 4096)
	want := Result{ToolCalls: []ToolCall{{ID: "chatcmpl-tool-0123456789abcdef0123456789abcdef", Name: "write_file", Arguments: string(a)}}}
	sb.toolStart(0, want.ToolCalls[0].ID, want.ToolCalls[0].Name)
	sb.toolArgs(0, want.ToolCalls[0].Arguments)
	return sb.finish("line-"+sizeName(size), "tool_calls", want)
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// ChatScenario is a non-streaming chat response with a content of about
// chars characters, with every field vLLM writes (nulls included).
func ChatScenario(chars int) *Scenario {
	g := newTextGen(4)
	content := g.text(chars)
	u := usageFor(chars / 4)
	var b []byte
	b = append(b, `{"id":"`+chunkID+`","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = jsonstr.AppendPython(b, model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = jsonstr.AppendPython(b, content)
	b = append(b, `,"refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning":null},"logprobs":null,"finish_reason":"stop","stop_reason":null,"token_ids":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	b = append(b, `,"prompt_tokens_details":null},"prompt_logprobs":null,"prompt_token_ids":null,"kv_transfer_params":null}`...)
	return &Scenario{Name: "chat", Body: b, Want: Result{Content: content, FinishReason: "stop", Usage: u}}
}

// Verify reports whether got is exactly what sc wants, naming the first
// difference.
func (sc *Scenario) Verify(got Result) error {
	want := sc.Want
	if got.Bytes != 0 {
		if got.Bytes != int64(len(sc.Body)) {
			return fmt.Errorf("%s: read %d bytes, want %d", sc.Name, got.Bytes, len(sc.Body))
		}
		return nil
	}
	if err := diffText(sc.Name, "content", got.Content, want.Content); err != nil {
		return err
	}
	if err := diffText(sc.Name, "reasoning", got.Reasoning, want.Reasoning); err != nil {
		return err
	}
	if len(got.ToolCalls) != len(want.ToolCalls) {
		return fmt.Errorf("%s: %d tool calls, want %d", sc.Name, len(got.ToolCalls), len(want.ToolCalls))
	}
	for i, tc := range got.ToolCalls {
		w := want.ToolCalls[i]
		if tc.ID != w.ID || tc.Name != w.Name {
			return fmt.Errorf("%s: tool call %d is %q %q, want %q %q", sc.Name, i, tc.ID, tc.Name, w.ID, w.Name)
		}
		if tc.Arguments != w.Arguments {
			return diffText(sc.Name, "tool call "+strconv.Itoa(i)+" arguments", tc.Arguments, w.Arguments)
		}
	}
	if got.FinishReason != want.FinishReason {
		return fmt.Errorf("%s: finish reason %q, want %q", sc.Name, got.FinishReason, want.FinishReason)
	}
	if got.Usage != want.Usage {
		return fmt.Errorf("%s: usage %+v, want %+v", sc.Name, got.Usage, want.Usage)
	}
	return nil
}

// diffText compares two texts and describes the first difference briefly.
// The scenario and the field are apart so that a match allocates nothing:
// Verify runs on every request of the benchmarks, and the floor row, which
// has no text to compare, must not be spared a cost the other rows pay.
func diffText(scenario, field, got, want string) error {
	if got == want {
		return nil
	}
	what := scenario + ": " + field
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Errorf("%s differs at byte %d (lengths %d and %d): got %q, want %q",
		what, i, len(got), len(want), clip(got[i:]), clip(want[i:]))
}

func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
