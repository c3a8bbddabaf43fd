// Error handling: every failure is a typed error. Inspect it with errors.As
// and classify it with errors.Is and vllm.IsRetryable.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
	"github.com/vllmgo/vllm/vllmtest"
)

// explain prints what kind of failure err is.
func explain(what string, err error) {
	fmt.Printf("%s:\n  %v\n", what, err)
	var apiErr *vllm.APIError
	var paramErr *vllm.ParamError
	var transportErr *vllm.TransportError
	switch {
	case err == nil:
		fmt.Println("  ok")
	case errors.As(err, &paramErr):
		fmt.Printf("  rejected before sending: field %q %s\n", paramErr.Field, paramErr.Reason)
	case errors.Is(err, vllm.ErrModelNotFound):
		fmt.Println("  the server does not serve that model")
	case errors.As(err, &apiErr):
		fmt.Printf("  HTTP %d (%s): %s, retryable: %v\n", apiErr.StatusCode, apiErr.Type, apiErr.Message, vllm.IsRetryable(err))
	case errors.Is(err, vllm.ErrTimeout):
		fmt.Println("  timed out; retryable:", vllm.IsRetryable(err))
	case errors.As(err, &transportErr):
		fmt.Println("  could not reach the server; retryable:", vllm.IsRetryable(err))
	default:
		fmt.Println("  other error")
	}
}

func main() {
	exampleenv.RunWith(exampleenv.Setup{Server: []vllmtest.Option{vllmtest.WithModel("served-model")}}, classifyErrors)
}

// classifyErrors makes five kinds of failure happen and explains each.
func classifyErrors(ctx context.Context, env *exampleenv.Env) error {
	c := env.Client

	// A caller mistake: no model. Nothing is sent.
	_, err := c.Chat.Create(ctx, &vllm.ChatRequest{Messages: []vllm.Message{vllm.User("hi")}})
	explain("missing model", err)

	// A model the server does not serve: HTTP 404.
	_, err = c.Chat.Create(ctx, &vllm.ChatRequest{Model: "no-such-model", Messages: []vllm.Message{vllm.User("hi")}})
	explain("unknown model", err)

	// An overloaded server: HTTP 503, worth retrying. (On the embedded
	// server we make the next request fail so.)
	env.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "server overloaded"})
	_, err = c.Chat.Create(ctx, &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("hi")}})
	explain("overloaded server", err)

	// Nobody listening.
	down, _ := vllm.New("http://127.0.0.1:1/v1")
	_, err = down.Chat.Create(ctx, &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("hi")}})
	explain("server down", err)

	// A deadline: the context wins.
	env.Fail(vllmtest.Fault{Kind: vllmtest.FaultNone, HeaderDelay: 200 * time.Millisecond})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Chat.Create(short, &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("hi")}})
	explain("deadline", err)
	return nil
}
