package vllm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/batch"
	"github.com/vllmgo/vllm/vllmtest"
)

// Retries with exponential backoff: the server is overloaded twice, the third
// attempt succeeds.
func ExampleWithRetry() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hello!"})
	srv.FailNext(2, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, RetryAfter: "0"})

	c, _ := vllm.New(srv.URL, vllm.WithRetry(vllm.RetryPolicy{
		MaxAttempts: 4,
		BaseDelay:   10 * time.Millisecond,
		MaxDelay:    time.Second,
	}))
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text(), "after", len(srv.Requests()), "attempts")
	// Output: Hello! after 3 attempts
}

// One client over several replicas, with a fallback server used only when
// every replica is down.
func ExampleWithEndpoints() {
	var replicas []*vllmtest.Server
	for i := 0; i < 3; i++ {
		s := vllmtest.NewServer(vllmtest.WithModel("m"))
		defer s.Close()
		replicas = append(replicas, s)
	}
	fallback := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer fallback.Close()

	c, _ := vllm.New(replicas[0].URL,
		vllm.WithEndpoints(replicas[1].URL, replicas[2].URL),
		vllm.WithFallback(fallback.URL),
		vllm.WithBalance(vllm.LeastOutstanding),
		vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 3}))
	defer c.Close()
	for i := 0; i < 6; i++ {
		if _, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}}); err != nil {
			fmt.Println(err)
		}
	}
	for i, s := range replicas {
		fmt.Printf("replica %d: %d calls\n", i, len(s.Requests()))
	}
	fmt.Println("fallback:", len(fallback.Requests()), "calls")
	// Output:
	// replica 0: 2 calls
	// replica 1: 2 calls
	// replica 2: 2 calls
	// fallback: 0 calls
}

// A circuit breaker stops sending to a failing server and fails fast.
func ExampleWithCircuitBreaker() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithFault(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 500}))
	defer srv.Close()
	c, _ := vllm.New(srv.URL, vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 2, CoolDown: time.Minute}))
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}}
	for i := 0; i < 3; i++ {
		_, err := c.Chat.Create(context.Background(), req)
		var open *vllm.CircuitOpenError
		fmt.Println(errors.As(err, &open), c.Endpoints()[0].State)
	}
	fmt.Println(len(srv.Requests()), "requests reached the server")
	// Output:
	// false closed
	// false open
	// true open
	// 2 requests reached the server
}

// A middleware sees every attempt and may add headers to it.
func ExampleWithMiddleware() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	tenant := func(next vllm.RoundTrip) vllm.RoundTrip {
		return func(ctx context.Context, req *vllm.RequestInfo) (*http.Response, error) {
			req.Header.Set("X-Tenant", "blue")
			resp, err := next(ctx, req)
			fmt.Println("attempt", req.Attempt, req.Call.Method, req.Call.Path, "error:", err)
			return resp, err
		}
	}
	c, _ := vllm.New(srv.URL, vllm.WithMiddleware(tenant))
	c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}})
	rec, _ := srv.LastRequest()
	fmt.Println("server saw X-Tenant:", rec.Header.Get("X-Tenant"))
	// Output:
	// attempt 1 POST /v1/chat/completions error: <nil>
	// server saw X-Tenant: blue
}

// Hooks observe each call: here its attempts and token usage.
func ExampleWithHooks() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hi there", PromptTokens: 7, CompletionTokens: 3})
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultReset})
	c, _ := vllm.New(srv.URL, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2}), vllm.WithHooks(vllm.Hooks{
		OnCallEnd: func(ctx context.Context, call *vllm.CallInfo, res *vllm.CallResult) {
			fmt.Printf("%s %s: status %d after %d attempts, %d+%d tokens\n", call.Op, call.Model,
				res.StatusCode, res.Attempts, res.Usage.PromptTokens, res.Usage.CompletionTokens)
		},
	}))
	c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}})
	// Output: chat completion m: status 200 after 2 attempts, 7+3 tokens
}

// Structured logging with log/slog; the API key never appears. Call records
// are at Debug unless LogPolicy.Level says otherwise.
func ExampleWithLogger() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithAPIKey("sk-secret"))
	defer srv.Close()
	// Drop the attributes that change from run to run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case "time", "latency_ms", "request_id", "endpoint":
				return slog.Attr{}
			}
			return a
		},
	}))
	c, _ := vllm.New(srv.URL, vllm.WithAPIKey("sk-secret"), vllm.WithLogger(logger),
		vllm.WithLogPolicy(vllm.LogPolicy{Level: slog.LevelInfo}))
	srv.Enqueue(vllmtest.Reply{Content: "Hi", PromptTokens: 5, CompletionTokens: 2})
	c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Hi")}})
	// Output:
	// level=INFO msg="vllm call" vllm.method=POST vllm.path=/v1/chat/completions vllm.model=m vllm.status=200 vllm.attempts=1 vllm.prompt_tokens=5 vllm.completion_tokens=2
}

// Limits: at most 4 calls in flight and 20 requests per second.
func ExampleWithMaxInFlight() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	c, _ := vllm.New(srv.URL, vllm.WithMaxInFlight(4), vllm.WithRateLimit(20, 5))
	reqs := []*vllm.ChatRequest{
		{Model: "m", Messages: []vllm.Message{vllm.User("a")}},
		{Model: "m", Messages: []vllm.Message{vllm.User("b")}},
	}
	// Eight at a time from the batch, still at most 4 in flight.
	results := batch.Run(context.Background(), reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
		return c.Chat.Create(ctx, r)
	}, &batch.Options{Concurrency: 8})
	for _, r := range results {
		fmt.Println(r.Index, r.Err == nil)
	}
	// Output:
	// 0 true
	// 1 true
}
