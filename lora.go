package vllm

import (
	"context"
	"strings"
)

// LoRAService loads and unloads LoRA adapters on a running server. vLLM
// serves these routes only when started with
// VLLM_ALLOW_RUNTIME_LORA_UPDATING=True (a 404 otherwise); adapters loaded
// this way are listed by Models.List with their base model as Parent. Use it
// through Client.LoRA.
type LoRAService struct{ c *Client }

// LoadLoRARequest is the body of POST /v1/load_lora_adapter.
type LoadLoRARequest struct {
	// Name is the model name requests will use for the adapter.
	Name string `json:"lora_name"`
	// Path is the adapter's directory on the server (or a name a LoRA
	// resolver plugin understands).
	Path string `json:"lora_path"`
	// LoadInplace replaces an adapter already loaded under Name (newer vLLM).
	LoadInplace *bool `json:"load_inplace,omitempty"`
	// Extra holds further top-level fields.
	Extra map[string]any `json:"-"`
}

// Load loads an adapter and returns the server's confirmation, e.g.
// "Success: LoRA adapter 'sql' added successfully.".
func (s *LoRAService) Load(ctx context.Context, req *LoadLoRARequest, opts ...Option) (string, error) {
	switch {
	case req == nil || req.Name == "":
		return "", missing("lora_name")
	case req.Path == "":
		return "", missing("lora_path")
	}
	return s.send(ctx, "/load_lora_adapter", "load LoRA adapter", req.Name, req, req.Extra, opts)
}

// Unload unloads the adapter named name and returns the server's
// confirmation. An adapter that is not loaded is a 404 *APIError.
func (s *LoRAService) Unload(ctx context.Context, name string, opts ...Option) (string, error) {
	if name == "" {
		return "", missing("lora_name")
	}
	body := struct {
		Name string `json:"lora_name"`
	}{name}
	return s.send(ctx, "/unload_lora_adapter", "unload LoRA adapter", name, body, nil, opts)
}

// send posts a LoRA request; the server answers 200 with a plain-text
// message (not JSON).
func (s *LoRAService) send(ctx context.Context, path, op, model string, in any, extra map[string]any, opts []Option) (string, error) {
	r, err := post(path, op, false).jsonBody(model, in, extra, opts)
	if err != nil {
		return "", err
	}
	body, _, err := s.c.doRaw(ctx, r)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(body)), nil
}
