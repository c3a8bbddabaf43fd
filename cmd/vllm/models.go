package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newModelsCmd) }

const modelsAbout = `Lists the served models, one a line: id, context length (max_model_len), and for a
LoRA adapter the base model it is loaded on.`

const modelsExamples = `  vllm models
  vllm models --json
  VLLM_BASE_URL=http://gpu-1:8000/v1 vllm models`

func newModelsCmd(e *env) *cobra.Command {
	var g globals
	var asJSON bool
	cmd := newCommand("models [flags]", "list the models the server serves", modelsAbout, modelsExamples)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := g.client()
		if err != nil {
			return err
		}
		ml, err := c.Models.List(cmd.Context())
		if err != nil {
			return explain(c, "GET", baseRoute(c, "/models"), err)
		}
		if asJSON {
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
	g.register(cmd.Flags(), flagsServer)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the server's JSON on stdout, as received")
	return cmd
}
