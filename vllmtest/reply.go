package vllmtest

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Handler decides the reply to a chat or completion request. It sees the
// recorded request with its decoded body (Request.Chat or
// Request.Completion). Returning nil lets the queue (Server.Enqueue) or the
// default generator answer. It is called concurrently.
type Handler func(*Request) *Reply

// Reply scripts the answer to one chat or completion request. For a
// completion, Content is the text and Reasoning and ToolCalls are ignored.
// With n > 1 every choice gets the same reply.
type Reply struct {
	// Content is the answer text.
	Content string
	// Deltas, when set, is how a stream splits the content into events
	// (their concatenation is the content, which it replaces); by default
	// the content is split into the server's tokens.
	Deltas []string
	// Reasoning is the reasoning text, sent before the content.
	Reasoning string
	// ToolCalls are the calls the model makes, in order (parallel calls
	// when there are several).
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when there are tool calls and
	// "stop" otherwise.
	FinishReason string
	// StopReason is vLLM's stop_reason: nil (sent as null), a string (a stop
	// string) or an int (a stop token id).
	StopReason any
	// PromptTokens overrides the prompt token count of the usage.
	PromptTokens int
	// CompletionTokens overrides the completion token count of the usage.
	CompletionTokens int
	// Fault, when set, applies to this request instead of any queued one.
	Fault *Fault
}

// ToolCall is a scripted call of a function tool.
type ToolCall struct {
	// ID defaults to "chatcmpl-tool-" followed by 32 hex digits.
	ID string
	// Name is the function's name.
	Name string
	// Arguments is the JSON text of the arguments, exactly as sent.
	Arguments string
	// Fragments, when set, is how a stream splits Arguments into deltas;
	// by default it is split as vLLM's tool parsers do: everything up to the
	// first string value's opening quote, then the value's tokens, then the
	// text up to the next value, and so on.
	Fragments []string
}

// choicePlan is the content of one generated choice, in token pieces.
type choicePlan struct {
	reasoning  []string
	content    []string
	hasContent bool // content is "" rather than null when empty
	calls      []callPlan
	finish     string
	stopReason any
}

type callPlan struct {
	id, name, args string
	frags          []string
}

// generation is the state chat and completion responses share: one plan
// per choice and the token accounting.
type generation struct {
	s                  *Server
	id, model          string
	created            int64
	promptTokens       int
	cachedTokens       int // prompt tokens found in the prefix cache
	completionOverride int
	plans              []choicePlan
}

// useReplyCounts makes the usage report the token counts a scripted reply
// sets (none when reply is nil).
func (g *generation) useReplyCounts(reply *Reply) {
	if reply == nil {
		return
	}
	g.completionOverride = reply.CompletionTokens
	if reply.PromptTokens > 0 {
		g.promptTokens = reply.PromptTokens
	}
}

// reportedCached is the usage's prompt_tokens_details.cached_tokens: the
// cached tokens when the server reports details, else 0 (not reported).
func (g *generation) reportedCached() int {
	if !g.s.cfg.promptDetails {
		return 0
	}
	return g.cachedTokens
}

// completionTokens returns the usage's completion tokens: the scripted
// count, or the sum over the choices.
func (g *generation) completionTokens() int {
	if g.completionOverride > 0 {
		return g.completionOverride
	}
	n := 0
	for i := range g.plans {
		n += g.plans[i].tokens()
	}
	return n
}

// appendWholeEnd closes the choices of a whole (non-streaming) response and
// appends the fields that follow them, service_tier, system_fingerprint and
// usage, then rest: the route's last fields and the closing brace.
func (g *generation) appendWholeEnd(b []byte, rest string) []byte {
	b = append(b, `],"service_tier":null,"system_fingerprint":`...)
	b = appendFingerprint(b, g.s.cfg.fingerprint)
	b = append(b, `,"usage":`...)
	b = appendUsage(b, g.promptTokens, g.completionTokens(), true, g.reportedCached())
	return append(b, rest...)
}

// longest returns the token count of the longest choice, which sets how
// long a paced non-streaming generation takes.
func (g *generation) longest() int {
	n := 0
	for i := range g.plans {
		n = max(n, g.plans[i].tokens())
	}
	return n
}

// tokens returns the number of generated tokens: one per piece, plus the
// end-of-sequence token when generation stopped on its own.
func (p *choicePlan) tokens() int {
	n := len(p.reasoning) + len(p.content)
	for _, c := range p.calls {
		n += len(c.frags) + 1
	}
	if p.finish != "length" {
		n++
	}
	return n
}

// planFromReply turns a scripted reply into a plan.
func (s *Server) planFromReply(r *Reply) choicePlan {
	p := choicePlan{finish: r.FinishReason, stopReason: r.StopReason}
	if r.Reasoning != "" {
		p.reasoning = splitTokens(r.Reasoning)
	}
	switch {
	case r.Deltas != nil:
		p.content = r.Deltas
		p.hasContent = true
	case r.Content != "":
		p.content = splitTokens(r.Content)
		p.hasContent = true
	default:
		p.hasContent = len(r.ToolCalls) == 0
	}
	for _, tc := range r.ToolCalls {
		c := callPlan{id: tc.ID, name: tc.Name, args: tc.Arguments, frags: tc.Fragments}
		if c.id == "" {
			c.id = "chatcmpl-tool-" + s.nextID()
		}
		if c.frags == nil {
			c.frags = splitArguments(c.args)
		}
		p.calls = append(p.calls, c)
	}
	if p.finish == "" {
		p.finish = "stop"
		if len(p.calls) > 0 {
			p.finish = "tool_calls"
		}
	}
	return p
}

// splitArguments splits a JSON arguments text the way vLLM's streaming tool
// parsers emit it: the structure up to and including the opening quote of
// each string value in one fragment, the value's text token by token, and
// the closing text in a last fragment. `{"city": "Paris"}` becomes
// `{"city": "`, `Paris`, `"}`.
func splitArguments(args string) []string {
	var out []string
	var structural strings.Builder
	i := 0
	afterColon := false
	for i < len(args) {
		c := args[i]
		switch {
		case c == '"':
			end := stringEnd(args, i)
			if !afterColon {
				structural.WriteString(args[i:end])
				i = end
				continue
			}
			// A string value: its opening quote ends the structural run.
			structural.WriteByte('"')
			out = append(out, structural.String())
			structural.Reset()
			inner := args[i+1 : max(end-1, i+1)]
			if inner != "" {
				out = append(out, splitTokens(inner)...)
			}
			if end-1 > i {
				structural.WriteByte('"')
			}
			afterColon = false
			i = end
		case c == ':':
			afterColon = true
			structural.WriteByte(c)
			i++
		case c == ',' || c == '{' || c == '[' || c == '}' || c == ']':
			afterColon = c == '['
			structural.WriteByte(c)
			i++
		default:
			structural.WriteByte(c)
			i++
		}
	}
	if structural.Len() > 0 {
		out = append(out, structural.String())
	}
	return out
}

// stringEnd returns the index just past the JSON string starting at i (or
// len(s) when it is unterminated).
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// argumentsFor builds the arguments the default generator passes to a tool,
// following its parameters schema: the required properties (every property
// when the schema lists none), each with a value of its type that respects
// its enum, const, minimum and maximum; strings read like what the
// property's name asks for (a city for "location", a date for "date", …),
// chosen from seed. Keys and values are written as Python's json.dumps
// writes them (vLLM's parsers re-encode arguments with it): ", " and ": "
// separators.
func argumentsFor(params json.RawMessage, seed string) string {
	var schema propSchema
	_ = json.Unmarshal(params, &schema)
	schema.Type = "object" // tool arguments are always an object
	schema.Enum, schema.Const = nil, nil
	return string(appendArgValue(nil, "", &schema, newRNG(seed, 7), 0))
}

// propSchema is the part of a JSON schema the generator reads.
type propSchema struct {
	Type       any                    `json:"type"`
	Enum       []json.RawMessage      `json:"enum"`
	Const      json.RawMessage        `json:"const"`
	Properties map[string]*propSchema `json:"properties"`
	Required   []string               `json:"required"`
	Items      *propSchema            `json:"items"`
	Minimum    *float64               `json:"minimum"`
	Maximum    *float64               `json:"maximum"`
	Format     string                 `json:"format"`
}

func (p *propSchema) typ() string {
	switch t := p.Type.(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	if p.Properties != nil {
		return "object"
	}
	return "string"
}

// Values the generator draws strings from, by what a property's name asks.
var (
	places = []string{"Paris", "Tokyo", "London", "New York", "Berlin", "Sydney", "Toronto", "Madrid"}
	people = []string{"Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Torvalds"}
	dates  = []string{"2025-03-14", "2025-07-01", "2025-11-20"}
)

func appendArgValue(b []byte, name string, p *propSchema, r *rng, depth int) []byte {
	switch {
	case len(p.Const) > 0:
		return appendPyJSON(b, p.Const)
	case len(p.Enum) > 0:
		return appendPyJSON(b, p.Enum[r.next()%uint64(len(p.Enum))])
	}
	switch p.typ() {
	case "object":
		if depth > 4 {
			return append(b, "{}"...)
		}
		names := p.Required
		if len(names) == 0 {
			for n := range p.Properties {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		b = append(b, '{')
		first := true
		for _, n := range names {
			sub := p.Properties[n]
			if sub == nil {
				sub = &propSchema{}
			}
			if !first {
				b = append(b, ", "...)
			}
			first = false
			b = appendPyString(b, n)
			b = append(b, ": "...)
			b = appendArgValue(b, n, sub, r, depth+1)
		}
		return append(b, '}')
	case "array":
		if p.Items == nil || depth > 4 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		b = appendArgValue(b, name, p.Items, r, depth+1)
		return append(b, ']')
	case "integer":
		return strconv.AppendInt(b, int64(numberIn(p, 3, r)), 10)
	case "number":
		return strconv.AppendFloat(b, numberIn(p, 2.5, r), 'f', -1, 64)
	case "boolean":
		return append(b, "true"...)
	case "null":
		return append(b, "null"...)
	}
	return appendPyString(b, stringFor(name, p, r))
}

// numberIn returns a whole number within the schema's bounds, near def.
func numberIn(p *propSchema, def float64, r *rng) float64 {
	v := def + float64(r.next()%3)
	if p.Minimum != nil && v < *p.Minimum {
		v = math.Ceil(*p.Minimum)
	}
	if p.Maximum != nil && v > *p.Maximum {
		v = math.Floor(*p.Maximum)
	}
	return v
}

// stringFor returns a string that reads like what the property asks for.
func stringFor(name string, p *propSchema, r *rng) string {
	pick := func(list []string) string { return list[r.next()%uint64(len(list))] }
	n := strings.ToLower(name)
	switch {
	case p.Format == "date" || strings.Contains(n, "date"):
		return pick(dates)
	case strings.Contains(n, "location") || strings.Contains(n, "city") || strings.Contains(n, "place") ||
		strings.Contains(n, "destination") || strings.Contains(n, "origin") || strings.Contains(n, "country"):
		return pick(places)
	case strings.Contains(n, "name") || strings.Contains(n, "person") || strings.Contains(n, "author"):
		return pick(people)
	case strings.Contains(n, "query") || strings.Contains(n, "question") || strings.Contains(n, "text") ||
		strings.Contains(n, "expression"):
		return strings.Join(generateText(name+strconv.FormatUint(r.next(), 10), 3, 3), "")
	}
	return words[r.next()%uint64(len(words))]
}

// appendPyJSON appends a JSON value re-encoded with Python's separators.
func appendPyJSON(b []byte, raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return append(b, raw...)
	}
	return appendPyAny(b, v)
}

func appendPyAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendPyString(b, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyString(b, k)
			b = append(b, ": "...)
			b = appendPyAny(b, x[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyAny(b, e)
		}
		return append(b, ']')
	}
	enc, _ := json.Marshal(v)
	return append(b, enc...)
}

// stopStrings decodes a request's stop field: a string or a list of them.
func stopStrings(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

// applyStop ends the generated content at the earliest stop string, as vLLM
// does: the stop string itself is left out, finish_reason is "stop" and
// stop_reason names the string.
func applyStop(p *choicePlan, stops []string) {
	if len(stops) == 0 || len(p.content) == 0 {
		return
	}
	text := strings.Join(p.content, "")
	cut, which := -1, ""
	for _, st := range stops {
		if st == "" {
			continue
		}
		if i := strings.Index(text, st); i >= 0 && (cut < 0 || i < cut) {
			cut, which = i, st
		}
	}
	if cut < 0 {
		return
	}
	var kept []string
	n := 0
	for _, piece := range p.content {
		if n+len(piece) > cut {
			if rest := piece[:cut-n]; rest != "" {
				kept = append(kept, rest)
			}
			break
		}
		kept = append(kept, piece)
		n += len(piece)
	}
	p.content = kept
	p.finish = "stop"
	p.stopReason = which
}
