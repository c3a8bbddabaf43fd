package vllm

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
)

// ModelsService lists the models a server serves: its base models and the
// LoRA adapters loaded on it. Use it through Client.Models.
type ModelsService struct{ c *Client }

// Model is one entry of GET /v1/models, with vLLM's additions to OpenAI's
// model object.
type Model struct {
	ID      string `json:"id"`       // the served model name (or LoRA adapter name)
	Object  string `json:"object"`   // "model"
	Created int64  `json:"created"`  // Unix seconds
	OwnedBy string `json:"owned_by"` // "vllm"
	// Root is the model's path or Hugging Face id for a base model, and
	// the adapter's path for a LoRA adapter.
	Root string `json:"root,omitempty"`
	// Parent is the base model of a LoRA adapter; empty for a base model
	// (a model is an adapter when Parent != "").
	Parent string `json:"parent,omitempty"`
	// MaxModelLen is the context length of a base model; 0 when the server
	// did not say (vLLM omits it for LoRA adapters).
	MaxModelLen int `json:"max_model_len,omitempty"`
	// Permission is OpenAI's legacy permission list, kept raw.
	Permission json.RawMessage `json:"permission,omitempty"`
}

// ModelList is the response of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"` // "list"
	Data   []Model `json:"data"`   // the served models and loaded LoRA adapters
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (l *ModelList) setRaw(b json.RawMessage) { l.Raw = b }

// IDs returns the ids of all listed models, in the server's order.
func (l *ModelList) IDs() []string {
	ids := make([]string, len(l.Data))
	for i := range l.Data {
		ids[i] = l.Data[i].ID
	}
	return ids
}

// Find returns the model with the given id, or nil.
func (l *ModelList) Find(id string) *Model {
	for i := range l.Data {
		if l.Data[i].ID == id {
			return &l.Data[i]
		}
	}
	return nil
}

// List returns the served models (GET /v1/models): base models first, then
// the LoRA adapters, each adapter naming its base model in Parent.
func (s *ModelsService) List(ctx context.Context, opts ...Option) (*ModelList, error) {
	var l ModelList
	if err := s.c.callJSON(ctx, get("/models", "list models", false), "", nil, nil, &l, opts); err != nil {
		return nil, err
	}
	return &l, nil
}

// Retrieve returns the served model with the given id. vLLM has no route for
// a single model, so Retrieve lists the models and picks it; a model that is
// not served is a *ModelNotFoundError (errors.Is ErrModelNotFound) listing
// the served ones.
func (s *ModelsService) Retrieve(ctx context.Context, id string, opts ...Option) (*Model, error) {
	if id == "" {
		return nil, missing("model")
	}
	l, err := s.List(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if m := l.Find(id); m != nil {
		return m, nil
	}
	return nil, &ModelNotFoundError{Model: id, Served: l.IDs()}
}

// Default returns the name of the model to use when the caller gave none:
// the only model the server serves, or its only base model when LoRA
// adapters are loaded on it. A server serving several base models is an
// error (errors.Is ErrModelNotFound) listing them, since the choice is the
// caller's.
func (s *ModelsService) Default(ctx context.Context, opts ...Option) (string, error) {
	l, err := s.List(ctx, opts...)
	if err != nil {
		return "", err
	}
	return l.defaultModel()
}

func (l *ModelList) defaultModel() (string, error) {
	if len(l.Data) == 1 {
		return l.Data[0].ID, nil
	}
	base := ""
	for _, m := range l.Data {
		if m.Parent == "" {
			if base != "" {
				base = ""
				break
			}
			base = m.ID
		}
	}
	if base != "" {
		return base, nil
	}
	return "", &ModelNotFoundError{Served: l.IDs(), Ambiguous: len(l.Data) > 0}
}

// ModelNotFoundError says that a model is not served, or that no model was
// given and the server serves none or several. It matches ErrModelNotFound.
type ModelNotFoundError struct {
	// Model is the requested model; empty when none was given.
	Model string
	// Served lists the models the server serves.
	Served []string
	// Ambiguous is set when no model was given and several are served.
	Ambiguous bool
}

// Error names the requested model and the served ones.
func (e *ModelNotFoundError) Error() string {
	var b strings.Builder
	switch {
	case e.Model != "":
		b.WriteString("vllm: model " + quote(e.Model) + " is not served")
	case e.Ambiguous:
		b.WriteString("vllm: no model given and the server serves several")
	default:
		b.WriteString("vllm: no model given and the server serves none")
	}
	if len(e.Served) > 0 {
		served := append([]string(nil), e.Served...)
		sort.Strings(served)
		b.WriteString("; served: ")
		b.WriteString(strings.Join(served, ", "))
	}
	return b.String()
}

// Is matches ErrModelNotFound.
func (e *ModelNotFoundError) Is(target error) bool { return target == ErrModelNotFound }

// quote wraps s in double quotes (without escaping, for messages).
func quote(s string) string { return "\"" + s + "\"" }
