package vllm_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
)

func TestCircuitBreaker(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		srv := vllm.NewMemServer(t, failWhileDown(&down, 500))
		c := srv.Client(t, vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 2, CoolDown: time.Second}))
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if _, err := c.Chat.Create(ctx, chatReq()); err == nil {
				t.Fatal("want an error")
			}
		}
		if st := c.Endpoints()[0].State; st != vllm.BreakerOpen {
			t.Fatalf("state %v", st)
		}
		_, err := c.Chat.Create(ctx, chatReq())
		var oe *vllm.CircuitOpenError
		if !errors.As(err, &oe) || oe.RetryIn != time.Second || len(oe.Endpoints) != 1 || vllm.IsRetryable(err) {
			t.Fatalf("err %v", err)
		}
		if srv.Count() != 2 {
			t.Fatalf("open breaker let a request through: %d", srv.Count())
		}
		// After the cool-down, not before, a trial goes through; its failure
		// opens again.
		awaitState(t, c, 0, time.Second, vllm.BreakerOpen, vllm.BreakerHalfOpen)
		if _, err := c.Chat.Create(ctx, chatReq()); isCircuitOpen(err) || err == nil {
			t.Fatalf("trial: %v", err)
		}
		if _, err := c.Chat.Create(ctx, chatReq()); !isCircuitOpen(err) {
			t.Fatalf("after failed trial: %v", err)
		}
		// The next trial succeeds and closes the breaker.
		down.Store(false)
		awaitState(t, c, 0, time.Second, vllm.BreakerOpen, vllm.BreakerHalfOpen)
		if _, err := c.Chat.Create(ctx, chatReq()); err != nil {
			t.Fatal(err)
		}
		if st := c.Endpoints()[0].State; st != vllm.BreakerClosed || srv.Count() != 4 {
			t.Fatalf("state %v, %d requests", st, srv.Count())
		}
		// Answers that are not the endpoint's fault do not open it.
		down.Store(true)
		srv2 := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { fail(w, 404) }))
		c2 := srv2.Client(t, vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 1}))
		for i := 0; i < 3; i++ {
			if _, err := c2.Chat.Create(ctx, chatReq()); isCircuitOpen(err) {
				t.Fatal("404 opened the breaker")
			}
		}
	})
}

func TestRoundRobin(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var srvs []*vllm.MemServer
		var urls []string
		for i := 0; i < 3; i++ {
			s := vllm.NewMemServer(t, okChats)
			srvs = append(srvs, s)
			urls = append(urls, s.URL+"/v1")
		}
		c := newClient(t, urls[0], vllm.WithEndpoints(urls[1:]...))
		defer c.Close()
		createChats(t, c, 9)
		for i, s := range srvs {
			if s.Count() != 3 {
				t.Errorf("server %d got %d calls, want 3", i, s.Count())
			}
		}
		if eps := c.Endpoints(); len(eps) != 3 || eps[0].URL != urls[0] || eps[2].URL != urls[2] || eps[0].Fallback {
			t.Fatalf("endpoints %+v", eps)
		}
	})
}

func TestLeastOutstanding(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		release := make(chan struct{})
		slow := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			<-release
			okChat(w)
		}))
		fast := vllm.NewMemServer(t, okChats)
		c := slow.Client(t, vllm.WithEndpoints(fast.URL+"/v1"), vllm.WithBalance(vllm.LeastOutstanding))
		// Occupy the slow endpoint with one call, then every other call must go
		// to the fast one while the first is outstanding.
		done := make(chan error, 1)
		started := false
		for i := 0; i < 4 && !started; i++ {
			go func() {
				_, err := c.Chat.Create(context.Background(), chatReq())
				done <- err
			}()
			synctest.Wait()
			if slow.Count() == 1 {
				started = true
			} else if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if !started {
			t.Fatal("no call reached the slow endpoint")
		}
		if c.Endpoints()[0].Outstanding != 1 {
			t.Fatalf("outstanding %+v", c.Endpoints())
		}
		before := fast.Count()
		createChats(t, c, 5)
		if fast.Count()-before != 5 || slow.Count() != 1 {
			t.Fatalf("fast %d, slow %d", fast.Count()-before, slow.Count())
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := c.Endpoints()[0].Outstanding; n != 0 {
			t.Fatalf("%d outstanding", n)
		}
	})
}

func TestEjectionAndRetryToOtherEndpoint(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var down atomic.Bool
		down.Store(true)
		bad := vllm.NewMemServer(t, failWhileDown(&down, 503))
		good := vllm.NewMemServer(t, okChats)
		c := bad.Client(t, vllm.WithEndpoints(good.URL+"/v1"), fastRetry(1),
			vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 2, CoolDown: time.Second}))
		// Every call succeeds: a failure on the bad endpoint is retried on the
		// good one.
		createChats(t, c, 6)
		if bad.Count() != 2 || good.Count() != 6 {
			t.Fatalf("bad %d, good %d: the bad endpoint was not ejected after 2 failures", bad.Count(), good.Count())
		}
		if st := c.Endpoints()[0].State; st != vllm.BreakerOpen {
			t.Fatalf("state %v", st)
		}
		// After the cool-down it is re-admitted on trial.
		down.Store(false)
		// (The breaker opened on the bad endpoint's last failure.)
		opened := bad.Requests()[bad.Count()-1].Time
		awaitState(t, c, 0, time.Until(opened.Add(time.Second)), vllm.BreakerOpen, vllm.BreakerHalfOpen)
		createChats(t, c, 4)
		if bad.Count() < 3 || c.Endpoints()[0].State != vllm.BreakerClosed {
			t.Fatalf("not re-admitted: bad %d, state %v", bad.Count(), c.Endpoints()[0].State)
		}
	})
}

func TestFallbackOnlyWhenPrimariesDown(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var primaryDown atomic.Bool
		primary := vllm.NewMemServer(t, failWhileDown(&primaryDown, 502))
		fallback := vllm.NewMemServer(t, okChats)
		c := primary.Client(t, vllm.WithFallback(fallback.URL+"/v1"), fastRetry(1),
			vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 1, CoolDown: time.Minute}))
		createChats(t, c, 3)
		if primary.Count() != 3 || fallback.Count() != 0 {
			t.Fatalf("primary %d, fallback %d", primary.Count(), fallback.Count())
		}
		// The primary fails once (its breaker opens): the retry and every
		// later call go to the fallback.
		primaryDown.Store(true)
		createChats(t, c, 3)
		if primary.Count() != 4 || fallback.Count() != 3 {
			t.Fatalf("primary %d, fallback %d", primary.Count(), fallback.Count())
		}
		if eps := c.Endpoints(); !eps[1].Fallback || eps[0].State != vllm.BreakerOpen {
			t.Fatalf("endpoints %+v", eps)
		}
	})
}

func TestHealthChecks(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var aHealthy atomic.Bool
		handler := func(healthy *atomic.Bool) func(w http.ResponseWriter, r *http.Request, n int) {
			return func(w http.ResponseWriter, r *http.Request, n int) {
				if r.URL.Path == "/health" {
					if healthy != nil && !healthy.Load() {
						w.WriteHeader(503)
					}
					return
				}
				okChat(w)
			}
		}
		a := vllm.NewMemServer(t, byIndex(handler(&aHealthy)))
		b := vllm.NewMemServer(t, byIndex(handler(nil)))
		c := a.Client(t, vllm.WithEndpoints(b.URL+"/v1"), vllm.WithHealthCheck(10*time.Second))
		// The first check runs at once.
		synctest.Wait()
		if !c.Endpoints()[1].Healthy || c.Endpoints()[0].Healthy {
			t.Fatalf("after the first check: %+v", c.Endpoints())
		}
		createChats(t, c, 4)
		if a.Count() != 0 || b.Count() != 4 {
			t.Fatalf("a %d, b %d", a.Count(), b.Count())
		}
		// a recovers: the next check, one interval after the first, and not
		// before, re-admits it.
		aHealthy.Store(true)
		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		if c.Endpoints()[0].Healthy {
			t.Fatal("re-admitted before the next check")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if !c.Endpoints()[0].Healthy {
			t.Fatal("not re-admitted by the next check")
		}
		createChats(t, c, 4)
		if a.Count() != 2 {
			t.Fatalf("a %d after re-admission", a.Count())
		}
		if n := len(a.Requests()) - a.Count(); n != 2 {
			t.Fatalf("%d health checks of a in 10s, want 2", n)
		}
		var sawHealth bool
		for _, r := range a.Requests() {
			sawHealth = sawHealth || (r.Path == "/health" && r.Method == "GET")
		}
		if !sawHealth {
			t.Fatal("no GET /health seen")
		}
		// Close stops the checker (the leak check verifies it) and is idempotent.
		c.Close()
		c.Close()
	})
}

func TestAllEndpointsDown(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path == "/health" {
				w.WriteHeader(500)
			}
		}))
		c := srv.Client(t, vllm.WithHealthCheck(10*time.Second))
		synctest.Wait()
		if c.Endpoints()[0].Healthy {
			t.Fatal("healthy after a failed check")
		}
		_, err := c.Chat.Create(context.Background(), chatReq())
		if !isCircuitOpen(err) || srv.Count() != 0 {
			t.Fatalf("err %v, %d requests", err, srv.Count())
		}
	})
}

// TestHealthCheckTimeout: an endpoint whose /health does not answer within
// 5s is unhealthy from then on.
func TestHealthCheckTimeout(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path == "/health" {
				<-r.Context().Done()
			}
		}))
		c := srv.Client(t, vllm.WithHealthCheck(time.Minute))
		time.Sleep(5*time.Second - time.Nanosecond)
		synctest.Wait()
		if !c.Endpoints()[0].Healthy {
			t.Fatal("unhealthy before the check timed out")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if c.Endpoints()[0].Healthy {
			t.Fatal("healthy after the check timed out")
		}
	})
}

// TestBreakerOpenedByOwnRetries: when a call's own failures open the only
// breaker, the call returns its last failure, not "circuit open"; the next
// call fails fast.
func TestBreakerOpenedByOwnRetries(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := failThenOK(t, 500, 500, 500)
		c := srv.Client(t, fastRetry(3), vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 2, CoolDown: time.Minute}))
		_, err := c.Chat.Create(context.Background(), chatReq())
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 500 || srv.Count() != 2 {
			t.Fatalf("err %v, %d requests", err, srv.Count())
		}
		if _, err := c.Chat.Create(context.Background(), chatReq()); !isCircuitOpen(err) || srv.Count() != 2 {
			t.Fatalf("second call: %v", err)
		}
	})
}

// awaitState checks that endpoint i of c stays in state before until after
// (from now), and is in state then.
func awaitState(t *testing.T, c *vllm.Client, i int, after time.Duration, before, then vllm.BreakerState) {
	t.Helper()
	time.Sleep(after - time.Nanosecond) // simulated time: called in synctest bubbles
	if st := c.Endpoints()[i].State; st != before {
		t.Fatalf("%v early: state %v, want %v", time.Nanosecond, st, before)
	}
	time.Sleep(time.Nanosecond)
	if st := c.Endpoints()[i].State; st != then {
		t.Fatalf("after %v: state %v, want %v", after, st, then)
	}
}

// isCircuitOpen reports whether err is a call refused by open breakers.
func isCircuitOpen(err error) bool {
	var oe *vllm.CircuitOpenError
	return errors.As(err, &oe)
}

// TestHealthCheckSendsTheClientHeaders: the health checks' requests carry
// the client's headers as its calls do — the user agent (the last one given
// with WithHeader), the API key and any other header given to New, such as
// the key a gateway in front of the replicas asks for.
func TestHealthCheckSendsTheClientHeaders(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		got := make(chan http.Header, 4)
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path == "/health" {
				got <- r.Header.Clone()
			}
		}))
		// The client checks health until it closes, when the test ends.
		srv.Client(t, vllm.WithHeader("User-Agent", "first/1"),
			vllm.WithHeader("User-Agent", "app/3"), vllm.WithHeader("X-Gateway-Key", "g1"),
			vllm.WithAPIKey("sk-1"), vllm.WithHealthCheck(time.Minute))
		synctest.Wait()
		h := <-got
		if ua := h.Get("User-Agent"); ua != "app/3" {
			t.Fatalf("health check User-Agent %q, want the last one given, app/3", ua)
		}
		if k := h.Get("X-Gateway-Key"); k != "g1" {
			t.Fatalf("health check X-Gateway-Key %q, want g1", k)
		}
		if a := h.Get("Authorization"); a != "Bearer sk-1" {
			t.Fatalf("health check Authorization %q, want the API key", a)
		}
	})
}
