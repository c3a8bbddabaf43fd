package vllm

import "sync"

// Fast decoding of a whole chat response. encoding/json validates a body in
// one pass and decodes it in a second, with reflection; for the common
// response (plain string content, no logprobs) decodeFast reads the body
// once with the stream scanner (jscan) straight into a ChatResponse, with no
// wire types to copy from. Anything it does not read exactly as encoding/json
// would (a key in other case or repeated, a value of an unexpected type,
// content parts, logprobs, token details, a syntax error) makes it give up;
// doJSON then runs json.Unmarshal on a fresh value, so results and errors are
// those of encoding/json in every case.

// fastDecoder is implemented by response types with a fast path.
type fastDecoder interface {
	// decodeFast decodes body, or returns false ("not decoded, use
	// encoding/json") with the value as if it had never been decoded.
	decodeFast(body []byte) bool
	// successObject reports, after decodeFast returned true, that the body
	// is no error object (see okStatusError): its "object" member is a
	// string other than "error" and it has no "error" member.
	successObject() bool
}

// fieldSet records the members seen in one object, to give up on a
// repeated one (encoding/json merges repeated objects into the same value).
type fieldSet uint32

func (f *fieldSet) first(bit uint) bool {
	if *f&(1<<bit) != 0 {
		return false
	}
	*f |= 1 << bit
	return true
}

// plainKey reports whether an unknown key cannot name a known field: keys
// are matched by encoding/json case-insensitively (with Unicode folding),
// and every known key is lower-case ASCII.
func plainKey(k []byte) bool {
	for _, c := range k {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeFast decodes body straight into the ChatResponse that response
// returns (no wire types, no copy).
func (w *chatResponseIn) decodeFast(body []byte) bool {
	w.direct = nil // an earlier attempt's
	var s jscan
	s.Start(body)
	// Unescaped strings are hardly ever longer than the body: one arena,
	// from the pool.
	arena := arenaPool.Get().(*[]byte)
	if cap(*arena) < len(body) {
		*arena = make([]byte, 0, len(body))
	}
	s.SetArena(*arena)
	blk := new(chatResponseBlock)
	ok := s.fastChatResponse(blk) && s.End()
	if a := s.Arena(); cap(a) <= maxPooledArena {
		*arena = a[:0]
		arenaPool.Put(arena)
	}
	if !ok {
		return false
	}
	w.direct = &blk.resp
	return true
}

// successObject: fastChatResponse gives up on an "error" member.
func (w *chatResponseIn) successObject() bool {
	return w.direct != nil && w.direct.Object != "" && w.direct.Object != "error"
}

// chatResponseBlock is a response allocated together with room for its first
// choice and its usage: one allocation where most responses would need three
// (a caller that keeps only the usage or a choice keeps the block).
type chatResponseBlock struct {
	resp   ChatResponse
	choice [1]ChatChoice
	usage  Usage
}

// arenaPool holds the arenas decodeFast unescapes strings into. The decoder
// copies every string it keeps out of the arena (strField, knownString,
// the content's string(v)) and slices nothing else from it, so an arena is
// free again once a response is decoded; TestChatDecodeFastOwnsItsStrings
// overwrites pooled arenas to check it.
var arenaPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledArena bounds the arenas kept in arenaPool: the arena of a huge
// response is left to the garbage collector.
const maxPooledArena = 64 << 10

// strField reads a string or null (which leaves *dst as it is).
func (s *jscan) strField(dst *string) bool {
	if s.Null() {
		return true
	}
	v, ok := s.Str()
	if ok {
		*dst = knownString(v)
	}
	return ok
}

// knownString is string(v), without an allocation for the values most
// fields of a response repeat.
func knownString(v []byte) string {
	switch string(v) {
	case "chat.completion":
		return "chat.completion"
	case RoleAssistant:
		return RoleAssistant
	case "stop":
		return "stop"
	case "length":
		return "length"
	case "tool_calls":
		return "tool_calls"
	}
	return string(v)
}

// intField reads an integer or null into an int.
func (s *jscan) intField(dst *int) bool {
	if s.Null() {
		return true
	}
	v, ok := s.Int()
	if !ok || int64(int(v)) != v {
		return false
	}
	*dst = int(v)
	return true
}

// intsField reads a list of integers or null.
func (s *jscan) intsField(dst *[]int) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	if !s.Array() {
		return false
	}
	out := []int{}
	for n := 0; s.Elem(&n); {
		var v int
		if s.Null() || !s.intField(&v) {
			return false
		}
		out = append(out, v)
	}
	*dst = out
	return s.OK()
}

// rawField reads any value as raw bytes (copied, as json.RawMessage does);
// null gives nil, which is what ChatResponse.setRaw makes of it.
func (s *jscan) rawField(dst *[]byte) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	s.WS()
	begin := s.I
	if !s.Skip() {
		return false
	}
	*dst = append([]byte(nil), s.B[begin:s.I]...)
	return true
}

// unknown skips the value of a key no field has: mostly a null (vLLM
// writes every field of its models), taken without the general skip.
func (s *jscan) unknown(k []byte) bool { return plainKey(k) && (s.Null() || s.Skip()) }

func (s *jscan) fastChatResponse(blk *chatResponseBlock) bool {
	w := &blk.resp
	if !s.Object() {
		return false
	}
	var seen fieldSet
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return s.OK()
		}
		switch string(k) {
		case "id":
			ok = seen.first(0) && s.strField(&w.ID)
		case "object":
			ok = seen.first(1) && s.strField(&w.Object)
		case "created":
			ok = seen.first(2)
			if ok && !s.Null() {
				w.Created, ok = s.Int()
			}
		case "model":
			ok = seen.first(3) && s.strField(&w.Model)
		case "choices":
			ok = seen.first(4) && s.fastChoices(w, &blk.choice)
		case "usage":
			ok = seen.first(5) && s.fastUsage(&w.Usage, &blk.usage)
		case "system_fingerprint":
			ok = seen.first(6) && s.strField(&w.SystemFingerprint)
		case "service_tier":
			ok = seen.first(7) && s.strField(&w.ServiceTier)
		case "prompt_logprobs":
			ok = seen.first(8) && s.rawField((*[]byte)(&w.PromptLogprobs))
		case "prompt_token_ids":
			ok = seen.first(9) && s.intsField(&w.PromptTokenIDs)
		case "kv_transfer_params":
			ok = seen.first(10) && s.rawField((*[]byte)(&w.KVTransferParams))
		case "error":
			// Perhaps an error object (okStatusError decides): never a
			// member of a chat completion.
			return false
		default:
			ok = s.unknown(k)
		}
		if !ok {
			return false
		}
	}
}

// fastChoices reads the choices into first while there is one (n = 1, the
// common case), into a new array beyond.
func (s *jscan) fastChoices(w *ChatResponse, first *[1]ChatChoice) bool {
	if s.Null() {
		w.Choices = nil
		return true
	}
	if !s.Array() {
		return false
	}
	w.Choices = first[:0:1]
	for n := 0; s.Elem(&n); {
		w.Choices = append(w.Choices, ChatChoice{})
		if !s.fastChoice(&w.Choices[len(w.Choices)-1]) {
			return false
		}
	}
	return s.OK()
}

func (s *jscan) fastChoice(c *ChatChoice) bool {
	if !s.Object() {
		return false
	}
	var seen fieldSet
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return s.OK()
		}
		switch string(k) {
		case "index":
			ok = seen.first(0) && s.intField(&c.Index)
		case "message":
			ok = seen.first(1)
			if ok && !s.Null() {
				var m messageIn
				if ok = s.fastMessage(&m); ok {
					c.Message = m.message()
				}
			}
		case "logprobs":
			ok = seen.first(2) && s.Null() // logprobs: encoding/json
		case "finish_reason":
			ok = seen.first(3) && s.strField(&c.FinishReason)
		case "stop_reason":
			ok = seen.first(4)
			if ok && !s.Null() {
				s.WS()
				begin := s.I
				if ok = s.Skip(); ok {
					var err error
					c.StopReason, err = decodeStopReason(s.B[begin:s.I])
					ok = err == nil
				}
			}
		case "token_ids":
			ok = seen.first(5) && s.intsField(&c.TokenIDs)
		default:
			ok = s.unknown(k)
		}
		if !ok {
			return false
		}
	}
}

func (s *jscan) fastMessage(m *messageIn) bool {
	if !s.Object() {
		return false
	}
	var seen fieldSet
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			return s.OK()
		}
		switch string(k) {
		case "role":
			ok = seen.first(0) && s.strField(&m.Role)
		case "content":
			ok = seen.first(1)
			if ok && !s.Null() {
				var v []byte
				if v, ok = s.Str(); ok { // content parts: encoding/json
					m.Content = messageContent{text: string(v), set: true}
				}
			}
		case "name":
			ok = seen.first(2) && s.strField(&m.Name)
		case "reasoning":
			ok = seen.first(3) && s.strField(&m.Reasoning)
		case "reasoning_content":
			ok = seen.first(4) && s.strField(&m.ReasoningContent)
		case "refusal":
			ok = seen.first(5) && s.strField(&m.Refusal)
		case "tool_calls":
			ok = seen.first(6) && s.fastToolCalls(&m.ToolCalls)
		case "tool_call_id":
			ok = seen.first(7) && s.strField(&m.ToolCallID)
		default:
			ok = s.unknown(k)
		}
		if !ok {
			return false
		}
	}
}

// fastToolCalls reads the list; each call goes through ToolCall.UnmarshalJSON
// as encoding/json would call it.
func (s *jscan) fastToolCalls(dst *[]ToolCall) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	if !s.Array() {
		return false
	}
	out := []ToolCall{}
	for n := 0; s.Elem(&n); {
		s.WS()
		begin := s.I
		if !s.Skip() {
			return false
		}
		var tc ToolCall
		if tc.UnmarshalJSON(s.B[begin:s.I]) != nil {
			return false
		}
		out = append(out, tc)
	}
	*dst = out
	return s.OK()
}

// fastUsage reads the usage into u (zero), or sets *dst nil for null.
func (s *jscan) fastUsage(dst **Usage, u *Usage) bool {
	if s.Null() {
		*dst = nil
		return true
	}
	if !s.Object() {
		return false
	}
	var seen fieldSet
	for n := 0; ; {
		k, ok := s.Key(&n)
		if !ok {
			*dst = u
			return s.OK()
		}
		switch string(k) {
		case "prompt_tokens":
			ok = seen.first(0) && s.intField(&u.PromptTokens)
		case "completion_tokens":
			ok = seen.first(1) && s.intField(&u.CompletionTokens)
		case "total_tokens":
			ok = seen.first(2) && s.intField(&u.TotalTokens)
		case "prompt_tokens_details", "completion_tokens_details":
			ok = s.Null() // details: encoding/json
		default:
			ok = s.unknown(k)
		}
		if !ok {
			return false
		}
	}
}
