package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vllmgo/vllm"
)

func init() {
	register(&command{name: "complete", summary: "legacy text completion of a prompt (/v1/completions)", run: runComplete})
}

func runComplete(ctx context.Context, e *env, args []string) error {
	f := newFlags("complete", "vllm complete [flags] [PROMPT]",
		`Sends PROMPT (or stdin) to /v1/completions and prints the generated text,
streamed as it arrives unless --no-stream or --json is given.`,
		`  vllm complete --max-tokens 20 "Once upon a time"
  cat prefix.txt | vllm complete --temperature 0 --stop "###"
  vllm complete --json "def fib(n):" | jq .choices[0].text`)
	var smp sampling
	smp.register(f.FlagSet)
	asJSON := f.Bool("json", false, "print the full JSON response")
	echo := f.Bool("echo", false, "print the prompt before the completion")
	noStream := f.Bool("no-stream", false, "wait for the whole completion instead of streaming it")
	pos, err := f.parse(e, args)
	if err != nil {
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
	if req.Extra, err = smp.apply(&req.SamplingParams); err != nil {
		return err
	}
	c, err := f.g.client()
	if err != nil {
		return err
	}
	if req.Model, err = f.g.resolveModel(ctx, c); err != nil {
		return err
	}
	if *echo && !*asJSON {
		io.WriteString(e.stdout, prompt)
	}
	if *asJSON {
		resp, err := c.Completions.Create(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	}
	text, err := completeText(ctx, c, req, e.stdout, !*noStream)
	if err != nil {
		return err
	}
	if !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(e.stdout)
	}
	return nil
}
