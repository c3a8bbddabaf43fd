package main

import (
	"context"
	"io"
	"strings"

	"github.com/vllmgo/vllm"
)

// completeText generates the completion of req, writing it to w as it
// arrives (stream) or at once, and returns it.
func completeText(ctx context.Context, c *vllm.Client, req *vllm.CompletionRequest, w io.Writer, stream bool) (string, error) {
	if !stream {
		resp, err := c.Completions.Create(ctx, req)
		if err != nil {
			return "", err
		}
		io.WriteString(w, resp.Text())
		return resp.Text(), nil
	}
	st, err := c.Completions.Stream(ctx, req)
	if err != nil {
		return "", err
	}
	defer st.Close()
	var text strings.Builder
	for ev, err := range st.Events() {
		if err != nil {
			return text.String(), err
		}
		if ev.Type == vllm.EventContent && ev.Choice == 0 {
			io.WriteString(w, ev.Text)
			text.WriteString(ev.Text)
		}
	}
	return text.String(), nil
}
