package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vllmgo/vllm"
)

func init() {
	register(&command{name: "health", summary: "check that the server is up (GET /health), with its version", run: runHealth})
	register(&command{name: "tokenize", summary: "turn text into the model's token ids (POST /tokenize)", run: runTokenize})
	register(&command{name: "embed", summary: "embedding vectors of texts (/v1/embeddings)", run: runEmbed})
}

func runHealth(ctx context.Context, e *env, args []string) error {
	f := newFlags("health", "vllm health [flags]",
		`Checks GET /health and prints "ok" and the server's version; exits 1 when the
server is down or its engine is dead (HTTP 503).`,
		`  vllm health
  vllm health --base-url http://gpu-1:8000/v1 && echo up`)
	if err := f.parseNoArgs(e, args); err != nil {
		return err
	}
	c, err := f.g.client()
	if err != nil {
		return err
	}
	if err := c.Server.Health(ctx); err != nil {
		return err
	}
	line := "ok " + c.BaseURL()
	if v, err := c.Server.Version(ctx); err == nil && v != "" {
		line += " (vLLM " + v + ")"
	}
	fmt.Fprintln(e.stdout, line)
	return nil
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

func runTokenize(ctx context.Context, e *env, args []string) error {
	f := newFlags("tokenize", "vllm tokenize [flags] [TEXT]",
		`Tokenizes TEXT (or stdin) with the model's tokenizer and prints the token ids
on one line, then the count and the context length on stderr.`,
		`  vllm tokenize "Hello, world"
  vllm tokenize --strings "Hello, world"
  cat prompt.txt | vllm tokenize --json`)
	strs := f.Bool("strings", false, "print each token id with its text, one a line")
	noSpecial := f.Bool("no-special", false, "do not add special tokens such as BOS")
	asJSON := f.Bool("json", false, "print the server's JSON as received")
	pos, err := f.parse(e, args)
	if err != nil {
		return err
	}
	text, err := textInput(e, pos)
	if err != nil {
		return err
	}
	c, err := f.g.client()
	if err != nil {
		return err
	}
	req := &vllm.TokenizeRequest{Model: f.g.model, Prompt: text}
	if *strs {
		req.ReturnTokenStrs = vllm.Ptr(true)
	}
	if *noSpecial {
		req.AddSpecialTokens = vllm.Ptr(false)
	}
	resp, err := c.Tokenizer.Tokenize(ctx, req)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	case *strs && len(resp.TokenStrs) == len(resp.Tokens):
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

func runEmbed(ctx context.Context, e *env, args []string) error {
	f := newFlags("embed", "vllm embed [flags] [TEXT...]",
		`Embeds each TEXT argument (or each line of stdin) and prints one JSON array of
numbers per line, in input order.`,
		`  vllm embed "first text" "second text"
  cat sentences.txt | vllm embed --model BAAI/bge-m3 > vectors.jsonl
  vllm embed --dimensions 256 "Matryoshka models can be truncated"`)
	dims := f.Int("dimensions", 0, "truncate the vectors (Matryoshka models only)")
	asJSON := f.Bool("json", false, "print the server's JSON as received")
	pos, err := f.parse(e, args)
	if err != nil {
		return err
	}
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
	c, err := f.g.client()
	if err != nil {
		return err
	}
	req := &vllm.EmbeddingRequest{Model: f.g.model, Input: vllm.PromptTexts(texts...)}
	if *dims > 0 {
		req.Dimensions = dims
	}
	resp, err := c.Embeddings.Create(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
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
