package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
)

func init() {
	register(newHealthCmd)
	register(newTokenizeCmd)
	register(newEmbedCmd)
}

const healthAbout = `Checks GET /health and prints "ok" and the server's version; exits 1 when the
server is down or its engine is dead (HTTP 503). /health is at the server's
root, so a base URL that lacks /v1 is checked too: exit 2 when the API is not
at the base URL but at its /v1.`

const healthExamples = `  vllm health
  vllm health --base-url http://gpu-1:8000/v1 && echo up`

func newHealthCmd(e *env) *cobra.Command {
	var g globals
	cmd := newCommand("health [flags]", "check that the server is up (GET /health), with its version", healthAbout, healthExamples)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		c, err := g.client()
		if err != nil {
			return err
		}
		if err := c.Server.Health(ctx); err != nil {
			return explain(c, "GET", rootRoute(c, "/health"), err)
		}
		if !strings.HasSuffix(c.BaseURL(), "/v1") {
			var ce *callError
			_, err := c.Models.List(ctx)
			if err = explain(c, "GET", baseRoute(c, "/models"), err); errors.As(err, &ce) && ce.fix != "" {
				return err
			}
		}
		line := "ok " + c.BaseURL()
		if v, err := c.Server.Version(ctx); err == nil && v != "" {
			line += " (vLLM " + v + ")"
		}
		fmt.Fprintln(e.stdout, line)
		return nil
	}
	g.register(cmd.Flags(), flagsServer)
	return cmd
}

// textInput returns the text of the positional arguments, or stdin.
func textInput(e *env, pos []string) (string, error) {
	if len(pos) > 0 {
		return strings.Join(pos, " "), nil
	}
	if isTerminal(e.stdin) {
		return "", usagef("no text: give it as an argument or on stdin")
	}
	b, err := io.ReadAll(e.stdin)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", usagef("no text: give it as an argument or on stdin")
	}
	return string(b), nil
}

const tokenizeAbout = `Tokenizes TEXT (or stdin) with the model's tokenizer and prints the token ids
on one line, then the count and the context length on stderr.`

const tokenizeExamples = `  vllm tokenize "Hello, world"
  vllm tokenize --strings "Hello, world"
  cat prompt.txt | vllm tokenize --json`

func newTokenizeCmd(e *env) *cobra.Command {
	var g globals
	var strs, noSpecial, asJSON bool
	cmd := newCommand("tokenize [flags] [TEXT]", "turn text into the model's token ids (POST /tokenize)", tokenizeAbout, tokenizeExamples)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		return runTokenize(cmd.Context(), e, &g, pos, strs, noSpecial, asJSON)
	}
	fs := cmd.Flags()
	g.register(fs, flagsModel)
	fs.BoolVar(&strs, "strings", false, "print each token id with its text, one a line")
	fs.BoolVar(&noSpecial, "no-special", false, "do not add special tokens such as BOS")
	fs.BoolVar(&asJSON, "json", false, "print the server's JSON on stdout, as received")
	return cmd
}

func runTokenize(ctx context.Context, e *env, g *globals, pos []string, strs, noSpecial, asJSON bool) error {
	text, err := textInput(e, pos)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	req := &vllm.TokenizeRequest{Model: modelOrEnv(g), Prompt: text}
	if strs {
		req.ReturnTokenStrs = vllm.Ptr(true)
	}
	if noSpecial {
		req.AddSpecialTokens = vllm.Ptr(false)
	}
	resp, err := c.Tokenizer.Tokenize(ctx, req)
	if err != nil {
		return explain(c, "POST", rootRoute(c, "/tokenize"), err)
	}
	switch {
	case asJSON:
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	case strs && len(resp.TokenStrs) != len(resp.Tokens):
		return fmt.Errorf("the server returned %d token ids without their strings (return_token_strs); run without --strings for the ids", len(resp.Tokens))
	case strs:
		for i, id := range resp.Tokens {
			fmt.Fprintf(e.stdout, "%d\t%q\n", id, resp.TokenStrs[i])
		}
	default:
		ids := make([]string, len(resp.Tokens))
		for i, id := range resp.Tokens {
			ids[i] = fmt.Sprint(id)
		}
		fmt.Fprintln(e.stdout, strings.Join(ids, " "))
	}
	fmt.Fprintf(e.stderr, "%d tokens (max_model_len %d)\n", resp.Count, resp.MaxModelLen)
	return nil
}

const embedAbout = `Embeds each TEXT argument (or each line of stdin) and prints one JSON array of
numbers per line, in input order.`

const embedExamples = `  vllm embed "first text" "second text"
  cat sentences.txt | vllm embed --model BAAI/bge-m3 > vectors.jsonl
  vllm embed --dimensions 256 "Matryoshka models can be truncated"`

func newEmbedCmd(e *env) *cobra.Command {
	var g globals
	var dims int
	var asJSON bool
	cmd := newCommand("embed [flags] [TEXT...]", "embedding vectors of texts (/v1/embeddings)", embedAbout, embedExamples)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		return runEmbed(cmd.Context(), e, &g, pos, dims, asJSON)
	}
	fs := cmd.Flags()
	g.register(fs, flagsModel)
	fs.IntVar(&dims, "dimensions", 0, "truncate the vectors (Matryoshka models only)")
	fs.BoolVar(&asJSON, "json", false, "print the server's JSON on stdout, as received")
	return cmd
}

func runEmbed(ctx context.Context, e *env, g *globals, pos []string, dims int, asJSON bool) error {
	texts := pos
	if len(texts) == 0 {
		in, err := textInput(e, nil)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(in, "\n") {
			if strings.TrimSpace(l) != "" {
				texts = append(texts, l)
			}
		}
	}
	if len(texts) == 0 {
		return usagef("no text to embed")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	req := &vllm.EmbeddingRequest{Model: modelOrEnv(g), Input: vllm.PromptTexts(texts...)}
	if dims > 0 {
		req.Dimensions = &dims
	}
	resp, err := c.Embeddings.Create(ctx, req)
	if err != nil {
		return explain(c, "POST", baseRoute(c, "/embeddings"), err)
	}
	if asJSON {
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	}
	for _, v := range resp.Vectors() {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
	}
	return nil
}

// modelOrEnv returns --model or VLLM_MODEL, for requests where the model is
// optional (the server's default then applies).
func modelOrEnv(g *globals) string {
	if g.model != "" {
		return g.model
	}
	return os.Getenv(EnvModel)
}
