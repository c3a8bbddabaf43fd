package main

import (
	"context"
	"fmt"
	"strings"
)

func init() {
	register(&command{name: "models", summary: "list the models the server serves", run: runModels})
}

func runModels(ctx context.Context, e *env, args []string) error {
	f := newFlags("models", "vllm models [flags]",
		"Lists the served models, one a line: id, context length (max_model_len), and for a\nLoRA adapter the base model it is loaded on.",
		`  vllm models
  vllm models --json
  VLLM_BASE_URL=http://gpu-1:8000/v1 vllm models`)
	asJSON := f.Bool("json", false, "print the server's JSON as received")
	if err := f.parseNoArgs(e, args); err != nil {
		return err
	}
	c, err := f.g.client()
	if err != nil {
		return err
	}
	ml, err := c.Models.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(ml.Raw)))
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
