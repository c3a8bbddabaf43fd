package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vllmgo/vllm"
)

// modelList is the body of GET /v1/models.
type modelList struct {
	Data []struct {
		ID          string `json:"id"`
		Root        string `json:"root"`
		Parent      string `json:"parent"`
		MaxModelLen int    `json:"max_model_len"`
		OwnedBy     string `json:"owned_by"`
	} `json:"data"`
}

func listModels(ctx context.Context, c *vllm.Client) (*modelList, []byte, error) {
	body, err := c.Raw(ctx, "GET", "/models", nil)
	if err != nil {
		return nil, nil, err
	}
	var ml modelList
	if err := json.Unmarshal(body, &ml); err != nil {
		return nil, body, fmt.Errorf("cannot decode the model list: %v", err)
	}
	return &ml, body, nil
}

// onlyModel returns the model the server serves when it serves exactly one
// (LoRA adapters, which name a parent, do not count).
func onlyModel(ctx context.Context, c *vllm.Client) (string, error) {
	ml, _, err := listModels(ctx, c)
	if err != nil {
		return "", fmt.Errorf("no --model given and the model list failed: %w", err)
	}
	var base []string
	for _, m := range ml.Data {
		if m.Parent == "" {
			base = append(base, m.ID)
		}
	}
	switch len(base) {
	case 1:
		return base[0], nil
	case 0:
		return "", usagef("no --model given and the server serves no model")
	}
	return "", usagef("no --model given and the server serves several: %s", strings.Join(base, ", "))
}

func init() {
	register(&command{name: "models", summary: "list the models the server serves", run: runModels})
}

func runModels(ctx context.Context, e *env, args []string) error {
	f := newFlags("models", "vllm models [flags]",
		"Lists the served models: id, maximum context length, and the base model of a LoRA adapter.",
		`  vllm models
  vllm models --json
  VLLM_BASE_URL=http://gpu-1:8000/v1 vllm models`)
	asJSON := f.Bool("json", false, "print the server's JSON as received")
	pos, err := f.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	c, err := f.g.client()
	if err != nil {
		return err
	}
	ml, raw, err := listModels(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(raw)))
		return nil
	}
	for _, m := range ml.Data {
		line := m.ID
		if m.MaxModelLen > 0 {
			line += fmt.Sprintf("\tmax_model_len=%d", m.MaxModelLen)
		}
		if m.Parent != "" {
			line += "\tparent=" + m.Parent
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}
