package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// CompletionsService calls /v1/completions (legacy text completions). Use it
// through Client.Completions.
type CompletionsService struct{ c *Client }

// Prompt is the prompt of a legacy completion: one text, several texts, one
// token-id sequence or several. Build it with PromptText, PromptTexts,
// PromptTokens or PromptTokenBatches.
type Prompt struct {
	texts   []string
	tokens  [][]int
	single  bool // one text or one token list, sent unwrapped
	isToken bool
}

// PromptText is a single text prompt.
func PromptText(s string) Prompt { return Prompt{texts: []string{s}, single: true} }

// PromptTexts is a batch of text prompts; each gets its own choices.
func PromptTexts(ss ...string) Prompt { return Prompt{texts: ss} }

// PromptTokens is a single prompt given as token ids.
func PromptTokens(ids ...int) Prompt {
	return Prompt{tokens: [][]int{ids}, single: true, isToken: true}
}

// PromptTokenBatches is a batch of prompts given as token ids.
func PromptTokenBatches(batches ...[]int) Prompt { return Prompt{tokens: batches, isToken: true} }

// IsZero reports whether no prompt is set.
func (p Prompt) IsZero() bool { return p.texts == nil && p.tokens == nil }

// count returns the number of prompts.
func (p Prompt) count() int {
	if p.isToken {
		return len(p.tokens)
	}
	return len(p.texts)
}

// MarshalJSON encodes the prompt as a string, a list of strings, a list of
// token ids or a list of lists.
func (p Prompt) MarshalJSON() ([]byte, error) {
	switch {
	case p.isToken && p.single:
		return json.Marshal(p.tokens[0])
	case p.isToken:
		return json.Marshal(p.tokens)
	case p.single:
		return json.Marshal(p.texts[0])
	}
	return json.Marshal(p.texts)
}

// UnmarshalJSON decodes any of the four forms; null is no prompt.
func (p *Prompt) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*p = Prompt{}
		return nil
	}
	var s string
	if json.Unmarshal(data, &s) == nil {
		*p = PromptText(s)
		return nil
	}
	var ss []string
	if json.Unmarshal(data, &ss) == nil {
		*p = PromptTexts(ss...)
		return nil
	}
	var ids []int
	if json.Unmarshal(data, &ids) == nil {
		*p = PromptTokens(ids...)
		return nil
	}
	var batches [][]int
	if err := json.Unmarshal(data, &batches); err != nil {
		return err
	}
	*p = PromptTokenBatches(batches...)
	return nil
}

// CompletionRequest is a request to /v1/completions.
type CompletionRequest struct {
	// Model is the served model name (required).
	Model string `json:"model"`
	// Prompt is required.
	Prompt Prompt `json:"prompt"`

	SamplingParams

	// Suffix is text to follow the completion (fill in the middle). vLLM
	// declares the field but answers 400 "suffix is not currently
	// supported"; it is here for servers that take it.
	Suffix *string `json:"suffix,omitempty"`
	// Logprobs asks for the log probabilities of that many top tokens.
	Logprobs *int `json:"logprobs,omitempty"`
	// Echo returns the prompt with the completion.
	Echo *bool `json:"echo,omitempty"`

	// Extra holds fields sent at the top level of the body beyond the typed
	// ones. An Extra key that names a typed field replaces that field's
	// value in place (Extra wins; a nil value sends null); other keys follow
	// the typed fields in sorted order. "stream" is rejected: the method
	// (Create or Stream) sets it.
	Extra map[string]any `json:"-"`
}

type completionRequestAlias CompletionRequest

type completionWire struct {
	*completionRequestAlias
	Stream bool `json:"stream,omitempty"`
}

// MarshalJSON encodes the request body, merging Extra.
func (r *CompletionRequest) MarshalJSON() ([]byte, error) { return r.marshal(false) }

// marshal encodes the body of Create (stream false) or Stream; Create leaves
// stream_options out, as vLLM refuses it without stream.
func (r *CompletionRequest) marshal(stream bool) ([]byte, error) {
	if !stream && r.StreamOptions != nil {
		cp := *r
		cp.StreamOptions = nil
		r = &cp
	}
	return marshalWithExtra(completionWire{(*completionRequestAlias)(r), stream}, r.Extra)
}

// validate checks the request and returns a *ParamError naming the first
// offending field.
func (r *CompletionRequest) validate() error {
	if r == nil {
		return missing("request")
	}
	if r.Model == "" {
		return missing("model")
	}
	if r.Prompt.IsZero() || r.Prompt.count() == 0 {
		return missing("prompt")
	}
	if r.Logprobs != nil && *r.Logprobs < 0 {
		return invalid("logprobs", "must not be negative, got %d", *r.Logprobs)
	}
	if err := checkExtra(r.Extra); err != nil {
		return err
	}
	return r.SamplingParams.validate()
}

// CompletionResponse is a response of /v1/completions.
type CompletionResponse struct {
	ID      string             `json:"id"`      // "cmpl-…"
	Object  string             `json:"object"`  // "text_completion"
	Created int64              `json:"created"` // Unix seconds
	Model   string             `json:"model"`   // the model that answered
	Choices []CompletionChoice `json:"choices"` // one per prompt and n
	Usage   *Usage             `json:"usage"`   // token counts

	SystemFingerprint string `json:"system_fingerprint,omitempty"` // e.g. "vllm-0.25.1-…"
	ServiceTier       string `json:"service_tier,omitempty"`       // OpenAI service tier (null from vLLM)
	// KVTransferParams (vLLM), raw; nil when sent as null (in a response
	// from Create).
	KVTransferParams json.RawMessage `json:"kv_transfer_params,omitempty"`

	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

// setRaw keeps the body and leaves vLLM-only fields sent as null nil.
func (r *CompletionResponse) setRaw(b json.RawMessage) {
	r.Raw = b
	r.KVTransferParams = nilIfNull(r.KVTransferParams)
	for i := range r.Choices {
		r.Choices[i].PromptLogprobs = nilIfNull(r.Choices[i].PromptLogprobs)
	}
}

// CompletionChoice is one choice of a completion response.
type CompletionChoice struct {
	Index        int                 `json:"index"`         // position among the choices
	Text         string              `json:"text"`          // the generated text (with the prompt when Echo)
	Logprobs     *CompletionLogprobs `json:"logprobs"`      // when requested
	FinishReason string              `json:"finish_reason"` // "stop", "length", "abort", …
	// StopReason (vLLM) is the stop string or token that ended generation.
	StopReason *StopReason `json:"stop_reason"`
	// vLLM-only fields, when requested.
	TokenIDs       []int           `json:"token_ids,omitempty"`
	PromptTokenIDs []int           `json:"prompt_token_ids,omitempty"` // the prompt's token ids
	PromptLogprobs json.RawMessage `json:"prompt_logprobs,omitempty"`  // per prompt token, raw
}

// Text returns the first choice's text, or "".
func (r *CompletionResponse) Text() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Text
}

// FinishReason returns the first choice's finish reason.
func (r *CompletionResponse) FinishReason() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].FinishReason
}

// Create sends a completion request and waits for the whole response.
func (s *CompletionsService) Create(ctx context.Context, req *CompletionRequest, opts ...Option) (*CompletionResponse, error) {
	ar, err := s.request(req, false, opts)
	if err != nil {
		return nil, err
	}
	var resp CompletionResponse
	if err := s.c.doJSON(ctx, ar, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (s *CompletionsService) request(req *CompletionRequest, stream bool, opts []Option) (*apiRequest, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	body, err := req.marshal(stream)
	if err != nil {
		return nil, &ParamError{Field: "completion request", Reason: "cannot be encoded as JSON: " + err.Error()}
	}
	return &apiRequest{
		method: http.MethodPost, path: "/completions", op: "completion", model: req.Model,
		body: body, contentType: "application/json", stream: stream, opts: opts,
	}, nil
}
