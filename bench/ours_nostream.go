//go:build !vllmstream

package bench

import (
	"context"
	"errors"

	"github.com/vllmgo/vllm"
)

// errNoStream is returned until the library's Chat.Stream is merged here.
var errNoStream = errors.New("vllm-go: Chat.Stream is not merged into this branch yet")

func oursStream(context.Context, *vllm.Client, *vllm.ChatRequest) (Result, error) {
	return Result{}, errNoStream
}
