package vllm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// EmbeddingsService calls POST /v1/embeddings. Use it through
// Client.Embeddings.
type EmbeddingsService struct{ c *Client }

// EmbeddingRequest is a request to /v1/embeddings: either Input (a text,
// texts, token ids or batches of them; build it with PromptText, PromptTexts,
// PromptTokens or PromptTokenBatches) or, for chat-style embedding models,
// Messages rendered through the model's chat template.
type EmbeddingRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Input is what to embed (completion-style request).
	Input Prompt `json:"input,omitzero"`
	// Messages is a conversation to embed (chat-style request).
	Messages []Message `json:"messages,omitzero"`

	// EncodingFormat is "float" (the default) or "base64" (smaller on the
	// wire); either way the vectors arrive decoded in Embedding.Embedding.
	EncodingFormat string `json:"encoding_format,omitempty"`
	// Dimensions truncates the vectors (Matryoshka models only).
	Dimensions *int `json:"dimensions,omitempty"`
	// TruncatePromptTokens keeps only the last that many prompt tokens
	// (-1: the model's maximum).
	TruncatePromptTokens *int `json:"truncate_prompt_tokens,omitempty"`
	// Normalize (vLLM) turns the model's normalisation off or on.
	Normalize *bool `json:"normalize,omitempty"`
	// EmbedDType (vLLM) is the element type of base64 vectors: "float32"
	// (default), "float16" or "bfloat16" are decoded by this client.
	EmbedDType string `json:"embed_dtype,omitempty"`
	// Endianness (vLLM) of base64 vectors: "native" (the server's, the
	// default), "little" or "big". "native" is decoded as little-endian,
	// which every server vLLM runs on is.
	Endianness string `json:"endianness,omitempty"`
	// AddSpecialTokens (vLLM) adds special tokens such as BOS.
	AddSpecialTokens *bool `json:"add_special_tokens,omitempty"`

	// Chat-style settings (vLLM), with Messages only.
	AddGenerationPrompt  *bool          `json:"add_generation_prompt,omitempty"`
	ContinueFinalMessage *bool          `json:"continue_final_message,omitempty"` // continue the last message instead of starting a new one (chat-style input)
	ChatTemplate         string         `json:"chat_template,omitempty"`          // a Jinja template replacing the model's (chat-style input)
	ChatTemplateKwargs   map[string]any `json:"chat_template_kwargs,omitempty"`   // arguments for the chat template (chat-style input)
	MMProcessorKwargs    map[string]any `json:"mm_processor_kwargs,omitempty"`    // arguments for the multimodal processor

	User      string `json:"user,omitempty"`       // end-user id (accepted and ignored by vLLM)
	Priority  *int   `json:"priority,omitempty"`   // lower runs first (priority scheduling only)
	RequestID string `json:"request_id,omitempty"` // the request id vLLM uses internally (request_id in the body)

	// Extra holds fields sent at the top level of the body beyond the typed
	// ones; a key naming a typed field replaces it.
	Extra map[string]any `json:"-"`
}

// validatePoolingInput checks that exactly one of input and messages is set.
func validatePoolingInput(input Prompt, messages []Message) error {
	hasInput := !input.IsZero() && input.count() > 0
	switch {
	case hasInput && len(messages) > 0:
		return invalid("input", "and messages are exclusive: set one")
	case !hasInput && len(messages) == 0:
		return missing("input")
	}
	return nil
}

// validate checks the request and returns a *ParamError naming the first
// offending field.
func (r *EmbeddingRequest) validate() error {
	if r == nil {
		return missing("request")
	}
	if err := validatePoolingInput(r.Input, r.Messages); err != nil {
		return err
	}
	switch r.EncodingFormat {
	case "", "float", "base64":
	default:
		return invalid("encoding_format", "must be %q or %q, got %q", "float", "base64", r.EncodingFormat)
	}
	if _, err := embedCodec(r.EmbedDType, r.Endianness); err != nil {
		return err
	}
	if r.Dimensions != nil && *r.Dimensions < 1 {
		return invalid("dimensions", "must be positive, got %d", *r.Dimensions)
	}
	if r.TruncatePromptTokens != nil && *r.TruncatePromptTokens < -1 {
		return invalid("truncate_prompt_tokens", "must be -1 or more, got %d", *r.TruncatePromptTokens)
	}
	return nil
}

// EmbeddingResponse is the response of /v1/embeddings.
type EmbeddingResponse struct {
	ID      string      `json:"id"`      // "embd-…"
	Object  string      `json:"object"`  // "list"
	Created int64       `json:"created"` // Unix seconds
	Model   string      `json:"model"`   // the model that answered
	Data    []Embedding `json:"data"`    // one embedding per input, in input order
	Usage   *Usage      `json:"usage"`   // token counts
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *EmbeddingResponse) setRaw(b json.RawMessage) { r.Raw = b }

// Vectors returns the embeddings in input order.
func (r *EmbeddingResponse) Vectors() [][]float32 {
	out := make([][]float32, len(r.Data))
	for i := range r.Data {
		out[i] = r.Data[i].Embedding
	}
	return out
}

// Embedding is one vector of an embedding response.
type Embedding struct {
	Index  int    `json:"index"`  // position of the input
	Object string `json:"object"` // "embedding"
	// Embedding is the vector, decoded from a JSON list of numbers or from
	// base64 (little-endian float32 unless the request said otherwise)
	// straight into float32.
	Embedding []float32 `json:"embedding"`
	// Base64 is the vector as the server sent it when it was base64.
	Base64 string `json:"-"`
}

type embeddingWire struct {
	Index     int             `json:"index"`
	Object    string          `json:"object"`
	Embedding json.RawMessage `json:"embedding"`
}

// UnmarshalJSON decodes a vector sent as a list of numbers or as base64.
func (e *Embedding) UnmarshalJSON(data []byte) error {
	var w embeddingWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = Embedding{Index: w.Index, Object: w.Object}
	vec, b64, err := decodeVector(w.Embedding, float32LE)
	if err != nil && !errors.Is(err, errVectorLength) {
		return err
	}
	// A length that does not fit float32 is a vector of 16-bit elements:
	// Create decodes it with the request's embed_dtype.
	e.Embedding, e.Base64 = vec, b64
	return nil
}

// MarshalJSON encodes the vector as a list of numbers (or as the base64 it
// arrived as).
func (e Embedding) MarshalJSON() ([]byte, error) {
	var vec any = e.Embedding
	if e.Base64 != "" {
		vec = e.Base64
	}
	return json.Marshal(struct {
		Index     int    `json:"index"`
		Object    string `json:"object"`
		Embedding any    `json:"embedding"`
	}{e.Index, e.Object, vec})
}

// decodeVector decodes a JSON list of numbers, or a base64 string with codec;
// it returns the base64 text when there was one.
func decodeVector(raw json.RawMessage, codec vectorCodec) ([]float32, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", err
		}
		v, err := codec.decode(s)
		return v, s, err
	}
	var v []float32
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, "", err
	}
	return v, "", nil
}

// vectorCodec decodes base64 vectors of one element type and byte order.
type vectorCodec struct {
	size  int
	order binary.ByteOrder
	conv  func(uint32) float32
}

var float32LE = vectorCodec{4, binary.LittleEndian, math.Float32frombits}

// errVectorLength reports base64 vectors whose byte length is not a multiple
// of the element size.
var errVectorLength = errors.New("base64 vector length is not a multiple of the element size")

// decode decodes base64 text (standard alphabet, padded or not) into float32.
func (vc vectorCodec) decode(s string) ([]float32, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("base64 vector: %w", err)
	}
	if len(b)%vc.size != 0 {
		return nil, errVectorLength
	}
	out := make([]float32, len(b)/vc.size)
	for i := range out {
		var bits uint32
		if vc.size == 4 {
			bits = vc.order.Uint32(b[4*i:])
		} else {
			bits = uint32(vc.order.Uint16(b[2*i:]))
		}
		out[i] = vc.conv(bits)
	}
	return out, nil
}

// embedCodec returns the codec for a request's embed_dtype and endianness.
func embedCodec(dtype, endianness string) (vectorCodec, error) {
	var order binary.ByteOrder = binary.LittleEndian
	switch endianness {
	case "", "native", "little":
	case "big":
		order = binary.BigEndian
	default:
		return vectorCodec{}, invalid("endianness", "must be native, little or big, got %q", endianness)
	}
	switch dtype {
	case "", "float32":
		return vectorCodec{4, order, math.Float32frombits}, nil
	case "float16":
		return vectorCodec{2, order, float16bits}, nil
	case "bfloat16":
		return vectorCodec{2, order, func(b uint32) float32 { return math.Float32frombits(b << 16) }}, nil
	}
	return vectorCodec{}, invalid("embed_dtype", "must be float32, float16 or bfloat16 for this client, got %q", dtype)
}

// float16bits converts IEEE 754 half-precision bits to float32.
func float16bits(h uint32) float32 {
	sign := (h >> 15) & 1
	exp := (h >> 10) & 0x1f
	frac := h & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign<<31 | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign << 31)
	case exp == 0: // subnormal: value = frac * 2^-24
		v := float32(frac) / (1 << 24)
		if sign == 1 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign<<31 | (exp+112)<<23 | frac<<13)
}

// Create sends an embedding request. Base64 vectors are decoded according to
// the request's EmbedDType and Endianness.
func (s *EmbeddingsService) Create(ctx context.Context, req *EmbeddingRequest, opts ...Option) (*EmbeddingResponse, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	var resp EmbeddingResponse
	if err := s.c.callJSON(ctx, post("/embeddings", "embedding", false), req.Model, req, req.Extra, &resp, opts); err != nil {
		return nil, err
	}
	codec, _ := embedCodec(req.EmbedDType, req.Endianness)
	redo := codec.size != 4 || codec.order != binary.ByteOrder(binary.LittleEndian)
	for i := range resp.Data {
		d := &resp.Data[i]
		if d.Base64 != "" && (redo || d.Embedding == nil) {
			v, err := codec.decode(d.Base64)
			if err != nil {
				return nil, newDecodeError("embedding response", resp.Raw, err)
			}
			d.Embedding = v
		}
	}
	return &resp, nil
}
