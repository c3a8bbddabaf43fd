package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
)

// PoolingService calls the routes of pooling models other than
// /v1/embeddings: /pooling (raw pooler output), /classify, /score and the
// rerank routes, grouped as vLLM groups them. Use it through Client.Pooling.
type PoolingService struct{ c *Client }

// PoolingRequest is a request to POST /pooling, which returns the raw output
// of the model's pooler (one vector, or one vector per token, per input).
// Set Input or Messages.
type PoolingRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Input is what to pool (completion form): build it with PromptText,
	// PromptTexts, PromptTokens or PromptTokenBatches.
	Input Prompt `json:"input,omitzero"`
	// Messages is a conversation (chat form).
	Messages []Message `json:"messages,omitzero"`
	// Task selects the pooling task on models that have several: "embed",
	// "classify", "token_embed", "token_classify", …
	Task string `json:"task,omitempty"`

	// EncodingFormat is "float" (default) or "base64".
	EncodingFormat string `json:"encoding_format,omitempty"`
	// Dimensions truncates embedding outputs (Matryoshka models).
	Dimensions *int `json:"dimensions,omitempty"`
	// Normalize turns normalisation of embedding outputs off or on.
	Normalize *bool `json:"normalize,omitempty"`
	// UseActivation turns the activation (softmax/sigmoid) of
	// classification outputs off or on.
	UseActivation *bool `json:"use_activation,omitempty"`

	TruncatePromptTokens *int           `json:"truncate_prompt_tokens,omitempty"` // keep only the last N prompt tokens (-1: up to the model limit)
	AddSpecialTokens     *bool          `json:"add_special_tokens,omitempty"`     // add special tokens (e.g. BOS) to the input
	AddGenerationPrompt  *bool          `json:"add_generation_prompt,omitempty"`  // add the generation prompt (chat-style input)
	ChatTemplate         string         `json:"chat_template,omitempty"`          // a Jinja template replacing the model's (chat-style input)
	ChatTemplateKwargs   map[string]any `json:"chat_template_kwargs,omitempty"`   // arguments for the chat template (chat-style input)
	User                 string         `json:"user,omitempty"`                   // end-user id (accepted and ignored by vLLM)
	Priority             *int           `json:"priority,omitempty"`               // lower runs first (priority scheduling only)
	RequestID            string         `json:"request_id,omitempty"`             // the request id vLLM uses internally (request_id in the body)

	// Extra holds further top-level fields (e.g. "data" for IO-processor
	// plugins); a key naming a typed field replaces it.
	Extra map[string]any `json:"-"`
}

// PoolingResponse is the response of /pooling.
type PoolingResponse struct {
	ID      string        `json:"id"`      // "pool-…"
	Object  string        `json:"object"`  // "list"
	Created int64         `json:"created"` // Unix seconds
	Model   string        `json:"model"`   // the model that answered
	Data    []PoolingData `json:"data"`    // one result per input, in input order
	Usage   *Usage        `json:"usage"`   // token counts
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *PoolingResponse) setRaw(b json.RawMessage) { r.Raw = b }

// PoolingData is the pooler output for one input. Its Data is a list of
// numbers, a list of lists (per-token outputs) or a base64 string; read it
// with Vector or Matrix.
type PoolingData struct {
	Index  int             `json:"index"`  // position of the input
	Object string          `json:"object"` // "pooling"
	Data   json.RawMessage `json:"data"`   // the pooler's output, raw: a vector or a matrix (see Vector, Matrix)
}

// errNotVector and errNotMatrix report pooling data of the other shape.
var (
	errNotVector = errors.New("pooling data is a list of lists: use Matrix")
	errNotMatrix = errors.New("pooling data is not a list of lists: use Vector")
)

// Vector returns a one-dimensional output (a list of numbers, or base64
// little-endian float32) as float32.
func (d *PoolingData) Vector() ([]float32, error) {
	if isNested(d.Data) {
		return nil, errNotVector
	}
	v, _, err := decodeVector(d.Data, float32LE)
	return v, err
}

// Matrix returns a two-dimensional output (per-token vectors).
func (d *PoolingData) Matrix() ([][]float32, error) {
	if !isNested(d.Data) {
		return nil, errNotMatrix
	}
	var m [][]float32
	err := json.Unmarshal(d.Data, &m)
	return m, err
}

// isNested reports whether raw is a JSON list whose first element is a list.
func isNested(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	rest := bytes.TrimSpace(raw[1:])
	return len(rest) > 0 && rest[0] == '['
}

// Create returns the raw pooler output of the inputs (POST /pooling).
func (s *PoolingService) Create(ctx context.Context, req *PoolingRequest, opts ...Option) (*PoolingResponse, error) {
	if req == nil {
		return nil, missing("request")
	}
	if _, hasData := req.Extra["data"]; !hasData {
		if err := validatePoolingInput(req.Input, req.Messages); err != nil {
			return nil, err
		}
	}
	return callFor[PoolingResponse](ctx, s.c, post("/pooling", "pooling", true), req.Model, req, req.Extra, opts)
}

// ClassifyRequest is a request to POST /classify. Set Input or Messages.
type ClassifyRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Input is what to classify: build it with PromptText or PromptTexts
	// (or token ids).
	Input Prompt `json:"input,omitzero"`
	// Messages is a conversation to classify (chat form).
	Messages []Message `json:"messages,omitzero"`
	// UseActivation turns the activation (softmax) of the outputs off or on.
	UseActivation *bool `json:"use_activation,omitempty"`

	TruncatePromptTokens *int   `json:"truncate_prompt_tokens,omitempty"` // keep only the last N prompt tokens (-1: up to the model limit)
	AddSpecialTokens     *bool  `json:"add_special_tokens,omitempty"`     // add special tokens (e.g. BOS) to the input
	User                 string `json:"user,omitempty"`                   // end-user id (accepted and ignored by vLLM)
	Priority             *int   `json:"priority,omitempty"`               // lower runs first (priority scheduling only)
	RequestID            string `json:"request_id,omitempty"`             // the request id vLLM uses internally (request_id in the body)

	// Extra holds further top-level fields.
	Extra map[string]any `json:"-"`
}

// ClassifyResponse is the response of /classify.
type ClassifyResponse struct {
	ID      string           `json:"id"`      // "classify-…"
	Object  string           `json:"object"`  // "list"
	Created int64            `json:"created"` // Unix seconds
	Model   string           `json:"model"`   // the model that answered
	Data    []Classification `json:"data"`    // one result per input, in input order
	Usage   *Usage           `json:"usage"`   // token counts
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *ClassifyResponse) setRaw(b json.RawMessage) { r.Raw = b }

// Classification is the result for one input.
type Classification struct {
	Index int `json:"index"` // position of the input
	// Label is the most probable class's label; empty when the model has
	// no labels (the server sends null).
	Label string `json:"label"`
	// Probs are the class probabilities (or logits without activation).
	Probs      []float64 `json:"probs"`
	NumClasses int       `json:"num_classes"` // the number of classes
}

// Classify classifies the inputs (POST /classify).
func (s *PoolingService) Classify(ctx context.Context, req *ClassifyRequest, opts ...Option) (*ClassifyResponse, error) {
	if req == nil {
		return nil, missing("request")
	}
	if err := validatePoolingInput(req.Input, req.Messages); err != nil {
		return nil, err
	}
	return callFor[ClassifyResponse](ctx, s.c, post("/classify", "classify", true), req.Model, req, req.Extra, opts)
}
