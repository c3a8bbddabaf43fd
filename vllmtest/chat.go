package vllmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/jsonstr"
	"github.com/vllmgo/vllm/internal/sleep"
)

// GenerationFields are the body fields that chat and legacy completion
// requests share: the model, streaming, and the sampling parameters both
// take. ChatRequest and CompletionRequest embed them. Each field is the body
// field of the same JSON name; a pointer is nil when the field was absent.
type GenerationFields struct {
	Model         string          `json:"model"`
	Stream        bool            `json:"stream"`
	StreamOptions *StreamOptions  `json:"stream_options"`
	N             *int            `json:"n"`
	MaxTokens     *int            `json:"max_tokens"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Seed          *int            `json:"seed"`
	Stop          json.RawMessage `json:"stop"`
	IgnoreEOS     bool            `json:"ignore_eos"`
}

// ChatRequest is the decoded body of a chat completion request, as the
// server read it. Each field is the body field of the same JSON name; a
// pointer is nil when the field was absent. Fields it does not model are in
// Request.JSON.
type ChatRequest struct {
	GenerationFields
	Messages            []ChatMessage   `json:"messages"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Logprobs            bool            `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	Tools               []ToolDef       `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	ChatTemplateKwargs  map[string]any  `json:"chat_template_kwargs"`
	IncludeReasoning    *bool           `json:"include_reasoning"`
	ReasoningEffort     string          `json:"reasoning_effort"`
}

// ChatMessage is one message of a chat request; Content is kept raw (a
// string, a list of parts, or null): Text extracts its text.
type ChatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	ToolCalls  json.RawMessage `json:"tool_calls,omitempty"`
	Reasoning  string          `json:"reasoning,omitempty"`
}

// Text returns the message's text: its content when it is a string, or its
// text parts joined.
func (m *ChatMessage) Text() string {
	c := bytes.TrimSpace(m.Content)
	if len(c) == 0 || c[0] == 'n' {
		return ""
	}
	var s string
	if json.Unmarshal(c, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(c, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// StreamOptions are a request's stream_options.
type StreamOptions struct {
	IncludeUsage         bool `json:"include_usage"`
	ContinuousUsageStats bool `json:"continuous_usage_stats"`
}

// ToolDef is a tool offered by a request.
type ToolDef struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

// choices returns n, defaulting to 1.
func (f *GenerationFields) choices() int {
	if f.N == nil {
		return 1
	}
	return *f.N
}

// checkStreamAndN refuses, as vLLM does, stream_options without stream and
// an n below 1. It reports whether the request passed; when not, it has
// answered it.
func (f *GenerationFields) checkStreamAndN(w http.ResponseWriter) bool {
	if f.StreamOptions != nil && !f.Stream {
		validationError(w, "Value error, Stream options can only be defined when `stream=True`.", "stream_options")
		return false
	}
	if n := f.choices(); n < 1 {
		validationError(w, "Value error, n must be at least 1, got "+strconv.Itoa(n)+".", "n")
		return false
	}
	return true
}

// usage reports what stream_options ask of a stream's usage: a final usage
// chunk, and usage on every chunk as well.
func (f *GenerationFields) usage() (include, continuous bool) {
	include = f.StreamOptions != nil && f.StreamOptions.IncludeUsage
	return include, include && f.StreamOptions.ContinuousUsageStats
}

// maxTokens returns the requested limit, or -1, and the name of the
// field that set it.
func (r *ChatRequest) maxTokens() (int, string) {
	switch {
	case r.MaxCompletionTokens != nil:
		return *r.MaxCompletionTokens, "max_completion_tokens"
	case r.MaxTokens != nil:
		return *r.MaxTokens, "max_tokens"
	}
	return -1, "max_tokens"
}

// toolChoice returns the request's tool choice: "none", "auto",
// "required", or the forced function's name prefixed with "function:".
func (r *ChatRequest) toolChoice() string {
	c := bytes.TrimSpace(r.ToolChoice)
	if len(c) == 0 || string(c) == "null" {
		if len(r.Tools) == 0 {
			return "none"
		}
		return "auto"
	}
	var s string
	if json.Unmarshal(c, &s) == nil {
		return s
	}
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	_ = json.Unmarshal(c, &named)
	return "function:" + named.Function.Name
}

// renderPrompt renders the messages as a chat template would, for counting
// and tokenizing the prompt.
func renderPrompt(msgs []ChatMessage, addGenerationPrompt bool) string {
	var b strings.Builder
	for i := range msgs {
		b.WriteString("<|im_start|>")
		b.WriteString(msgs[i].Role)
		b.WriteString("\n")
		b.WriteString(msgs[i].Text())
		b.WriteString("<|im_end|>\n")
	}
	if addGenerationPrompt {
		b.WriteString("<|im_start|>assistant\n")
	}
	return b.String()
}

// validationError answers 400 with vLLM's validation error body.
func validationError(w http.ResponseWriter, msg, param string) {
	writeError(w, http.StatusBadRequest, TypeValidation, msg, param)
}

// vllmValidationError answers 400 as vLLM's VLLMValidationError does: type
// BadRequestError, the message followed by " (parameter=…, value=…)", and
// param set.
func vllmValidationError(w http.ResponseWriter, msg, param, value string) {
	writeError(w, http.StatusBadRequest, TypeBadRequest, msg+" (parameter="+param+", value="+value+")", param)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	x := exchangeOf(r)
	s.updateRecord(x, func(rec *Request) { rec.Chat = &req })
	if req.Messages == nil {
		validationError(w, "1 validation error:\n  Field required [type=missing, input_value={...}, input_type=dict]\n    body.messages", "messages")
		return
	}
	if !req.checkStreamAndN(w) {
		return
	}
	if req.TopLogprobs != nil {
		v := *req.TopLogprobs
		if v < -1 {
			vllmValidationError(w, "`top_logprobs` must be a positive value or -1.", "top_logprobs", strconv.Itoa(v))
			return
		}
		if (v == -1 || v > 0) && !req.Logprobs {
			vllmValidationError(w, "when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs", strconv.Itoa(v))
			return
		}
	}
	if req.Tools != nil && len(req.Tools) == 0 {
		vllmValidationError(w, "`tools` must not be an empty array.", "tools", "[]")
		return
	}
	choice := req.toolChoice()
	if (choice == "required" || strings.HasPrefix(choice, "function:")) && len(req.Tools) == 0 {
		validationError(w, "Value error, When using `tool_choice`, `tools` must be set.", "tool_choice")
		return
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	prompt := renderPrompt(req.Messages, true)
	promptToks := splitTokens(prompt)
	promptTokens := len(promptToks)
	limit, limitParam := req.maxTokens()
	if !checkContext(w, m, promptTokens, limit, limitParam) {
		return
	}
	if limit < 0 && req.IgnoreEOS {
		limit = m.maxModelLen - promptTokens // vLLM's default max_tokens
	}
	cached := s.cache.admit(promptToks)
	if x != nil {
		x.prefill = s.prefill(promptTokens, cached)
	}

	g := &chatGen{generation: generation{s: s, model: req.Model, promptTokens: promptTokens, cachedTokens: cached}, req: &req}
	if g.model == "" {
		g.model = m.name
	}
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		id = s.nextID()
	}
	g.id = "chatcmpl-" + id
	g.created = time.Now().Unix()
	reply, done := s.scriptedReply(w, x)
	if done {
		return
	}
	g.plans = make([]choicePlan, req.choices())
	for i := range g.plans {
		if reply != nil {
			g.plans[i] = s.planFromReply(reply)
		} else {
			g.plans[i] = s.defaultChatPlan(&req, prompt, i, limit)
		}
	}
	for i := range g.plans {
		adjustForToolChoice(&g.plans[i], choice, reply != nil && reply.FinishReason != "")
	}
	g.useReplyCounts(reply)
	if req.Stream {
		g.stream(w, r)
		return
	}
	g.respond(w, r)
}

// checkContext answers 400 with current vLLM's messages when max_tokens
// exceeds the context, or when the prompt does not fit beside it; it
// reports whether the request fits. param names the field that set
// maxTokens (-1 when none did).
func checkContext(w http.ResponseWriter, m *model, promptTokens, maxTokens int, param string) bool {
	L := m.maxModelLen
	if maxTokens > L {
		// vLLM's message, missing space included.
		vllmValidationError(w, fmt.Sprintf("%s=%dcannot be greater than max_model_len=max_total_tokens=%d. Please request fewer output tokens.",
			param, maxTokens, L), param, strconv.Itoa(maxTokens))
		return false
	}
	out := max(maxTokens, 0)
	if promptTokens > L-out {
		vllmValidationError(w, fmt.Sprintf("You passed %d input tokens and requested %d output tokens. However, the model's context length is only %d tokens, resulting in a maximum input length of %d tokens. Please reduce the length of the input prompt.",
			promptTokens, out, L, L-out), "input_tokens", strconv.Itoa(promptTokens))
		return false
	}
	return true
}

// scriptedReply is replyFor that also applies the reply's fault when it acts
// before the headers; done reports that the fault answered the request.
func (s *Server) scriptedReply(w http.ResponseWriter, x *exchange) (reply *Reply, done bool) {
	reply = s.replyFor(x)
	if reply != nil && reply.Fault != nil {
		x.fault = reply.Fault
		if x.fault.beforeHeaders(w, x) {
			return nil, true
		}
	}
	return reply, false
}

// replyFor returns the scripted reply of a request: the handler's, or the
// next queued one, or nil for the default generator.
func (s *Server) replyFor(x *exchange) *Reply {
	if s.cfg.handler != nil && x != nil {
		if rep := s.cfg.handler(x.rec); rep != nil {
			return rep
		}
	}
	return s.takeReply()
}

// defaultChatPlan is the default generator's answer to a chat request.
func (s *Server) defaultChatPlan(req *ChatRequest, prompt string, choice, limit int) choicePlan {
	seed := prompt + "/" + strconv.Itoa(choice)
	p := choicePlan{hasContent: true}
	n := s.cfg.tokens
	if s.cfg.reasoning && reasoningWanted(req) {
		p.reasoning = generateText(seed, 1, s.cfg.reasoningToks)
	}
	tc := req.toolChoice()
	if s.cfg.toolCalls && len(req.Tools) > 0 && tc != "none" {
		tool := &req.Tools[0]
		if name, ok := strings.CutPrefix(tc, "function:"); ok {
			for i := range req.Tools {
				if req.Tools[i].Function.Name == name {
					tool = &req.Tools[i]
				}
			}
		}
		args := argumentsFor(tool.Function.Parameters, seed)
		p.calls = []callPlan{{id: "chatcmpl-tool-" + s.nextID(), name: tool.Function.Name, args: args, frags: splitArguments(args)}}
		p.hasContent = false
		p.finish = "tool_calls"
		return p
	}
	n, p.finish = fitLimit(&p, n, limit, req.IgnoreEOS)
	p.content = generateText(seed, 0, n)
	applyStop(&p, stopStrings(req.Stop))
	return p
}

// fitLimit returns the number of content tokens of an answer whose
// natural length is n and its finish reason, under a max_tokens limit (-1:
// none) shared with the reasoning already planned. Generation ends with an
// end-of-sequence token that counts too, so an answer of exactly limit
// tokens is cut at the limit ("length"), as vLLM does; with ignore_eos it
// always runs to the limit.
func fitLimit(p *choicePlan, n, limit int, ignoreEOS bool) (int, string) {
	if limit < 0 {
		return n, "stop"
	}
	if len(p.reasoning) >= limit {
		p.reasoning = p.reasoning[:limit]
		return 0, "length"
	}
	budget := limit - len(p.reasoning)
	if ignoreEOS || budget <= n {
		return budget, "length"
	}
	return n, "stop"
}

// adjustForToolChoice applies vLLM's rules for a choice that calls tools: a
// named tool choice finishes with "stop" (not "tool_calls"), and a named or
// required tool choice has content "" rather than null.
func adjustForToolChoice(p *choicePlan, choice string, explicitFinish bool) {
	if len(p.calls) == 0 {
		return
	}
	named := strings.HasPrefix(choice, "function:")
	if named || choice == "required" {
		p.hasContent = true
	}
	if named && !explicitFinish && p.finish == "tool_calls" {
		p.finish = "stop"
	}
}

// reasoningWanted reports whether the request leaves thinking on.
func reasoningWanted(req *ChatRequest) bool {
	if req.IncludeReasoning != nil && !*req.IncludeReasoning {
		return false
	}
	if v, ok := req.ChatTemplateKwargs["enable_thinking"].(bool); ok && !v {
		return false
	}
	if v, ok := req.ChatTemplateKwargs["thinking"].(bool); ok && !v {
		return false
	}
	return true
}

// chatGen renders one chat completion.
type chatGen struct {
	generation
	req *ChatRequest
}

// appendUsage appends vLLM's usage object: prompt, total, completion tokens
// (in that order), and prompt_tokens_details: {"cached_tokens":N} when
// cached > 0 (vLLM reports it only with --enable-prompt-tokens-details and
// only when some tokens hit), null when details is true (a non-streaming
// body), absent otherwise.
func appendUsage(b []byte, prompt, completion int, details bool, cached int) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	switch {
	case cached > 0:
		b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
		b = strconv.AppendInt(b, int64(cached), 10)
		b = append(b, '}')
	case details:
		b = append(b, `,"prompt_tokens_details":null`...)
	}
	return append(b, '}')
}

// appendHead appends the fields every response and chunk starts with:
// {"id":…,"object":…,"created":…,"model":…,"choices":[
func appendHead(b []byte, id, object string, created int64, model string) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.AppendPython(b, id)
	b = append(b, `,"object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = jsonstr.AppendPython(b, model)
	return append(b, `,"choices":[`...)
}

// appendChoiceIndex appends the start of entry i of a list of choices (or
// of embeddings): a comma before every entry but the first, then
// {"index":i.
func appendChoiceIndex(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, `{"index":`...)
	return strconv.AppendInt(b, int64(i), 10)
}

// appendFingerprint appends the system fingerprint, or null.
func appendFingerprint(b []byte, fp string) []byte {
	if fp == "" {
		return append(b, "null"...)
	}
	return jsonstr.AppendPython(b, fp)
}

// appendChunkFingerprint appends ,"system_fingerprint":fp to a stream chunk
// when a fingerprint is configured.
func appendChunkFingerprint(b []byte, fp string) []byte {
	if fp == "" {
		return b
	}
	b = append(b, `,"system_fingerprint":`...)
	return jsonstr.AppendPython(b, fp)
}

// appendStopReason appends null, a string or an integer.
func appendStopReason(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return jsonstr.AppendPython(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	}
	return append(b, "null"...)
}

// respond writes the non-streaming response.
func (g *chatGen) respond(w http.ResponseWriter, r *http.Request) {
	if !g.s.paceWhole(r, g.longest()) {
		return
	}
	rf := g.s.cfg.reasoningField
	b := appendHead(make([]byte, 0, 512), g.id, "chat.completion", g.created, g.model)
	for i := range g.plans {
		p := &g.plans[i]
		b = appendChoiceIndex(b, i)
		b = append(b, `,"message":{"role":"assistant","content":`...)
		if p.hasContent || len(p.content) > 0 {
			b = jsonstr.AppendPython(b, strings.Join(p.content, ""))
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"refusal":null,"annotations":null,"audio":null,"function_call":null`...)
		if len(p.calls) > 0 {
			b = append(b, `,"tool_calls":[`...)
			for j, c := range p.calls {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"id":`...)
				b = jsonstr.AppendPython(b, c.id)
				b = append(b, `,"type":"function","function":{"name":`...)
				b = jsonstr.AppendPython(b, c.name)
				b = append(b, `,"arguments":`...)
				b = jsonstr.AppendPython(b, c.args)
				b = append(b, "}}"...)
			}
			b = append(b, ']')
		}
		b = append(b, `,"`...)
		b = append(b, rf...)
		b = append(b, `":`...)
		if len(p.reasoning) > 0 {
			b = jsonstr.AppendPython(b, strings.Join(p.reasoning, ""))
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `},"logprobs":`...)
		if g.req.Logprobs {
			b = appendChatLogprobs(b, append(append([]string(nil), p.reasoning...), p.content...), g.topLogprobs())
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"finish_reason":`...)
		b = jsonstr.AppendPython(b, p.finish)
		b = append(b, `,"stop_reason":`...)
		b = appendStopReason(b, p.stopReason)
		b = append(b, `,"token_ids":null,"routed_experts":null}`...)
	}
	b = g.appendWholeEnd(b, `,"prompt_logprobs":null,"prompt_token_ids":null,"kv_transfer_params":null,"metrics":null}`)
	g.s.respond(w, r, b)
}

func (g *chatGen) topLogprobs() int {
	if g.req.TopLogprobs == nil {
		return 0
	}
	if *g.req.TopLogprobs == -1 {
		return len(words) // -1: the whole vocabulary
	}
	return *g.req.TopLogprobs
}

// appendChatLogprobs appends {"content":[{token, logprob, bytes,
// top_logprobs}…]} for the given token pieces.
func appendChatLogprobs(b []byte, pieces []string, top int) []byte {
	b = append(b, `{"content":[`...)
	for i, p := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLogprobEntry(b, p, i, top)
	}
	return append(b, "]}"...)
}

// logprobOf is the deterministic log probability of the i-th token.
func logprobOf(i int) float64 { return -float64(i%7+1) / 16 }

func appendTokenLogprob(b []byte, piece string, lp float64) []byte {
	b = append(b, `{"token":`...)
	b = jsonstr.AppendPython(b, piece)
	b = append(b, `,"logprob":`...)
	b = strconv.AppendFloat(b, lp, 'g', -1, 64)
	b = append(b, `,"bytes":[`...)
	for j := 0; j < len(piece); j++ {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(piece[j]), 10)
	}
	return append(b, ']')
}

func appendLogprobEntry(b []byte, piece string, i, top int) []byte {
	lp := logprobOf(i)
	b = appendTokenLogprob(b, piece, lp)
	b = append(b, `,"top_logprobs":[`...)
	for k := 0; k < top; k++ {
		if k > 0 {
			b = append(b, ',')
		}
		alt := piece
		if k > 0 {
			alt = words[(i+k)%len(words)]
		}
		b = appendTokenLogprob(b, alt, lp-float64(k))
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// paceWhole waits the time a non-streaming generation of n tokens takes:
// the time to first token and n-1 inter-token latencies. It reports whether
// the client is still there.
func (s *Server) paceWhole(r *http.Request, n int) bool {
	ttft, itl := s.cfg.ttft, s.cfg.itl
	if x := exchangeOf(r); x != nil && x.fault != nil {
		if x.fault.TTFT > 0 {
			ttft = x.fault.TTFT
		}
		if x.fault.ITL > 0 {
			itl = x.fault.ITL
		}
	}
	d := ttft
	if x := exchangeOf(r); x != nil {
		d += x.prefill
	}
	if n > 1 {
		d += time.Duration(n-1) * itl
	}
	return sleep.For(r.Context(), d)
}

// stream writes the SSE response.
func (g *chatGen) stream(w http.ResponseWriter, r *http.Request) {
	includeUsage, continuous := g.req.usage()
	es := g.s.newEventStream(w, r)
	rf := g.s.cfg.reasoningField
	completion := 0
	var b []byte
	head := func() {
		b = appendHead(b[:0], g.id, "chat.completion.chunk", g.created, g.model)
		b = append(b, `{"index":`...)
	}
	fp := g.s.cfg.fingerprint
	tail := func(terminal bool) {
		b = append(b, ']')
		if continuous {
			b = append(b, `,"usage":`...)
			b = appendUsage(b, g.promptTokens, completion, false, 0)
		}
		if terminal && !includeUsage {
			b = appendChunkFingerprint(b, fp)
		}
		b = append(b, '}')
	}
	// Role chunks, one per choice.
	for i := range g.plans {
		head()
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`...)
		tail(false)
		if !es.send(b, false) {
			return
		}
	}
	// Token steps: every choice advances one piece per step, interleaved.
	type cursor struct {
		phase, k, call int
		done           bool
		pos            int // token position, for logprobs
	}
	cur := make([]cursor, len(g.plans))
	top := g.topLogprobs()
	for remaining := len(g.plans); remaining > 0; {
		for i := range g.plans {
			c := &cur[i]
			if c.done {
				continue
			}
			p := &g.plans[i]
			head()
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `,"delta":{`...)
			var piece string
			isToken := true
			last := false
		next:
			switch c.phase {
			case 0: // reasoning
				if c.k >= len(p.reasoning) {
					c.phase, c.k = 1, 0
					goto next
				}
				piece = p.reasoning[c.k]
				b = append(b, '"')
				b = append(b, rf...)
				b = append(b, `":`...)
				b = jsonstr.AppendPython(b, piece)
				c.k++
			case 1: // content
				if c.k >= len(p.content) {
					c.phase, c.k = 2, 0
					goto next
				}
				piece = p.content[c.k]
				b = append(b, `"content":`...)
				b = jsonstr.AppendPython(b, piece)
				c.k++
				last = c.k == len(p.content) && len(p.calls) == 0 && p.finish == "length"
			case 2: // tool calls: name first, then argument fragments
				if c.call >= len(p.calls) {
					c.phase = 3
					goto next
				}
				call := &p.calls[c.call]
				b = append(b, `"tool_calls":[{`...)
				if c.k == 0 {
					b = append(b, `"id":`...)
					b = jsonstr.AppendPython(b, call.id)
					b = append(b, `,"type":"function","index":`...)
					b = strconv.AppendInt(b, int64(c.call), 10)
					b = append(b, `,"function":{"name":`...)
					b = jsonstr.AppendPython(b, call.name)
					b = append(b, "}}]"...)
				} else {
					b = append(b, `"index":`...)
					b = strconv.AppendInt(b, int64(c.call), 10)
					b = append(b, `,"function":{"arguments":`...)
					b = jsonstr.AppendPython(b, call.frags[c.k-1])
					b = append(b, "}}]"...)
				}
				c.k++
				if c.k > len(call.frags) {
					c.call, c.k = c.call+1, 0
				}
			case 3: // the end-of-sequence token carries the finish reason
				b = append(b, `"content":""`...)
				isToken = false
				last = true
			}
			b = append(b, `},"logprobs":`...)
			if g.req.Logprobs && piece != "" {
				b = append(b, `{"content":[`...)
				b = appendLogprobEntry(b, piece, c.pos, top)
				b = append(b, "]}"...)
				c.pos++
			} else {
				b = append(b, "null"...)
			}
			if isToken || last {
				completion++
			}
			if last {
				b = append(b, `,"finish_reason":`...)
				b = jsonstr.AppendPython(b, p.finish)
				b = append(b, `,"stop_reason":`...)
				b = appendStopReason(b, p.stopReason)
				b = append(b, '}')
				c.done = true
				remaining--
			} else {
				b = append(b, `,"finish_reason":null}`...)
			}
			tail(last)
			// The end-of-sequence token takes its inter-token latency
			// too, as in a non-streaming generation.
			if !es.send(b, isToken || c.phase == 3) {
				return
			}
		}
	}
	if includeUsage {
		b = appendHead(b[:0], g.id, "chat.completion.chunk", g.created, g.model)
		b = append(b, `],"usage":`...)
		b = appendUsage(b, g.promptTokens, g.completionTokens(), false, g.reportedCached())
		b = appendChunkFingerprint(b, fp)
		b = append(b, '}')
		if !es.send(b, false) {
			return
		}
	}
	es.done()
}

func methodNotAllowed(w http.ResponseWriter) {
	writeJSONBytes(w, http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
}
