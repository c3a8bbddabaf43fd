package main

import (
	"context"
	"io"

	"github.com/vllmgo/vllm"
)

// completeText generates the completion of req, writing it to w as it
// arrives, and returns it. (Until the library streams, all at once.)
func completeText(ctx context.Context, c *vllm.Client, req *vllm.CompletionRequest, w io.Writer, stream bool) (string, error) {
	resp, err := c.Completions.Create(ctx, req)
	if err != nil {
		return "", err
	}
	io.WriteString(w, resp.Text())
	return resp.Text(), nil
}
