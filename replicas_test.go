package vllm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// TestRetryFaultsOnVLLMTest retries through the test server's faults: an
// overloaded 503 with Retry-After, a reset connection, and a connection
// dropped before the headers; the fourth attempt succeeds.
func TestRetryFaultsOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithAPIKey("k"))
		defer srv.Close()
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, RetryAfter: "0"})
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultReset})
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultDrop})
		var attempts []int
		c := newClient(t, srv.URL, vllm.WithAPIKey("k"), fastRetry(3), vllm.WithHooks(vllm.Hooks{
			OnResponse: func(_ context.Context, req *vllm.RequestInfo, res vllm.AttemptResult) {
				attempts = append(attempts, res.StatusCode)
			},
		}))
		defer c.Close()
		resp, err := c.Chat.Create(context.Background(), chatReq())
		if err != nil {
			t.Fatal(err)
		}
		if resp.Text() == "" || len(attempts) != 4 || attempts[0] != 503 || attempts[1] != 0 || attempts[2] != 0 || attempts[3] != 200 {
			t.Fatalf("content %q, attempts %v", resp.Text(), attempts)
		}
		reqs := srv.Requests()
		if len(reqs) != 4 {
			t.Fatalf("%d requests", len(reqs))
		}
		for _, r := range reqs[1:] {
			if !bytes.Equal(r.Body, reqs[0].Body) || r.Header.Get("X-Request-Id") != reqs[0].Header.Get("X-Request-Id") {
				t.Fatalf("attempts differ: %s / %s", r.Body, reqs[0].Body)
			}
		}
		// Without retries the same fault is the caller's error.
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503})
		c2 := newClient(t, srv.URL, vllm.WithAPIKey("k"))
		defer c2.Close()
		if _, err := c2.Chat.Create(context.Background(), chatReq()); !vllm.IsRetryable(err) {
			t.Fatalf("err %v", err)
		}
	})
}

// TestReplicasOnVLLMTest spreads calls over two test servers, ejects the one
// that fails, falls back when both primaries are down, and re-admits.
func TestReplicasOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		a := testServer(t)
		b := testServer(t)
		fb := testServer(t)
		c := newClient(t, a.URL, vllm.WithEndpoints(b.URL), vllm.WithFallback(fb.URL), fastRetry(2),
			vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 1, CoolDown: 2 * time.Second}))
		defer c.Close()
		ctx := context.Background()
		for i := 0; i < 4; i++ {
			if _, err := c.Chat.Create(ctx, chatReq()); err != nil {
				t.Fatal(err)
			}
		}
		if len(a.Requests()) != 2 || len(b.Requests()) != 2 || len(fb.Requests()) != 0 {
			t.Fatalf("a %d, b %d, fallback %d", len(a.Requests()), len(b.Requests()), len(fb.Requests()))
		}
		// a fails from now on: it is ejected and b takes everything.
		a.ResetRequests()
		b.ResetRequests()
		a.FailNext(100, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 500})
		for i := 0; i < 4; i++ {
			if _, err := c.Chat.Create(ctx, chatReq()); err != nil {
				t.Fatal(err)
			}
		}
		if len(a.Requests()) != 1 || len(b.Requests()) != 4 || len(fb.Requests()) != 0 {
			t.Fatalf("a %d, b %d, fallback %d", len(a.Requests()), len(b.Requests()), len(fb.Requests()))
		}
		// b goes down too: the fallback answers.
		b.FailNext(100, vllmtest.Fault{Kind: vllmtest.FaultReset})
		if _, err := c.Chat.Create(ctx, chatReq()); err != nil {
			t.Fatal(err)
		}
		if len(fb.Requests()) != 1 {
			t.Fatalf("fallback %d", len(fb.Requests()))
		}
		// Both recover; after the cool-down the primaries are tried again and
		// the fallback is left alone.
		a.ClearFaults()
		b.ClearFaults()
		time.Sleep(2 * time.Second)
		if eps := c.Endpoints(); eps[0].State != vllm.BreakerHalfOpen || eps[1].State != vllm.BreakerHalfOpen {
			t.Fatalf("after the cool-down: %+v", eps)
		}
		for i := 0; i < 4; i++ {
			if _, err := c.Chat.Create(ctx, chatReq()); err != nil {
				t.Fatal(err)
			}
		}
		if len(fb.Requests()) != 1 {
			t.Fatalf("fallback used while primaries were back: %d", len(fb.Requests()))
		}
		for _, ep := range c.Endpoints() {
			if ep.State != vllm.BreakerClosed || ep.Outstanding != 0 {
				t.Fatalf("endpoints %+v", c.Endpoints())
			}
		}
	})
}

func TestHealthChecksOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		a := testServer(t)
		b := testServer(t)
		c := newClient(t, a.URL, vllm.WithEndpoints(b.URL), vllm.WithHealthCheck(10*time.Second))
		defer c.Close()
		b.Close() // b is gone: its health check fails before any call is made
		synctest.Wait()
		if c.Endpoints()[1].Healthy {
			t.Fatal("b healthy")
		}
		createChats(t, c, 3)
		if !c.Endpoints()[0].Healthy {
			t.Fatal("a unhealthy")
		}
		var health int
		for _, r := range a.Requests() {
			if r.Path == "/health" && r.Method == "GET" {
				health++
			}
		}
		if health == 0 {
			t.Fatal("no GET /health reached a")
		}
	})
}

func TestLoggingOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		const key = "sk-log-secret-0123456789"
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithAPIKey(key))
		defer srv.Close()
		var buf bytes.Buffer
		c := newClient(t, srv.URL, vllm.WithAPIKey(key), vllm.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		defer c.Close()
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
		// A wrong key's 401 is logged, without either key.
		c2 := newClient(t, srv.URL, vllm.WithAPIKey(key+"-wrong"), vllm.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		defer c2.Close()
		if _, err := c2.Chat.Create(context.Background(), chatReq()); !errors.Is(err, vllm.ErrUnauthorized) {
			t.Fatalf("err %v", err)
		}
		out := buf.String()
		if strings.Contains(out, key) {
			t.Fatalf("key leaked:\n%s", out)
		}
		if !contains(out, "vllm.status=200", "vllm.status=401", "vllm.prompt_tokens=", "Authorization:[REDACTED]") {
			t.Fatalf("log:\n%s", out)
		}
	})
}
