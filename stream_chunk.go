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

// parseChunk decodes payload into c. The scanner's error, if any, says
// where the payload went wrong. A chunk whose header repeats the previous
// one's bytes leaves c's header fields unset (see headerMemo).
func (s *jscan) parseChunk(payload []byte, c *chunk) bool {
	s.start(payload)
	*c = chunk{choices: c.choices[:0]}
	n := 0
	// plain: only header members (or members without effect) so far, so
	// the bytes up to "choices" may serve as the memo.
	plain := true
	if m := &s.memo; m.ok && !s.noMemo && len(payload) > len(m.prefix) && string(payload[:len(m.prefix)]) == string(m.prefix) {
		s.i, n, plain = len(m.prefix), m.keys, false
		if !s.parseChoices(c) {
			return false
		}
	} else if !s.object() {
		return false
	}
	for {
		k, ok := s.key(&n)
		if !ok {
			break
		}
		switch string(k) {
		case "id":
			c.id, c.hasID = s.strOrNull()
		case "object":
			c.object, c.hasObject = s.strOrNull()
			if string(c.object) == "error" {
				c.isError, plain = true, false
			}
		case "model":
			c.model, c.hasModel = s.strOrNull()
		case "created":
			if !s.null() {
				c.created, c.hasCreated = s.int()
			}
		case "system_fingerprint":
			c.fingerprint, c.hasFingerprint = s.strOrNull()
		case "service_tier":
			c.tier, c.hasTier = s.strOrNull()
		case "choices":
			if plain && s.err == nil {
				s.memo.prefix = append(s.memo.prefix[:0], payload[:s.i]...)
				s.memo.keys, s.memo.ok = n, true
			}
			plain = false
			if !s.parseChoices(c) {
				return false
			}
		case "usage":
			c.usage, plain = s.raw(), false
		case "prompt_token_ids":
			c.promptTokenIDs, plain = s.raw(), false
			c.hasPromptTokenIDs = c.promptTokenIDs != nil
		case "prompt_logprobs":
			c.promptLogprobs, plain = s.raw(), false
			c.hasPromptLogprobs = c.promptLogprobs != nil
		case "kv_transfer_params":
			c.kvTransferParams, plain = s.raw(), false
			c.hasKVTransferParams = c.kvTransferParams != nil
		case "error":
			plain = false
			if !s.null() {
				c.isError = true
				s.skip()
			}
		default:
			s.skip()
		}
	}
	return s.end()
}

// parseChoices reads the value of "choices": null or an array of choices.
func (s *jscan) parseChoices(c *chunk) bool {
	if s.null() {
		return true
	}
	c.hasChoices = true
	if !s.array() {
		return false
	}
	for m := 0; s.elem(&m); {
		s.parseChoice(c)
	}
	return s.err == nil
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
	if !s.object() {
		return
	}
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "index":
			ch.index, _ = s.index(maxChoiceIndex)
		case "delta", "message":
			if s.null() {
				continue
			}
			s.parseDelta(ch)
		case "text":
			ch.text, ch.hasText = s.strOrNull()
		case "logprobs":
			ch.logprobs = s.raw()
		case "finish_reason":
			ch.finish, ch.hasFinish = s.strOrNull()
		case "stop_reason":
			ch.stop = s.raw()
		case "token_ids":
			ch.tokenIDs = s.raw()
		case "prompt_token_ids":
			ch.promptTokenIDs = s.raw()
		case "prompt_logprobs":
			ch.promptLogprobs = s.raw()
		default:
			s.skip()
		}
	}
}

func (s *jscan) parseDelta(ch *chunkChoice) {
	if !s.object() {
		return
	}
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "content":
			ch.content, ch.hasContent = s.strOrNull()
		case "reasoning":
			// The current name wins over the old one when both are sent.
			if v, ok := s.strOrNull(); ok {
				ch.reasoning, ch.hasReasoning = v, true
			}
		case "reasoning_content":
			if v, ok := s.strOrNull(); ok && !ch.hasReasoning {
				ch.reasoning, ch.hasReasoning = v, true
			}
		case "role":
			ch.role, ch.hasRole = s.strOrNull()
		case "refusal":
			ch.refusal, ch.hasRefusal = s.strOrNull()
		case "tool_calls":
			if s.null() || !s.array() {
				continue
			}
			for m := 0; s.elem(&m); {
				s.parseToolDelta(ch)
			}
		default:
			s.skip()
		}
	}
}

func (s *jscan) parseToolDelta(ch *chunkChoice) {
	td := nextElem(&ch.tools)
	*td = toolDelta{}
	if !s.object() {
		return
	}
	for n := 0; ; {
		k, ok := s.key(&n)
		if !ok {
			return
		}
		switch string(k) {
		case "index":
			if !s.null() {
				td.index, td.hasIndex = s.index(maxToolIndex)
			}
		case "id":
			td.id, td.hasID = s.strOrNull()
		case "type":
			td.typ, td.hasType = s.strOrNull()
		case "function":
			if s.null() || !s.object() {
				continue
			}
			td.hasFunction = true
			for m := 0; ; {
				fk, ok := s.key(&m)
				if !ok {
					break
				}
				switch string(fk) {
				case "name":
					td.name, td.hasName = s.strOrNull()
				case "arguments":
					td.args, td.hasArgs = s.strOrNull()
				default:
					s.skip()
				}
			}
		default:
			s.skip()
		}
	}
}
