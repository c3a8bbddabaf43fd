package vllm

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// JSONSchemaFormat returns the response_format that makes the model answer
// with JSON following T's schema (see JSONSchemaFor): {"type":"json_schema",
// "json_schema":{"name":<T's name>,"schema":…,"strict":true}}. Set it as
// ChatRequest.ResponseFormat and read the answer with
// ChatResponse.DecodeJSON.
func JSONSchemaFormat[T any]() (*ResponseFormat, error) {
	t := reflect.TypeFor[T]()
	schema, err := JSONSchemaForType(t)
	if err != nil {
		return nil, err
	}
	return &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchemaSpec{
		Name: schemaName(t), Schema: schema, Strict: Ptr(true),
	}}, nil
}

// schemaName derives a response_format name (letters, digits, _ and -, at
// most 64) from a Go type.
func schemaName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 { // generic instantiation
		name = name[:i]
	}
	name = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, name)
	if name == "" {
		name = "response"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// Constraint is a structured-output constraint — a JSON schema, a regular
// expression, a fixed set of choices or a grammar — that can be sent in
// either of the forms vLLM has accepted: the structured_outputs object
// (vLLM 0.10.2 and later) or the top-level guided_* fields (before 0.12;
// vLLM 0.12 removed them and silently ignores them, so a constraint sent in
// the old form to a new server is not applied).
type Constraint struct {
	kind    string // "json", "regex", "choice", "grammar"
	schema  json.RawMessage
	text    string
	choices []string
}

// JSONConstraint constrains the output to JSON following T's schema.
func JSONConstraint[T any]() (Constraint, error) {
	schema, err := JSONSchemaFor[T]()
	if err != nil {
		return Constraint{}, err
	}
	return Constraint{kind: "json", schema: schema}, nil
}

// JSONSchemaConstraint constrains the output to JSON following schema.
func JSONSchemaConstraint(schema json.RawMessage) Constraint {
	return Constraint{kind: "json", schema: schema}
}

// RegexConstraint constrains the output to match pattern.
func RegexConstraint(pattern string) Constraint { return Constraint{kind: "regex", text: pattern} }

// ChoiceConstraint constrains the output to exactly one of choices.
func ChoiceConstraint(choices ...string) Constraint {
	return Constraint{kind: "choice", choices: choices}
}

// GrammarConstraint constrains the output to a context-free grammar (EBNF or
// Lark, as the server's backend reads it).
func GrammarConstraint(grammar string) Constraint { return Constraint{kind: "grammar", text: grammar} }

// validate reports a constraint without content.
func (c Constraint) validate() error {
	switch c.kind {
	case "json":
		if len(c.schema) == 0 {
			return missing("structured_outputs.json")
		}
	case "regex", "grammar":
		if c.text == "" {
			return missing("structured_outputs." + c.kind)
		}
	case "choice":
		if len(c.choices) == 0 {
			return missing("structured_outputs.choice")
		}
	default:
		return missing("structured_outputs")
	}
	return nil
}

// StructuredOutputs returns the constraint as a structured_outputs object.
func (c Constraint) StructuredOutputs() *StructuredOutputs {
	so := &StructuredOutputs{}
	switch c.kind {
	case "json":
		so.JSON = c.schema
	case "regex":
		so.Regex = c.text
	case "choice":
		so.Choice = c.choices
	case "grammar":
		so.Grammar = c.text
	}
	return so
}

// Apply sets the constraint on p in the current form (structured_outputs)
// and clears the older guided_* fields.
func (c Constraint) Apply(p *SamplingParams) error {
	if err := c.validate(); err != nil {
		return err
	}
	p.GuidedJSON, p.GuidedRegex, p.GuidedChoice, p.GuidedGrammar = nil, "", nil, ""
	p.StructuredOutputs = c.StructuredOutputs()
	return nil
}

// ApplyLegacy sets the constraint on p in the older form (guided_json,
// guided_regex, guided_choice, guided_grammar) for servers before vLLM
// 0.10.2, and clears structured_outputs.
func (c Constraint) ApplyLegacy(p *SamplingParams) error {
	if err := c.validate(); err != nil {
		return err
	}
	p.StructuredOutputs = nil
	p.GuidedJSON, p.GuidedRegex, p.GuidedChoice, p.GuidedGrammar = nil, "", nil, ""
	switch c.kind {
	case "json":
		p.GuidedJSON = c.schema
	case "regex":
		p.GuidedRegex = c.text
	case "choice":
		p.GuidedChoice = c.choices
	case "grammar":
		p.GuidedGrammar = c.text
	}
	return nil
}

// ApplyForVersion applies the constraint in the form the server version
// (as ServerService.Version returns it, e.g. "0.10.1.post1") accepts: the
// guided_* fields before 0.10.2, structured_outputs from then on and when the
// version cannot be read.
func (c Constraint) ApplyForVersion(p *SamplingParams, version string) error {
	if v, ok := parseVersion(version); ok && lessVersion(v, [3]int{0, 10, 2}) {
		return c.ApplyLegacy(p)
	}
	return c.Apply(p)
}

// parseVersion reads the first three numbers of a version such as
// "0.11.0rc2.dev17+gabc" or "v0.10.1.post1".
func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(s, ".", 4)
	if len(parts) < 2 {
		return v, false
	}
	for i := 0; i < 3 && i < len(parts); i++ {
		digits := parts[i]
		if j := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			digits = digits[:j]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func lessVersion(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// DecodeJSON decodes the first choice's content, a JSON answer to a
// structured-output request, into v. Surrounding whitespace, a Markdown
// code fence and a leading <think>…</think> block (a server without a
// reasoning parser) are tolerated. No content is ErrNoContent; an answer that is not
// valid JSON for v is a *DecodeError, which notes when generation was cut by
// the token limit (finish_reason "length").
func (r *ChatResponse) DecodeJSON(v any) error {
	c := r.first()
	if c == nil || !c.Message.HasContent() {
		return ErrNoContent
	}
	return decodeStructured(c.Message.Content, c.FinishReason, v)
}

// DecodeJSON decodes the first choice's text into v (see
// ChatResponse.DecodeJSON).
func (r *CompletionResponse) DecodeJSON(v any) error {
	if r == nil || len(r.Choices) == 0 {
		return ErrNoContent
	}
	return decodeStructured(r.Choices[0].Text, r.Choices[0].FinishReason, v)
}

// errTruncated notes a structured answer cut by the token limit.
var errTruncated = errors.New("the answer was cut by the token limit (finish_reason \"length\")")

func decodeStructured(text, finish string, v any) error {
	if strings.Contains(text, thinkCloseTag) {
		// A server without a reasoning parser leaves the thinking in the
		// content: the answer follows it.
		_, text = SplitThink(text)
	}
	b := bytes.TrimSpace([]byte(text))
	if bytes.HasPrefix(b, []byte("```")) {
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			b = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(b[nl+1:]), []byte("```")))
		}
	}
	if len(b) == 0 {
		return ErrNoContent
	}
	if err := json.Unmarshal(b, v); err != nil {
		if finish == FinishLength {
			err = errors.Join(err, errTruncated)
		}
		return newDecodeError("structured output", b, err)
	}
	return nil
}
