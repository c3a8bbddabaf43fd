package vllm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// GenerateRequest is a token-level generation request: vLLM's
// /inference/v1/generate takes it (token ids in, token ids out, what RL
// frameworks use), and its render routes (ChatService.Render,
// CompletionsService.Render) return it, the prompt rendered and tokenized,
// ready to be sent to Generate as it is.
type GenerateRequest struct {
	// RequestID names the request (the server makes one when empty).
	RequestID string `json:"request_id,omitempty"`
	// TokenIDs is the prompt, as token ids. Required.
	TokenIDs []int `json:"token_ids"`
	// Features holds the processed multi-modal inputs of a rendered
	// prompt, as the render route returned them.
	Features json.RawMessage `json:"features,omitempty"`
	// SamplingParams are vLLM's engine sampling parameters, e.g.
	// {"max_tokens": 16, "temperature": 0}; a rendered request carries
	// those of the request it came from.
	SamplingParams map[string]any `json:"sampling_params"`
	// Model is the served model; empty lets the server use its only one.
	Model string `json:"model,omitempty"`
	// CacheSalt isolates the prefix cache between tenants.
	CacheSalt string `json:"cache_salt,omitempty"`
	// Priority orders requests under priority scheduling (lower first).
	Priority int `json:"priority,omitempty"`
	// KVTransferParams are disaggregated-serving transfer parameters.
	KVTransferParams json.RawMessage `json:"kv_transfer_params,omitempty"`
}

// GenerateResponse is the answer of /inference/v1/generate.
type GenerateResponse struct {
	// RequestID is the request's id.
	RequestID string `json:"request_id"`
	// Choices are the generated sequences.
	Choices []GenerateChoice `json:"choices"`
	// PromptLogprobs are the prompt's log probabilities when asked for
	// (sampling_params.prompt_logprobs), as the server sent them.
	PromptLogprobs json.RawMessage `json:"prompt_logprobs,omitempty"`
	// KVTransferParams are disaggregated-serving transfer parameters.
	KVTransferParams json.RawMessage `json:"kv_transfer_params,omitempty"`
}

// GenerateChoice is one generated sequence of a GenerateResponse.
type GenerateChoice struct {
	// Index is the choice's position.
	Index int `json:"index"`
	// TokenIDs are the generated token ids.
	TokenIDs []int `json:"token_ids"`
	// FinishReason is "stop", "length", …
	FinishReason string `json:"finish_reason"`
	// Logprobs are the choice's log probabilities when asked for, in the
	// chat shape ({"content":[…]}), as the server sent them.
	Logprobs json.RawMessage `json:"logprobs,omitempty"`
}

// Generate sends token ids to vLLM's /inference/v1/generate (at the server
// root) and returns the generated token ids: generation without the chat
// template or the tokenizer, as RL frameworks use it. Streaming is not
// offered here.
func (s *CompletionsService) Generate(ctx context.Context, req *GenerateRequest, opts ...Option) (*GenerateResponse, error) {
	if req == nil {
		return nil, missing("request")
	}
	if len(req.TokenIDs) == 0 {
		return nil, missing("token_ids")
	}
	r := *req
	// A rendered request holds nulls; leave them out.
	if string(r.Features) == "null" {
		r.Features = nil
	}
	if string(r.KVTransferParams) == "null" {
		r.KVTransferParams = nil
	}
	if r.SamplingParams == nil {
		r.SamplingParams = map[string]any{} // required by vLLM, defaults inside
	}
	return callFor[GenerateResponse](ctx, s.c, post("/inference/v1/generate", "generate", true), r.Model, &r, nil, opts)
}

// Render sends req to vLLM's /v1/chat/completions/render: the server
// applies the chat template and tokenizes, without generating, and returns
// the prompt as Generate takes it (token ids, sampling parameters,
// multi-modal features).
func (s *ChatService) Render(ctx context.Context, req *ChatRequest, opts ...Option) (*GenerateRequest, error) {
	ar, err := s.request(req, false, opts)
	if err != nil {
		return nil, err
	}
	ar.path, ar.op = "/chat/completions/render", "chat render"
	var out GenerateRequest
	if err := s.c.doJSON(ctx, ar, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Render sends req to vLLM's /v1/completions/render: the prompts tokenized
// without generating, one GenerateRequest per prompt.
func (s *CompletionsService) Render(ctx context.Context, req *CompletionRequest, opts ...Option) ([]GenerateRequest, error) {
	ar, err := s.request(req, false, opts)
	if err != nil {
		return nil, err
	}
	ar.path, ar.op = "/completions/render", "completion render"
	var out []GenerateRequest
	if err := s.c.doJSON(ctx, ar, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateMany sends several conversations in one request to vLLM's
// /v1/chat/completions/batch: req gives the model and sampling settings
// (its Messages are replaced by the conversations), and the answer is one
// chat completion with one choice per conversation, Choices[i] answering
// conversations[i]. vLLM runs them as one batch; it refuses streaming,
// tools and beam search there. To send one request per conversation
// instead, concurrently, to /v1/chat/completions (which any
// OpenAI-compatible server serves), run Create in a batch of package
// github.com/vllmgo/vllm/batch:
//
//	results := batch.Run(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
//		return c.Chat.Create(ctx, r)
//	}, nil)
func (s *ChatService) CreateMany(ctx context.Context, req *ChatRequest, conversations [][]Message, opts ...Option) (*ChatResponse, error) {
	if req == nil {
		return nil, missing("request")
	}
	if len(conversations) == 0 {
		return nil, missing("conversations")
	}
	if len(req.Tools) > 0 {
		return nil, invalid("tools", "are not supported by /v1/chat/completions/batch")
	}
	r := *req
	for i, conv := range conversations {
		r.Messages = conv
		if err := r.Validate(); err != nil {
			if pe, ok := err.(*ParamError); ok && pe.Field != "model" {
				pe.Field = "conversations[" + strconv.Itoa(i) + "]." + pe.Field
			}
			return nil, err
		}
	}
	extra := make(map[string]any, len(req.Extra)+1)
	for k, v := range req.Extra {
		extra[k] = v
	}
	extra["messages"] = conversations
	r.Extra = extra
	ar, err := s.request(&r, false, opts)
	if err != nil {
		return nil, err
	}
	ar.path, ar.op, ar.method = "/chat/completions/batch", "chat completion batch", http.MethodPost
	return s.do(ctx, ar)
}
