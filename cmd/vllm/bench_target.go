package main

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/vllmgo/vllm"
)

// benchTarget sends benchmark requests as streams (spread over the base
// URLs by the client) and times them.
type benchTarget struct {
	c     *vllm.Client
	model string
	chat  bool
}

// do streams one request and measures it: TTFT at the first chunk carrying
// text (content or reasoning), ITL between successive such chunks, E2EL at
// the end of the stream; token counts from the server's usage report.
func (t *benchTarget) do(ctx context.Context, p *benchPrompt) benchResult {
	c := t.c
	var r benchResult
	var last time.Time
	var usage *vllm.Usage
	chunks := 0
	start := time.Now()
	text := func(s string) {
		if s == "" {
			return
		}
		now := time.Now()
		if last.IsZero() {
			r.ttft = now.Sub(start)
		} else {
			r.itl = append(r.itl, now.Sub(last))
		}
		last = now
		chunks++
	}
	var err error
	if t.chat {
		err = t.chatStream(ctx, c, p, text, &usage)
	} else {
		err = t.completionStream(ctx, c, p, text, &usage)
	}
	r.e2e = time.Since(start)
	if err != nil {
		r.err = oneLine(strings.TrimPrefix(err.Error(), "vllm: "))
		return r
	}
	if chunks == 0 {
		r.err = "the stream carried no text"
		return r
	}
	r.ok = true
	r.outputTokens = chunks
	r.promptTokens = len(strings.Fields(p.prompt))
	if usage != nil {
		r.outputTokens, r.promptTokens = usage.CompletionTokens, usage.PromptTokens
	}
	return r
}

// benchSampling returns the sampling settings of a benchmark request: exactly
// outputLen tokens.
func benchSampling(p *benchPrompt) vllm.SamplingParams {
	return vllm.SamplingParams{MaxTokens: vllm.Ptr(p.outputLen), IgnoreEOS: vllm.Ptr(true)}
}

func (t *benchTarget) chatStream(ctx context.Context, c *vllm.Client, p *benchPrompt, text func(string), usage **vllm.Usage) error {
	req := &vllm.ChatRequest{Model: t.model, Messages: []vllm.Message{vllm.User(p.prompt)}, SamplingParams: benchSampling(p)}
	st, err := c.Chat.Stream(ctx, req)
	if err != nil {
		return err
	}
	defer st.Close()
	return eachEvent(st.Events(), func(typ vllm.EventType, s string, u *vllm.Usage) {
		switch typ {
		case vllm.EventContent, vllm.EventReasoning:
			text(s)
		case vllm.EventUsage:
			*usage = u
		}
	}, func(ev vllm.ChatEvent) (vllm.EventType, string, *vllm.Usage) { return ev.Type, ev.Text, ev.Usage })
}

func (t *benchTarget) completionStream(ctx context.Context, c *vllm.Client, p *benchPrompt, text func(string), usage **vllm.Usage) error {
	req := &vllm.CompletionRequest{Model: t.model, Prompt: vllm.PromptText(p.prompt), SamplingParams: benchSampling(p)}
	st, err := c.Completions.Stream(ctx, req)
	if err != nil {
		return err
	}
	defer st.Close()
	return eachEvent(st.Events(), func(typ vllm.EventType, s string, u *vllm.Usage) {
		switch typ {
		case vllm.EventContent:
			text(s)
		case vllm.EventUsage:
			*usage = u
		}
	}, func(ev vllm.CompletionEvent) (vllm.EventType, string, *vllm.Usage) { return ev.Type, ev.Text, ev.Usage })
}

// eachEvent hands the type, text and usage of every event of a stream to
// fn, and returns the stream's error.
func eachEvent[E any](events iter.Seq2[E, error], fn func(vllm.EventType, string, *vllm.Usage), fields func(E) (vllm.EventType, string, *vllm.Usage)) error {
	for ev, err := range events {
		if err != nil {
			return err
		}
		fn(fields(ev))
	}
	return nil
}
