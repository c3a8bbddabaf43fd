package vllm

import (
	"bytes"
	"encoding/json"
	"sort"
)

// SamplingParams are the generation settings shared by chat and legacy
// completion requests: OpenAI's fields and vLLM's extensions, all sent at the
// top level of the request body. A nil pointer (or nil slice, or empty string)
// is not sent, so zero values that mean something — Temperature 0, TopK -1, an
// empty (non-nil) Stop list — can be sent explicitly: use Ptr.
type SamplingParams struct {
	// OpenAI sampling fields.
	Temperature      *float64           `json:"temperature,omitempty"`       // sampling temperature; 0 is greedy
	TopP             *float64           `json:"top_p,omitempty"`             // nucleus sampling mass, in (0, 1]
	MaxTokens        *int               `json:"max_tokens,omitempty"`        // limit of generated tokens
	N                *int               `json:"n,omitempty"`                 // number of choices to generate
	Stop             []string           `json:"stop,omitzero"`               // stop strings; an empty non-nil list is sent as []
	Seed             *int64             `json:"seed,omitempty"`              // seed for reproducible sampling
	PresencePenalty  *float64           `json:"presence_penalty,omitempty"`  // penalty for tokens already present, in [-2, 2]
	FrequencyPenalty *float64           `json:"frequency_penalty,omitempty"` // penalty by token frequency, in [-2, 2]
	LogitBias        map[string]float64 `json:"logit_bias,omitempty"`        // token id (as a string) → bias
	User             string             `json:"user,omitempty"`              // end-user id (accepted and ignored by vLLM)
	// StreamOptions applies to streams only: Create leaves it out (vLLM
	// refuses it without "stream": true), and Stream methods set
	// include_usage when it is nil.
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`

	// vLLM sampling extensions.
	TopK                       *int     `json:"top_k,omitempty"`                         // -1 or 0 disables
	MinP                       *float64 `json:"min_p,omitempty"`                         // minimum probability relative to the top token, in [0, 1]
	RepetitionPenalty          *float64 `json:"repetition_penalty,omitempty"`            // 1 is neutral; > 1 discourages repeats
	LengthPenalty              *float64 `json:"length_penalty,omitempty"`                // beam-search length penalty
	MinTokens                  *int     `json:"min_tokens,omitempty"`                    // tokens to generate before stops apply
	StopTokenIDs               []int    `json:"stop_token_ids,omitzero"`                 // token ids that stop generation
	IgnoreEOS                  *bool    `json:"ignore_eos,omitempty"`                    // keep generating past end-of-sequence
	SkipSpecialTokens          *bool    `json:"skip_special_tokens,omitempty"`           // drop special tokens from the text (server default true)
	SpacesBetweenSpecialTokens *bool    `json:"spaces_between_special_tokens,omitempty"` // spaces between special tokens in the text
	IncludeStopStrInOutput     *bool    `json:"include_stop_str_in_output,omitempty"`    // keep the stop string in the text
	TruncatePromptTokens       *int     `json:"truncate_prompt_tokens,omitempty"`        // keep only the last N prompt tokens (-1: up to the model limit)
	PromptLogprobs             *int     `json:"prompt_logprobs,omitempty"`               // top logprobs per prompt token
	AllowedTokenIDs            []int    `json:"allowed_token_ids,omitzero"`              // only these tokens may be generated
	BadWords                   []string `json:"bad_words,omitzero"`                      // words never generated
	UseBeamSearch              *bool    `json:"use_beam_search,omitempty"`               // beam search instead of sampling
	AddSpecialTokens           *bool    `json:"add_special_tokens,omitempty"`            // add special tokens (e.g. BOS) to the prompt

	// Structured outputs: vLLM's structured_outputs object, or OpenAI's
	// response_format. (The guided_* fields of vLLM before 0.10.2 are not
	// offered: vLLM 0.12 removed them and silently ignores them, so a
	// constraint sent that way is not applied. Extra still sends them to
	// an old server.)

	// ResponseFormat is OpenAI's response_format, e.g. a JSON schema.
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// StructuredOutputs is vLLM's structured_outputs: a JSON schema, a
	// regular expression, a choice or a grammar the output must follow.
	StructuredOutputs *StructuredOutputs `json:"structured_outputs,omitempty"`

	// Serving fields.
	Priority               *int            `json:"priority,omitempty"`                   // lower runs first (priority scheduling only)
	RequestID              string          `json:"request_id,omitempty"`                 // the request id vLLM uses internally
	CacheSalt              string          `json:"cache_salt,omitempty"`                 // isolates the prefix cache between tenants
	KVTransferParams       json.RawMessage `json:"kv_transfer_params,omitempty"`         // disaggregated-serving transfer parameters
	ReturnTokensAsTokenIDs *bool           `json:"return_tokens_as_token_ids,omitempty"` // logprob tokens as "token_id:N"
	ReturnTokenIDs         *bool           `json:"return_token_ids,omitempty"`           // return the generated (and prompt) token ids
}

// StreamOptions are the stream_options of a streaming request.
type StreamOptions struct {
	// IncludeUsage asks for a last chunk with the token usage.
	IncludeUsage *bool `json:"include_usage,omitempty"`
	// ContinuousUsageStats (vLLM) asks for usage in every chunk.
	ContinuousUsageStats *bool `json:"continuous_usage_stats,omitempty"`
}

// ResponseFormat is OpenAI's response_format: {"type":"text"},
// {"type":"json_object"}, {"type":"json_schema","json_schema":{…}}, or vLLM's
// {"type":"structural_tag",…} in its current form (Format) or its older one
// (Structures and Triggers).
type ResponseFormat struct {
	Type       string          `json:"type"`                  // "text", "json_object", "json_schema" or "structural_tag"
	JSONSchema *JSONSchemaSpec `json:"json_schema,omitempty"` // for "json_schema"
	// Format is a structural tag's format object in the current form, e.g.
	// {"type":"triggered_tags","triggers":[…],"tags":[…]} (JSON text).
	Format json.RawMessage `json:"format,omitempty"`
	// Structures and Triggers are a structural tag in the older form: the
	// output is free until a trigger appears, then follows the structure
	// whose Begin starts with it.
	Structures []StructuralTagStructure `json:"structures,omitzero"`
	Triggers   []string                 `json:"triggers,omitzero"` // the strings that start a structure (older form)
}

// StructuralTagStructure is one structure of an older-form structural tag:
// the text Begin, then JSON following Schema, then the text End.
type StructuralTagStructure struct {
	Begin  string          `json:"begin"`  // text that opens the structure, e.g. "<function=get_weather>"
	Schema json.RawMessage `json:"schema"` // JSON schema of what follows Begin
	End    string          `json:"end"`    // text that closes the structure
}

// JSONSchemaSpec names a JSON schema for response_format.
type JSONSchemaSpec struct {
	Name        string          `json:"name"`                  // schema name
	Description string          `json:"description,omitempty"` // what the output is
	Schema      json.RawMessage `json:"schema,omitempty"`      // the JSON schema (see JSONSchemaFor)
	Strict      *bool           `json:"strict,omitempty"`      // follow the schema exactly
}

// StructuredOutputs constrains the output (vLLM's structured_outputs object,
// since vLLM 0.10.2): set exactly one of JSON, Regex, Choice, Grammar,
// JSONObject or StructuralTag, as vLLM requires (the client rejects any
// other count before sending). For JSON following a Go type:
//
//	schema, err := vllm.JSONSchemaFor[Weather]()
//	req.StructuredOutputs = &vllm.StructuredOutputs{JSON: schema}
//	…
//	err = resp.DecodeJSON(&w)
type StructuredOutputs struct {
	// JSON is a JSON schema (an object, or a string holding one).
	JSON json.RawMessage `json:"json,omitempty"`
	// Regex is a regular expression the output matches.
	Regex string `json:"regex,omitempty"`
	// Choice lists the strings the output is one of.
	Choice []string `json:"choice,omitzero"`
	// Grammar is a context-free grammar (EBNF or Lark, as the server's
	// backend reads it).
	Grammar string `json:"grammar,omitempty"`
	// JSONObject asks for any JSON object.
	JSONObject *bool `json:"json_object,omitempty"`
	// StructuralTag is a structural tag specification (JSON text).
	StructuralTag string `json:"structural_tag,omitempty"`
	// DisableAnyWhitespace makes the backend generate JSON without
	// whitespace.
	DisableAnyWhitespace *bool `json:"disable_any_whitespace,omitempty"`
	// DisableAdditionalProperties makes object schemas without
	// "additionalProperties" closed.
	DisableAdditionalProperties *bool `json:"disable_additional_properties,omitempty"`
	// WhitespacePattern is the regular expression for whitespace in
	// generated JSON.
	WhitespacePattern string `json:"whitespace_pattern,omitempty"`
}

// validate checks that exactly one constraint is set, as vLLM's
// StructuredOutputsParams does.
func (so *StructuredOutputs) validate() error {
	n := 0
	for _, set := range []bool{len(so.JSON) > 0, so.Regex != "", so.Choice != nil, so.Grammar != "", so.JSONObject != nil, so.StructuralTag != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return missing("structured_outputs (one of json, regex, choice, grammar, json_object, structural_tag)")
	case n > 1:
		return invalid("structured_outputs", "sets %d constraints; vLLM takes exactly one of json, regex, choice, grammar, json_object, structural_tag", n)
	}
	return nil
}

// marshalWithExtra encodes v (a struct without a MarshalJSON of its own) and
// merges extra into the resulting object. A key of extra that is also a typed
// field replaces the typed field's value in place: Extra is the escape hatch,
// and it wins. Keys only in extra follow the typed fields in sorted order.
func marshalWithExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	out := make([]byte, 0, len(b)+64*len(extra))
	out = append(out, '{')
	used := make(map[string]bool, len(extra))
	first := true
	add := func(key string, val []byte) {
		if !first {
			out = append(out, ',')
		}
		first = false
		k, _ := json.Marshal(key)
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, val...)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		if ev, ok := extra[key]; ok {
			eb, err := json.Marshal(ev)
			if err != nil {
				return nil, invalid("Extra["+key+"]", "cannot be encoded as JSON: %v", err)
			}
			used[key] = true
			add(key, eb)
			continue
		}
		add(key, val)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !used[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		eb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, invalid("Extra["+k+"]", "cannot be encoded as JSON: %v", err)
		}
		add(k, eb)
	}
	return append(out, '}'), nil
}
