package vllm

import (
	"context"
	"encoding/json"
)

// TokenizerService calls the tokenizer routes of the server (/tokenize,
// /detokenize, /tokenizer_info). Use it through Client.Tokenizer.
type TokenizerService struct{ c *Client }

// TokenizeRequest is a request to POST /tokenize: either Prompt (a text) or
// Messages (a conversation rendered through the chat template).
type TokenizeRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Prompt is the text to tokenize (completion form).
	Prompt string `json:"prompt,omitempty"`
	// Messages is the conversation to tokenize (chat form).
	Messages []Message `json:"messages,omitzero"`

	// AddSpecialTokens adds special tokens such as BOS; the server's
	// default is true for Prompt and false for Messages.
	AddSpecialTokens *bool `json:"add_special_tokens,omitempty"`
	// ReturnTokenStrs asks for the token strings beside the ids.
	ReturnTokenStrs *bool `json:"return_token_strs,omitempty"`

	// Chat form settings.
	AddGenerationPrompt  *bool          `json:"add_generation_prompt,omitempty"`
	ContinueFinalMessage *bool          `json:"continue_final_message,omitempty"` // continue the last message instead of starting a new one (chat-style input)
	ChatTemplate         string         `json:"chat_template,omitempty"`          // a Jinja template replacing the model's (chat-style input)
	ChatTemplateKwargs   map[string]any `json:"chat_template_kwargs,omitempty"`   // arguments for the chat template (chat-style input)
	MMProcessorKwargs    map[string]any `json:"mm_processor_kwargs,omitempty"`    // arguments for the multimodal processor
	Tools                []Tool         `json:"tools,omitempty"`                  // tools rendered into the chat template (chat-style input)

	// Extra holds fields sent at the top level of the body beyond the typed
	// ones; a key naming a typed field replaces it.
	Extra map[string]any `json:"-"`
}

// validate checks that exactly one of Prompt and Messages is set.
func (r *TokenizeRequest) validate() error {
	switch {
	case r == nil:
		return missing("request")
	case r.Prompt != "" && len(r.Messages) > 0:
		return invalid("prompt", "and messages are exclusive: set one")
	case r.Prompt == "" && len(r.Messages) == 0:
		return missing("prompt")
	case r.AddGenerationPrompt != nil && *r.AddGenerationPrompt && r.ContinueFinalMessage != nil && *r.ContinueFinalMessage:
		return invalid("continue_final_message", "cannot be set together with add_generation_prompt")
	}
	return nil
}

// TokenizeResponse is the response of /tokenize.
type TokenizeResponse struct {
	// Count is the number of tokens.
	Count int `json:"count"`
	// MaxModelLen is the model's context length.
	MaxModelLen int `json:"max_model_len"`
	// Tokens are the token ids.
	Tokens []int `json:"tokens"`
	// TokenStrs are the token strings, when ReturnTokenStrs was set.
	TokenStrs []string `json:"token_strs,omitempty"`
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *TokenizeResponse) setRaw(b json.RawMessage) { r.Raw = b }

// Tokenize turns a prompt or a conversation into token ids (POST /tokenize).
func (s *TokenizerService) Tokenize(ctx context.Context, req *TokenizeRequest, opts ...Option) (*TokenizeResponse, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	return callFor[TokenizeResponse](ctx, s.c, post("/tokenize", "tokenize", true), req.Model, req, req.Extra, opts)
}

// DetokenizeRequest is a request to POST /detokenize.
type DetokenizeRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Tokens are the token ids to turn back into text (required).
	Tokens []int `json:"tokens"`
	// Extra holds further top-level fields.
	Extra map[string]any `json:"-"`
}

// DetokenizeResponse is the response of /detokenize.
type DetokenizeResponse struct {
	// Prompt is the decoded text.
	Prompt string `json:"prompt"`
}

// Detokenize turns token ids back into text (POST /detokenize).
func (s *TokenizerService) Detokenize(ctx context.Context, req *DetokenizeRequest, opts ...Option) (*DetokenizeResponse, error) {
	if req == nil || req.Tokens == nil {
		return nil, missing("tokens")
	}
	return callFor[DetokenizeResponse](ctx, s.c, post("/detokenize", "detokenize", true), req.Model, req, req.Extra, opts)
}

// Info returns the tokenizer's configuration (GET /tokenizer_info),
// which vLLM serves only with --enable-tokenizer-info-endpoint. The result
// has at least "tokenizer_class".
func (s *TokenizerService) Info(ctx context.Context, opts ...Option) (map[string]any, error) {
	var info map[string]any
	if err := s.c.callJSON(ctx, get("/tokenizer_info", "tokenizer info", true), "", nil, nil, &info, opts); err != nil {
		return nil, err
	}
	return info, nil
}
