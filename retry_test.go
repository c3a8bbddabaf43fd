package vllm_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
)

func TestRetryReplaysBodyAndRequestID(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := failThenOK(t, 503, 502)
		var retries, responses atomic.Int32
		var waited time.Duration
		c := srv.Client(t, fastRetry(3), vllm.WithHooks(vllm.Hooks{
			OnRetry: func(_ context.Context, _ *vllm.RequestInfo, _ error, d time.Duration) {
				retries.Add(1)
				waited += d
			},
			OnResponse: func(context.Context, *vllm.RequestInfo, vllm.AttemptResult) { responses.Add(1) },
		}))
		req := chatReq()
		req.Temperature = vllm.Ptr(0.0)
		start := time.Now()
		resp, err := c.Chat.Create(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		// The call took exactly the waits the hook was told of.
		if d := time.Since(start); d != waited {
			t.Errorf("call took %v, waits add up to %v", d, waited)
		}
		if resp.Text() != "Hello there sim" {
			t.Fatalf("content %q", resp.Text())
		}
		reqs := srv.Requests()
		if len(reqs) != 3 || retries.Load() != 2 || responses.Load() != 3 {
			t.Fatalf("requests %d, retries %d, responses %d", len(reqs), retries.Load(), responses.Load())
		}
		want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}`
		id := reqs[0].Header.Get("X-Request-Id")
		if len(id) != 32 {
			t.Fatalf("generated request id %q", id)
		}
		for i, r := range reqs {
			if string(r.Body) != want {
				t.Errorf("attempt %d body %s, want %s", i+1, r.Body, want)
			}
			if got := r.Header.Get("X-Request-Id"); got != id {
				t.Errorf("attempt %d request id %q, want %q", i+1, got, id)
			}
			if r.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
				t.Errorf("content length %q", r.Header.Get("Content-Length"))
			}
		}
	})
}

func TestRetryGivesUpWithLastError(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, failWithHeader(500, "X-Request-Id", "srv-1"))
		c := srv.Client(t, fastRetry(2))
		_, err := c.Chat.Create(context.Background(), chatReq())
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.RequestID != "srv-1" {
			t.Fatalf("err %v", err)
		}
		if n := srv.Count(); n != 3 {
			t.Fatalf("%d attempts, want 3", n)
		}
	})
}

func TestRetryOnlyRetryable(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		for _, status := range []int{400, 401, 404, 422} {
			srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, status) }))
			c := newClient(t, srv.URL+"/v1", fastRetry(3))
			_, err := c.Chat.Create(context.Background(), chatReq())
			if err == nil || srv.Count() != 1 {
				t.Errorf("status %d: %d attempts (err %v), want 1", status, srv.Count(), err)
			}
			c.Close()
			srv.Close()
		}
		// A caller's own Retryable decides instead of IsRetryable.
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, 503) }))
		c := srv.Client(t, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond,
			Retryable: func(err error) bool { return false }}))
		if _, err := c.Chat.Create(context.Background(), chatReq()); err == nil || srv.Count() != 1 {
			t.Fatalf("custom Retryable: %d attempts", srv.Count())
		}
	})
}

func TestRetryTransportFailureGoesOn(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		// The first attempt's connection is cut before any response.
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				conn.Close()
				return
			}
			okChat(w)
		}))
		c := srv.Client(t, fastRetry(1))
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
		if srv.Count() != 2 {
			t.Fatalf("%d attempts", srv.Count())
		}
	})
}

func TestRetryAfter(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var retryAfter atomic.Value
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				w.Header().Set("Retry-After", retryAfter.Load().(string))
				fail(w, 429)
				return
			}
			okChat(w)
		}))
		var waits []time.Duration
		c := srv.Client(t, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second}),
			vllm.WithHooks(vllm.Hooks{OnRetry: func(_ context.Context, _ *vllm.RequestInfo, _ error, d time.Duration) { waits = append(waits, d) }}))

		// An HTTP date in the past: retry at once (after the jittered backoff).
		retryAfter.Store(time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
		start := time.Now()
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil || srv.Count() != 2 {
			t.Fatalf("past date: err %v, %d attempts", err, srv.Count())
		}
		if len(waits) != 1 || waits[0] > time.Millisecond || time.Since(start) != waits[0] {
			t.Fatalf("waits %v, call took %v", waits, time.Since(start))
		}

		// An HTTP date in the future: wait until then. (Dates have whole
		// seconds: start on one.)
		srv.ResetRequests()
		waits = nil
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		retryAfter.Store(time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat))
		start = time.Now()
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil || srv.Count() != 2 {
			t.Fatalf("future date: err %v, %d attempts", err, srv.Count())
		}
		if len(waits) != 1 || waits[0] != 2*time.Second || time.Since(start) != waits[0] {
			t.Fatalf("waits %v, call took %v", waits, time.Since(start))
		}

		// A Retry-After beyond MaxDelay: give up at once with the 429.
		srv.ResetRequests()
		retryAfter.Store("30")
		_, err := c.Chat.Create(context.Background(), chatReq())
		if !errors.Is(err, vllm.ErrRateLimited) || srv.Count() != 1 {
			t.Fatalf("long Retry-After: err %v, %d attempts", err, srv.Count())
		}
	})
}

func TestRetryAfterWaitIsHonoured(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if n%2 == 0 {
				w.Header().Set("Retry-After", "1")
				fail(w, 503)
				return
			}
			okChat(w)
		}))
		var wait time.Duration
		c := srv.Client(t, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second}),
			vllm.WithHooks(vllm.Hooks{OnRetry: func(_ context.Context, _ *vllm.RequestInfo, _ error, d time.Duration) { wait = d }}))

		// The second attempt starts exactly the second Retry-After asks for
		// after the first one.
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()
		if len(reqs) != 2 || wait != time.Second || reqs[1].Time.Sub(reqs[0].Time) != time.Second {
			t.Fatalf("%d attempts, wait %v", len(reqs), wait)
		}

		// The caller cancels half-way through the wait: the call ends then,
		// with the cancellation, naming the last failure, without a second
		// attempt.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(500*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Chat.Create(ctx, chatReq())
		var te *vllm.TransportError
		if !errors.As(err, &te) || te.Op != "wait to retry" || !errors.Is(err, context.Canceled) || vllm.IsRetryable(err) {
			t.Fatalf("err %v", err)
		}
		if !contains(err.Error(), "503") || time.Since(start) != 500*time.Millisecond || len(srv.Requests()) != 3 {
			t.Fatalf("err %q after %v, %d requests", err, time.Since(start), len(srv.Requests()))
		}
	})
}

func TestRetryDeadlineWins(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, failWithHeader(503, "Retry-After", "30"))
		c := srv.Client(t, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 5, MaxDelay: time.Minute}))
		// The deadline leaves the first attempt plenty of time, but not the 30s
		// wait.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Chat.Create(ctx, chatReq())
		var ae *vllm.APIError
		// The wait would outlast the deadline: the last error is returned at
		// once rather than after sleeping into the deadline.
		if !errors.As(err, &ae) || ae.StatusCode != 503 || srv.Count() != 1 || ctx.Err() != nil || time.Since(start) != 0 {
			t.Fatalf("err %v, %d attempts, ctx %v after %v", err, srv.Count(), ctx.Err(), time.Since(start))
		}
	})
}

func TestRetryMaxElapsed(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		// Each attempt takes 10s and asks for a 5s wait.
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			time.Sleep(10 * time.Second)
			w.Header().Set("Retry-After", "5")
			fail(w, 503)
		}))
		for _, tc := range []struct {
			maxElapsed time.Duration
			attempts   int
			took       time.Duration
		}{
			// 10s, wait to 15s, 25s, wait to 30s, 40s: a wait to 45s would
			// pass the cap.
			{40 * time.Second, 3, 40 * time.Second},
			// A wait that ends on the cap is still made.
			{45 * time.Second, 4, 55 * time.Second},
			{9 * time.Second, 1, 10 * time.Second},
		} {
			srv.ResetRequests()
			c := newClient(t, srv.URL+"/v1", vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 5, MaxDelay: time.Minute, MaxElapsed: tc.maxElapsed}))
			start := time.Now()
			_, err := c.Chat.Create(context.Background(), chatReq())
			if err == nil || srv.Count() != tc.attempts || time.Since(start) != tc.took {
				t.Errorf("MaxElapsed %v: err %v, %d attempts after %v, want %d after %v",
					tc.maxElapsed, err, srv.Count(), time.Since(start), tc.attempts, tc.took)
			}
			c.Close()
		}
	})
}

func TestRetryOptionsValidated(t *testing.T) {
	for name, o := range map[string]vllm.Option{
		"WithRetry":          vllm.WithRetry(vllm.RetryPolicy{BaseDelay: -1}),
		"WithMaxInFlight":    vllm.WithMaxInFlight(-1),
		"WithRateLimit":      vllm.WithRateLimit(-2, 1),
		"WithCircuitBreaker": vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: -1}),
		"WithEndpoints":      vllm.WithEndpoints("ftp://x"),
		"WithFallback":       vllm.WithFallback("not a url"),
		"WithHealthCheck":    vllm.WithHealthCheck(-time.Second),
		"WithMiddleware":     vllm.WithMiddleware(nil),
		"WithBalance":        vllm.WithBalance(vllm.Balance(7)),
	} {
		_, err := vllm.New("http://localhost:8000/v1", o)
		var pe *vllm.ParamError
		if !errors.As(err, &pe) || pe.Field != name {
			t.Errorf("%s: err %v", name, err)
		}
	}
}
