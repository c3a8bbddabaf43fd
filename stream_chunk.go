package vllm

// chunk is one decoded stream chunk (of chat or legacy completions). Its
// byte slices borrow the payload or the scanner's arena and are valid until
// the next chunk is decoded; its slices of choices and tool deltas are
// reused from chunk to chunk.
type chunk struct {
	id, object, model   []byte
	fingerprint, tier   []byte
	created             int64
	hasCreated          bool
	choices             []chunkChoice
	usage               []byte // raw usage object, nil when absent or null
	promptTokenIDs      []byte // raw, nil when absent or null
	promptLogprobs      []byte
	kvTransferParams    []byte
	isError             bool // an "error" member, or "object":"error"
	hasID, hasModel     bool
	hasFingerprint      bool
	hasTier, hasObject  bool
	hasChoices          bool
	hasPromptTokenIDs   bool
	hasPromptLogprobs   bool
	hasKVTransferParams bool
}

// chunkChoice is one choice of a chunk: a chat delta or a completion text.
type chunkChoice struct {
	index     int
	role      []byte
	content   []byte
	reasoning []byte
	refusal   []byte
	text      []byte // completions
	tools     []toolDelta
	logprobs  []byte // raw, nil when absent or null
	finish    []byte
	stop      []byte // raw, nil when absent or null
	tokenIDs  []byte // raw
	// completions: per-choice prompt data (vLLM)
	promptTokenIDs, promptLogprobs []byte

	hasRole, hasContent, hasReasoning, hasRefusal, hasText, hasFinish bool
}

// toolDelta is one element of a delta's tool_calls.
type toolDelta struct {
	index                         int
	id, typ, name, args           []byte
	hasIndex, hasID, hasType      bool
	hasName, hasArgs, hasFunction bool
}

// Bounds of indexes taken from the wire, so that a hostile server cannot
// make the client allocate huge tables.
const (
	maxChoiceIndex = 1 << 12
	maxToolIndex   = 1 << 12
)

// headerMemo remembers the bytes of the last chunk up to the value of its
// "choices" member. vLLM repeats the same id, object, created and model in
// every chunk, so most chunks start with exactly these bytes; for them the
// scanner skips to the choices, since the same bytes decode to the same
// header that the accumulator already holds.
type headerMemo struct {
	prefix []byte
	keys   int // object members up to and including "choices"
	ok     bool
}

// chunkTemplate is a chunk whose only effect was one text: a content,
// reasoning or completion text delta, or a tool call's argument fragment.
// Most chunks of a stream are the previous one of their kind with another
// text: the same bytes before the string and after it. Such a chunk is
// decoded by reading just its string — the bytes around it are those of the
// template, which decoded to nothing else (and a header the accumulator
// already holds).
type chunkTemplate struct {
	prefix, suffix []byte // the bytes before the string's opening quote, and after its closing one
	kind           byte   // 'c' content, 'r' reasoning, 't' text, 'a' tool arguments
	choice, tool   int
}

// maxTemplates is how many templates a stream keeps: enough for parallel
// tool calls whose fragments interleave.
const maxTemplates = 4

// textStr reads a string that a template may vary, noting where it is.
func (s *jscan) textStr() ([]byte, bool) {
	s.texts++
	s.WS()
	begin := s.I
	v, ok := s.StrOrNull()
	if ok {
		s.spanStart, s.spanEnd = begin, s.I
	}
	return v, ok
}

// fromTemplate decodes payload with a template, if one fits.
func (s *jscan) fromTemplate(payload []byte, c *chunk) bool {
	for i := range s.ntemplates {
		t := &s.templates[i]
		if len(payload) < len(t.prefix)+len(t.suffix)+2 ||
			string(payload[:len(t.prefix)]) != string(t.prefix) ||
			string(payload[len(payload)-len(t.suffix):]) != string(t.suffix) {
			continue
		}
		s.Start(payload)
		s.I = len(t.prefix)
		v, ok := s.Str()
		if !ok || s.I != len(payload)-len(t.suffix) {
			continue // not one string between the two: decode it all
		}
		*c = chunk{choices: c.choices[:0], hasChoices: true}
		ch := c.nextChoice()
		ch.index = t.choice
		switch t.kind {
		case 'c':
			ch.content, ch.hasContent = v, true
		case 'r':
			ch.reasoning, ch.hasReasoning = v, true
		case 't':
			ch.text, ch.hasText = v, true
		default:
			td := nextElem(&ch.tools)
			*td = toolDelta{index: t.tool, hasIndex: true, hasFunction: true, args: v, hasArgs: true}
		}
		return true
	}
	return false
}

// recordTemplate keeps the chunk just decoded as a template when its only
// effect was one text.
func (s *jscan) recordTemplate(payload []byte, c *chunk) {
	if s.texts != 1 || s.spanStart < 0 || c.isError || c.usage != nil || c.hasPromptTokenIDs || c.hasPromptLogprobs ||
		c.hasKVTransferParams || len(c.choices) != 1 {
		return
	}
	ch := &c.choices[0]
	if ch.hasRole || ch.hasRefusal || ch.logprobs != nil || ch.hasFinish || ch.stop != nil || ch.tokenIDs != nil ||
		ch.promptTokenIDs != nil || ch.promptLogprobs != nil {
		return
	}
	t := chunkTemplate{choice: ch.index}
	switch {
	case ch.hasContent && !ch.hasReasoning && !ch.hasText && len(ch.tools) == 0:
		t.kind = 'c'
	case ch.hasReasoning && !ch.hasContent && !ch.hasText && len(ch.tools) == 0:
		t.kind = 'r'
	case ch.hasText && !ch.hasContent && !ch.hasReasoning && len(ch.tools) == 0:
		t.kind = 't'
	case len(ch.tools) == 1 && !ch.hasContent && !ch.hasReasoning && !ch.hasText:
		td := &ch.tools[0]
		if !td.hasIndex || !td.hasFunction || !td.hasArgs || td.hasID || td.hasType || td.hasName {
			return
		}
		t.kind, t.tool = 'a', td.index
	default:
		return
	}
	slot := &s.templates[s.nextTemplate]
	s.nextTemplate = (s.nextTemplate + 1) % maxTemplates
	s.ntemplates = min(s.ntemplates+1, maxTemplates)
	t.prefix = append(slot.prefix[:0], payload[:s.spanStart]...)
	t.suffix = append(slot.suffix[:0], payload[s.spanEnd:]...)
	*slot = t
}

// parseChunk decodes payload into c. The scanner's error, if any, says
// where the payload went wrong. A chunk whose header repeats the previous
// one's bytes leaves c's header fields unset (see headerMemo).
func (s *jscan) parseChunk(payload []byte, c *chunk) bool {
	if memoChunks && s.fromTemplate(payload, c) {
		return true
	}
	s.Start(payload)
	s.texts, s.spanStart = 0, -1
	*c = chunk{choices: c.choices[:0]}
	n := 0
	// plain: only header members (or members without effect) so far, so
	// the bytes up to "choices" may serve as the memo.
	plain := true
	if m := &s.memo; m.ok && memoChunks && len(payload) > len(m.prefix) && string(payload[:len(m.prefix)]) == string(m.prefix) {
		s.I, n, plain = len(m.prefix), m.keys, false
		if !s.parseChoices(c) {
			return false
		}
	} else if !s.Object() {
		return false
	}
	for {
		k, ok := s.Key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "id":
			c.id, c.hasID = s.StrOrNull()
		case "object":
			c.object, c.hasObject = s.StrOrNull()
			if string(c.object) == "error" {
				c.isError, plain = true, false
			}
		case "model":
			c.model, c.hasModel = s.StrOrNull()
		case "created":
			if !s.Null() {
				c.created, c.hasCreated = s.Int()
			}
		case "system_fingerprint":
			c.fingerprint, c.hasFingerprint = s.StrOrNull()
		case "service_tier":
			c.tier, c.hasTier = s.StrOrNull()
		case "choices":
			if plain && s.OK() {
				s.memo.prefix = append(s.memo.prefix[:0], payload[:s.I]...)
				s.memo.keys, s.memo.ok = n, true
			}
			plain = false
			if !s.parseChoices(c) {
				return false
			}
		case "usage":
			c.usage, plain = s.Raw(), false
		case "prompt_token_ids":
			c.promptTokenIDs, plain = s.Raw(), false
			c.hasPromptTokenIDs = c.promptTokenIDs != nil
		case "prompt_logprobs":
			c.promptLogprobs, plain = s.Raw(), false
			c.hasPromptLogprobs = c.promptLogprobs != nil
		case "kv_transfer_params":
			c.kvTransferParams, plain = s.Raw(), false
			c.hasKVTransferParams = c.kvTransferParams != nil
		case "error":
			plain = false
			if !s.Null() {
				c.isError = true
				s.Skip()
			}
		default:
			s.Skip()
		}
	}
	if !s.End() {
		return false
	}
	if memoChunks {
		s.recordTemplate(payload, c)
	}
	return true
}

// parseChoices reads the value of "choices": null or an array of choices.
func (s *jscan) parseChoices(c *chunk) bool {
	if s.Null() {
		return true
	}
	c.hasChoices = true
	if !s.Array() {
		return false
	}
	for m := 0; s.Elem(&m); {
		s.parseChoice(c)
	}
	return s.OK()
}

// nextElem extends *s by one element, reusing its capacity (and what the
// reused element holds, for the caller to reset), and returns the element.
func nextElem[T any](s *[]T) *T {
	if len(*s) < cap(*s) {
		*s = (*s)[:len(*s)+1]
	} else {
		var zero T
		*s = append(*s, zero)
	}
	return &(*s)[len(*s)-1]
}

func (c *chunk) nextChoice() *chunkChoice {
	ch := nextElem(&c.choices)
	*ch = chunkChoice{tools: ch.tools[:0]}
	return ch
}

func (s *jscan) parseChoice(c *chunk) {
	ch := c.nextChoice()
	if !s.Object() {
		return
	}
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "index":
			ch.index, _ = s.Index(maxChoiceIndex)
		case "delta", "message":
			if s.Null() {
				continue
			}
			s.parseDelta(ch)
		case "text":
			ch.text, ch.hasText = s.textStr()
		case "logprobs":
			ch.logprobs = s.Raw()
		case "finish_reason":
			ch.finish, ch.hasFinish = s.StrOrNull()
		case "stop_reason":
			ch.stop = s.Raw()
		case "token_ids":
			ch.tokenIDs = s.Raw()
		case "prompt_token_ids":
			ch.promptTokenIDs = s.Raw()
		case "prompt_logprobs":
			ch.promptLogprobs = s.Raw()
		default:
			s.Skip()
		}
	}
}

func (s *jscan) parseDelta(ch *chunkChoice) {
	if !s.Object() {
		return
	}
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "content":
			ch.content, ch.hasContent = s.textStr()
		case "reasoning":
			// The current name wins over the old one when both are sent.
			if v, ok := s.textStr(); ok {
				ch.reasoning, ch.hasReasoning = v, true
			}
		case "reasoning_content":
			if v, ok := s.textStr(); ok && !ch.hasReasoning {
				ch.reasoning, ch.hasReasoning = v, true
			}
		case "role":
			ch.role, ch.hasRole = s.StrOrNull()
		case "refusal":
			ch.refusal, ch.hasRefusal = s.StrOrNull()
		case "tool_calls":
			if s.Null() || !s.Array() {
				continue
			}
			for m := 0; s.Elem(&m); {
				s.parseToolDelta(ch)
			}
		default:
			s.Skip()
		}
	}
}

func (s *jscan) parseToolDelta(ch *chunkChoice) {
	td := nextElem(&ch.tools)
	*td = toolDelta{}
	if !s.Object() {
		return
	}
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "index":
			if !s.Null() {
				td.index, td.hasIndex = s.Index(maxToolIndex)
			}
		case "id":
			td.id, td.hasID = s.StrOrNull()
		case "type":
			td.typ, td.hasType = s.StrOrNull()
		case "function":
			if s.Null() || !s.Object() {
				continue
			}
			td.hasFunction = true
			for m := 0; ; {
				fk, ok := s.Key(&m)
				if !ok {
					break
				}
				switch string(fk) {
				case "name":
					td.name, td.hasName = s.StrOrNull()
				case "arguments":
					td.args, td.hasArgs = s.textStr()
				default:
					s.Skip()
				}
			}
		default:
			s.Skip()
		}
	}
}
