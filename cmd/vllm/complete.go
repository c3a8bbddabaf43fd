package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
)

func init() { register(newCompleteCmd) }

const completeAbout = `Sends PROMPT (or stdin) to /v1/completions and prints the generated text,
streamed as it arrives unless --no-stream or --json is given.`

const completeExamples = `  vllm complete --max-tokens 20 "Once upon a time"
  cat prefix.txt | vllm complete --temperature 0 --stop "###"
  vllm complete --json "def fib(n):" | jq .choices[0].text`

func newCompleteCmd(e *env) *cobra.Command {
	var g globals
	var smp sampling
	var asJSON, echo, noStream bool
	cmd := newCommand("complete [flags] [PROMPT]", "legacy text completion of a prompt (/v1/completions)", completeAbout, completeExamples)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		return runComplete(cmd.Context(), e, &g, &smp, pos, asJSON, echo, noStream)
	}
	fs := cmd.Flags()
	g.register(fs, flagsModel)
	smp.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the full JSON response on stdout")
	fs.BoolVar(&echo, "echo", false, "ask the server to return the prompt with the completion (vLLM's echo)")
	fs.BoolVar(&noStream, "no-stream", false, "wait for the whole completion instead of streaming it")
	return cmd
}

func runComplete(ctx context.Context, e *env, g *globals, smp *sampling, pos []string, asJSON, echo, noStream bool) error {
	if err := smp.check(); err != nil {
		return err
	}
	prompt := strings.Join(pos, " ")
	if prompt == "" {
		if isTerminal(e.stdin) {
			return usagef("no prompt: give one as an argument or on stdin")
		}
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return fmt.Errorf("reading the prompt from stdin: %w", err)
		}
		if prompt = string(b); strings.TrimSpace(prompt) == "" {
			return usagef("no prompt: give one as an argument or on stdin")
		}
	}
	req := &vllm.CompletionRequest{Prompt: vllm.PromptText(prompt)}
	var err error
	if req.Extra, err = smp.apply(&req.SamplingParams); err != nil {
		return err
	}
	if err := checkOneChoice(req.Extra, asJSON); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	if req.Model, err = g.resolveModel(ctx, c); err != nil {
		return err
	}
	if echo {
		req.Echo = vllm.Ptr(true)
	}
	if asJSON {
		resp, err := c.Completions.Create(ctx, req)
		if err != nil {
			return explain(c, "POST", baseRoute(c, "/completions"), err)
		}
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	}
	text, err := completeText(ctx, c, req, e.stdout, !noStream)
	if err != nil {
		return explain(c, "POST", baseRoute(c, "/completions"), err)
	}
	if !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(e.stdout)
	}
	return nil
}
