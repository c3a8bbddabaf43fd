package vllm

import (
	"bytes"
	"encoding/json"
)

// chatAccumulator builds the final response of a chat stream from its
// chunks and produces the events of each chunk.
type chatAccumulator struct {
	id, model, fingerprint, tier string
	created                      int64
	choices                      []accChoice // by choice index
	usage                        *Usage
	promptTokenIDs               []int
	promptLogprobs               json.RawMessage
	kvTransferParams             json.RawMessage
	splitThink, startInThink     bool
}

// accChoice is the state of one choice.
type accChoice struct {
	seen                        bool
	role                        string
	content, reasoning, refusal []byte
	tools                       []accTool // by tool index
	logprobs                    *ChatLogprobs
	finish                      string
	stop                        *StopReason
	tokenIDs                    []int
	think                       *streamThink // with WithThinkSplit
}

// accTool is the state of one tool call.
type accTool struct {
	seen          bool
	done          bool
	id, typ, name string
	args          []byte
	final         string // the whole arguments, once done
}

func (a *chatAccumulator) choice(i int) *accChoice {
	for len(a.choices) <= i {
		a.choices = append(a.choices, accChoice{})
	}
	c := &a.choices[i]
	c.seen = true
	return c
}

// applyHeader takes the chunk's top-level fields shared by chat and
// completion chunks.
func applyHeader(c *chunk, id, model, fingerprint, tier *string, created *int64) {
	if c.hasID {
		*id = internString(*id, c.id)
	}
	if c.hasModel {
		*model = internString(*model, c.model)
	}
	if c.hasFingerprint {
		*fingerprint = internString(*fingerprint, c.fingerprint)
	}
	if c.hasTier {
		*tier = internString(*tier, c.tier)
	}
	if c.hasCreated {
		*created = c.created
	}
}

// apply folds chunk c (whose JSON is raw) into the response and appends
// the events it yields to q.
func (a *chatAccumulator) apply(c *chunk, raw []byte, q *[]queuedEvent) error {
	applyHeader(c, &a.id, &a.model, &a.fingerprint, &a.tier, &a.created)
	if c.hasPromptTokenIDs {
		a.promptTokenIDs = nil
		if err := json.Unmarshal(c.promptTokenIDs, &a.promptTokenIDs); err != nil {
			return err
		}
	}
	if c.hasPromptLogprobs {
		a.promptLogprobs = bytes.Clone(c.promptLogprobs)
	}
	if c.hasKVTransferParams {
		a.kvTransferParams = bytes.Clone(c.kvTransferParams)
	}
	for i := range c.choices {
		if err := a.applyChoice(&c.choices[i], raw, q); err != nil {
			return err
		}
	}
	return applyUsage(c, raw, &a.usage, q)
}

// applyUsage records the chunk's usage, if any, and queues its event.
func applyUsage(c *chunk, raw []byte, usage **Usage, q *[]queuedEvent) error {
	if c.usage == nil {
		return nil
	}
	u := new(Usage)
	if err := json.Unmarshal(c.usage, u); err != nil {
		return err
	}
	*usage = u
	*q = append(*q, queuedEvent{ev: ChatEvent{Type: EventUsage, Choice: -1, Usage: u, Raw: raw}})
	return nil
}

// decodeStopReason decodes a non-null stop_reason.
func decodeStopReason(raw []byte) (*StopReason, error) {
	sr := new(StopReason)
	if err := sr.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return sr, nil
}

// queueText queues an event of text (content or reasoning) built in its
// slot of the queue: an appended literal would be built aside and copied,
// and this is the event of nearly every chunk.
func queueText(q *[]queuedEvent, typ EventType, choice int, text, raw []byte) {
	*q = append(*q, queuedEvent{})
	e := &(*q)[len(*q)-1]
	e.ev.Type, e.ev.Choice, e.ev.Raw, e.text = typ, choice, raw, text
}

func (a *chatAccumulator) applyChoice(ch *chunkChoice, raw []byte, q *[]queuedEvent) error {
	ac := a.choice(ch.index)
	if ch.hasRole && len(ch.role) > 0 {
		ac.role = internRole(ac.role, ch.role)
	}
	if ch.hasReasoning && len(ch.reasoning) > 0 {
		ac.reasoning = append(ac.reasoning, ch.reasoning...)
		queueText(q, EventReasoning, ch.index, ch.reasoning, raw)
	}
	if ch.hasContent && len(ch.content) > 0 {
		if a.splitThink {
			a.splitter(ac).splitChunk(ac, ch.index, string(ch.content), raw, q)
		} else {
			ac.content = append(ac.content, ch.content...)
			queueText(q, EventContent, ch.index, ch.content, raw)
		}
	}
	if ch.hasRefusal {
		ac.refusal = append(ac.refusal, ch.refusal...)
	}
	for i := range ch.tools {
		ac.applyTool(&ch.tools[i], ch.index, raw, q)
	}
	if ch.logprobs != nil {
		var lp ChatLogprobs
		if err := json.Unmarshal(ch.logprobs, &lp); err != nil {
			return err
		}
		if ac.logprobs == nil {
			ac.logprobs = &ChatLogprobs{}
		}
		ac.logprobs.Content = append(ac.logprobs.Content, lp.Content...)
		ac.logprobs.Refusal = append(ac.logprobs.Refusal, lp.Refusal...)
	}
	if ch.tokenIDs != nil {
		var ids []int
		if err := json.Unmarshal(ch.tokenIDs, &ids); err != nil {
			return err
		}
		ac.tokenIDs = append(ac.tokenIDs, ids...)
	}
	if ch.stop != nil {
		sr, err := decodeStopReason(ch.stop)
		if err != nil {
			return err
		}
		ac.stop = sr
	}
	if ch.hasFinish {
		if a.splitThink {
			a.splitter(ac).flushChoice(ac, ch.index, raw, q)
		}
		ac.finish = finishReason(ch.finish)
		ac.doneTools(ch.index, raw, q)
		*q = append(*q, queuedEvent{ev: ChatEvent{Type: EventFinish, Choice: ch.index, FinishReason: ac.finish, StopReason: ac.stop, Raw: raw}})
	}
	return nil
}

// streamThink adapts a thinkSplitter to a choice of a stream.
type streamThink struct{ thinkSplitter }

func (a *chatAccumulator) splitter(ac *accChoice) *streamThink {
	if ac.think == nil {
		ac.think = &streamThink{thinkSplitter{startInThink: a.startInThink}}
	}
	return ac.think
}

// splitChunk feeds a content fragment and queues what it yields, in the
// order the text came: reasoning first when the fragment began inside a
// think block.
func (t *streamThink) splitChunk(ac *accChoice, choice int, text string, raw []byte, q *[]queuedEvent) {
	inside := t.inside || (!t.begun && t.startInThink)
	reasoning, content := t.split(text)
	t.emit(ac, choice, reasoning, content, inside, raw, q)
}

// flushChoice releases what the splitter held back, once the choice has
// ended.
func (t *streamThink) flushChoice(ac *accChoice, choice int, raw []byte, q *[]queuedEvent) {
	inside := t.inside
	reasoning, content := t.flush()
	t.emit(ac, choice, reasoning, content, inside, raw, q)
}

func (t *streamThink) emit(ac *accChoice, choice int, reasoning, content string, reasoningFirst bool, raw []byte, q *[]queuedEvent) {
	add := func(typ EventType, s string) {
		if s == "" {
			return
		}
		if typ == EventReasoning {
			ac.reasoning = append(ac.reasoning, s...)
		} else {
			ac.content = append(ac.content, s...)
		}
		*q = append(*q, queuedEvent{ev: ChatEvent{Type: typ, Choice: choice, Raw: raw}, str: s, hasStr: true})
	}
	if reasoningFirst {
		add(EventReasoning, reasoning)
		add(EventContent, content)
	} else {
		add(EventContent, content)
		add(EventReasoning, reasoning)
	}
}

func internRole(cur string, b []byte) string {
	if string(b) == RoleAssistant {
		return RoleAssistant
	}
	return internString(cur, b)
}

// applyTool folds one tool-call delta into the choice and queues its event.
func (ac *accChoice) applyTool(td *toolDelta, choice int, raw []byte, q *[]queuedEvent) {
	idx := td.index
	if !td.hasIndex {
		idx = ac.guessToolIndex(td)
	}
	for len(ac.tools) <= idx {
		ac.tools = append(ac.tools, accTool{})
	}
	t := &ac.tools[idx]
	t.seen = true
	if td.hasID && len(td.id) > 0 {
		t.id = internString(t.id, td.id)
	}
	if td.hasType && len(td.typ) > 0 {
		if string(td.typ) == "function" {
			t.typ = "function"
		} else {
			t.typ = internString(t.typ, td.typ)
		}
	}
	if td.hasName && len(td.name) > 0 {
		t.name = internString(t.name, td.name)
	}
	if td.hasArgs {
		t.args = append(t.args, td.args...)
	}
	*q = append(*q, queuedEvent{
		ev:   ChatEvent{Type: EventToolCallDelta, Choice: choice, ToolIndex: idx, ToolCall: ToolCall{ID: t.id, Type: t.typ, Name: t.name}, Raw: raw},
		text: td.args,
	})
}

// guessToolIndex places a delta that carries no index (servers other than
// vLLM): a new id starts a new call, anything else continues the last one.
func (ac *accChoice) guessToolIndex(td *toolDelta) int {
	if td.hasID && len(td.id) > 0 {
		for i := range ac.tools {
			if ac.tools[i].id == string(td.id) {
				return i
			}
		}
		return len(ac.tools)
	}
	return max(len(ac.tools)-1, 0)
}

// doneTools queues EventToolCallDone for each call of the choice not yet
// reported, in index order.
func (ac *accChoice) doneTools(choice int, raw []byte, q *[]queuedEvent) {
	for i := range ac.tools {
		t := &ac.tools[i]
		if !t.seen || t.done {
			continue
		}
		t.done = true
		t.final = string(t.args)
		*q = append(*q, queuedEvent{ev: ChatEvent{
			Type: EventToolCallDone, Choice: choice, Raw: raw, ToolIndex: i,
			ToolCall: ToolCall{ID: t.id, Type: t.toolType(), Name: t.name, Arguments: t.final},
		}})
	}
}

func (t *accTool) toolType() string {
	if t.typ == "" {
		return "function"
	}
	return t.typ
}

// finishAll completes, at "data: [DONE]", what the choices' finish reasons
// did not: text held back by the think splitter, and tool calls.
func (a *chatAccumulator) finishAll(q *[]queuedEvent) {
	for i := range a.choices {
		ac := &a.choices[i]
		if !ac.seen {
			continue
		}
		if a.splitThink {
			a.splitter(ac).flushChoice(ac, i, nil, q)
		}
		ac.doneTools(i, nil, q)
	}
}

func (a *chatAccumulator) finalUsage() *Usage { return a.usage }

// modelName is the model the chunks have named so far.
func (a *chatAccumulator) modelName() string { return a.model }

// summarize reports the response id, model and finish reasons read so far,
// and the response accumulated so far as Body (see CallResult.Body).
func (a *chatAccumulator) summarize(res *CallResult) {
	res.ResponseID, res.ResponseModel = a.id, a.model
	size := 0
	for i := range a.choices {
		ac := &a.choices[i]
		if f := ac.finish; f != "" {
			res.FinishReasons = append(res.FinishReasons, f)
		}
		size += len(ac.content) + len(ac.reasoning) + len(ac.refusal)
		for j := range ac.tools {
			size += len(ac.tools[j].args) + len(ac.tools[j].final)
		}
	}
	if size <= maxCapture {
		res.Body = capturedBody(a.response())
	}
}

// capturedBody is the JSON of a stream's accumulated response for
// CallResult.Body, nil when it is larger than maxCapture.
func capturedBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil || len(b) > maxCapture {
		return nil
	}
	return b
}

// content returns the content of choice i so far.
func (a *chatAccumulator) content(i int) string {
	if i < len(a.choices) {
		return string(a.choices[i].content)
	}
	return ""
}

// response builds the accumulated response.
func (a *chatAccumulator) response() *ChatResponse {
	r := &ChatResponse{
		ID: a.id, Object: "chat.completion", Created: a.created, Model: a.model,
		Usage: a.usage, SystemFingerprint: a.fingerprint, ServiceTier: a.tier,
		PromptLogprobs: a.promptLogprobs, PromptTokenIDs: a.promptTokenIDs, KVTransferParams: a.kvTransferParams,
		Choices: make([]ChatChoice, 0, len(a.choices)),
	}
	for i := range a.choices {
		ac := &a.choices[i]
		if !ac.seen {
			continue
		}
		m := Message{
			Role: ac.role, Content: string(ac.content), Reasoning: string(ac.reasoning), Refusal: string(ac.refusal),
		}
		if m.Role == "" {
			m.Role = RoleAssistant
		}
		for j := range ac.tools {
			t := &ac.tools[j]
			if !t.seen {
				continue
			}
			args := t.final
			if !t.done {
				args = string(t.args)
			}
			m.ToolCalls = append(m.ToolCalls, ToolCall{ID: t.id, Type: t.toolType(), Name: t.name, Arguments: args})
		}
		// vLLM answers a non-streaming request with "content": null when
		// the output was only tool calls or only reasoning.
		m.contentNull = m.Content == "" && (len(m.ToolCalls) > 0 || m.Reasoning != "")
		r.Choices = append(r.Choices, ChatChoice{
			Index: i, Message: m, Logprobs: ac.logprobs, FinishReason: ac.finish, StopReason: ac.stop, TokenIDs: ac.tokenIDs,
		})
	}
	return r
}
