// Timeouts and retries: a request timeout, a per-request override, a stream
// idle timeout, and retries with exponential backoff that ride out a
// temporarily overloaded server.
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

func main() {
	exampleenv.RunWith(exampleenv.Setup{Client: []vllm.Option{
		vllm.WithTimeout(60 * time.Second),           // whole non-streaming call; stream headers
		vllm.WithStreamIdleTimeout(10 * time.Second), // a stream that goes silent this long fails
		vllm.WithRetry(vllm.RetryPolicy{
			MaxAttempts: 4,                     // the first try and 3 retries
			BaseDelay:   50 * time.Millisecond, // waits drawn from [0, 50ms], [0, 100ms], [0, 200ms]
			MaxDelay:    2 * time.Second,
		}),
		vllm.WithHooks(vllm.Hooks{
			OnRetry: func(_ context.Context, req *vllm.RequestInfo, err error, wait time.Duration) {
				fmt.Printf("attempt %d failed (%v); retrying in %v\n", req.Attempt, err, wait.Round(time.Millisecond))
			},
		}),
	}}, rideOutFailures)
}

// rideOutFailures shows retries carrying a call through 503s and each kind
// of timeout ending one.
func rideOutFailures(ctx context.Context, env *exampleenv.Env) error {
	req := &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User("Hello!")}}

	// On the embedded server, the next two requests get 503: the retries
	// carry the call through.
	env.FailNext(2, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "overloaded"})
	resp, err := env.Client.Chat.Create(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("answer after retries:", resp.Text())

	// A shorter timeout for one request. On the embedded server the answer
	// is held back 300ms, so it times out (and, being retryable, is tried
	// again until the attempts run out).
	env.FailNext(4, vllmtest.Fault{Kind: vllmtest.FaultNone, HeaderDelay: 300 * time.Millisecond})
	_, err = env.Client.Chat.Create(ctx, req, vllm.WithTimeout(100*time.Millisecond))
	fmt.Println("timed out:", errors.Is(err, vllm.ErrTimeout), "retryable:", vllm.IsRetryable(err))

	// A stream that stalls: the idle timeout ends it with a StreamError.
	env.Fail(vllmtest.Fault{Kind: vllmtest.FaultStall, After: 3, Duration: 2 * time.Second})
	s, err := env.Client.Chat.Stream(ctx, req, vllm.WithStreamIdleTimeout(200*time.Millisecond))
	if err != nil {
		return err
	}
	_, err = s.Collect()
	var se *vllm.StreamError
	if errors.As(err, &se) {
		fmt.Printf("stream failed: kind=%v timeout=%v\n", se.Kind, errors.Is(err, vllm.ErrTimeout))
	} else {
		fmt.Println("stream ended:", err)
	}

	// The context's deadline always wins, retries or not.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	env.FailNext(4, vllmtest.Fault{Kind: vllmtest.FaultNone, HeaderDelay: 300 * time.Millisecond})
	_, err = env.Client.Chat.Create(short, req)
	fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))
	return nil
}
