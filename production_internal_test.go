package vllm

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestBackoffFullJitter(t *testing.T) {
	rp := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	rp.normalize()
	for n, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 40: time.Second} {
		distinct := map[time.Duration]bool{}
		var maxSeen time.Duration
		for i := 0; i < 500; i++ {
			d := rp.backoff(n)
			if d < 0 || d > ceil {
				t.Fatalf("retry %d: wait %v outside [0, %v]", n, d, ceil)
			}
			distinct[d] = true
			maxSeen = max(maxSeen, d)
		}
		if len(distinct) < 100 || maxSeen < ceil/2 {
			t.Fatalf("retry %d: %d distinct waits, max %v: not jittered over [0, %v]", n, len(distinct), maxSeen, ceil)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0":                              0,
		" 7 ":                            7 * time.Second,
		"Fri, 02 Jan 2026 03:04:15 GMT":  10 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT":  0, // in the past
		"Friday, 02-Jan-26 03:04:10 GMT": 5 * time.Second,
	} {
		got, ok := parseRetryAfter(v, now)
		if !ok || got != want {
			t.Errorf("%q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := parseRetryAfter(v, now); ok {
			t.Errorf("%q parsed", v)
		}
	}
	// Retry-After counts only on 429 and 503, and raises the wait.
	rp := RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second}
	rp.normalize()
	if d, ok := rp.delay(1, &APIError{StatusCode: 503, RetryAfter: "2"}, now); !ok || d != 2*time.Second {
		t.Errorf("503: %v %v", d, ok)
	}
	if d, ok := rp.delay(1, &APIError{StatusCode: 500, RetryAfter: "2"}, now); !ok || d > time.Millisecond {
		t.Errorf("500: %v %v", d, ok)
	}
	if _, ok := rp.delay(1, &APIError{StatusCode: 429, RetryAfter: "6"}, now); ok {
		t.Error("Retry-After beyond MaxDelay accepted")
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Fri, 02 Jan 2026 03:04:15 GMT", "-5", "99999999999999999999", ""} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := parseRetryAfter(v, now); ok && (d < 0 || d > maxRetryAfter) {
			t.Fatalf("%q: %v", v, d)
		}
	})
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Now()
	b := &tokenBucket{rate: 10, burst: 2, tokens: 2, last: t0}
	if b.reserve(t0) != 0 || b.reserve(t0) != 0 {
		t.Fatal("burst not available")
	}
	if d := b.reserve(t0); d != 100*time.Millisecond {
		t.Fatalf("third wait %v", d)
	}
	if d := b.reserve(t0); d != 200*time.Millisecond {
		t.Fatalf("fourth wait %v", d)
	}
	b.unreserve()
	b.unreserve()
	// 300ms later: 3 tokens accrued, capped at the burst of 2.
	if b.reserve(t0.Add(300*time.Millisecond)) != 0 || b.reserve(t0.Add(300*time.Millisecond)) != 0 {
		t.Fatal("tokens did not accrue")
	}
	if d := b.reserve(t0.Add(300 * time.Millisecond)); d != 100*time.Millisecond {
		t.Fatalf("burst cap: wait %v", d)
	}
}

func TestBreakerStates(t *testing.T) {
	now := time.Now()
	b := &breaker{policy: &BreakerPolicy{Failures: 2, CoolDown: time.Second, HalfOpenRequests: 2}}
	b.record(false, outcomeFailure, now)
	b.record(false, outcomeSuccess, now) // resets the count
	b.record(false, outcomeFailure, now)
	if ok, _ := b.acquire(now); !ok {
		t.Fatal("opened before 2 consecutive failures")
	}
	b.record(false, outcomeFailure, now)
	if ok, _ := b.acquire(now.Add(999 * time.Millisecond)); ok {
		t.Fatal("open breaker let a request through")
	}
	later := now.Add(time.Second)
	ok1, t1 := b.acquire(later)
	ok2, t2 := b.acquire(later)
	ok3, _ := b.acquire(later)
	if !ok1 || !t1 || !ok2 || !t2 || ok3 {
		t.Fatalf("half-open trials: %v %v %v %v %v", ok1, t1, ok2, t2, ok3)
	}
	b.record(true, outcomeNeutral, later) // a cancelled trial frees its place
	if ok, _ := b.acquire(later); !ok {
		t.Fatal("neutral trial kept its place")
	}
	b.record(true, outcomeSuccess, later)
	if st, _ := b.status(later); st != BreakerClosed {
		t.Fatalf("state %v after successful trial", st)
	}
	b.record(true, outcomeFailure, later) // a late trial result no longer counts as a trial
	if st, _ := b.status(later); st != BreakerClosed {
		t.Fatalf("state %v", st)
	}
}

// streamServer answers a stream's headers and one event, then fails the
// connection; the first request of failFirst servers gets a 503 instead.
func streamServer(t *testing.T, failFirst bool) *memServer {
	return newMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 && failFirst {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	}))
}

func TestStreamRetriedOnlyBeforeHeaders(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := streamServer(t, true)
		defer srv.Close()
		var ends []*CallResult
		var progress []StreamProgress
		c, err := New(srv.URL+"/v1", inMemory(), WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}), WithHooks(Hooks{
			OnStreamEvent: func(_ context.Context, _ *CallInfo, ev StreamProgress) { progress = append(progress, ev) },
			OnCallEnd:     func(_ context.Context, _ *CallInfo, res *CallResult) { ends = append(ends, res) },
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := &apiRequest{method: "POST", path: "/chat/completions", op: "chat completion", body: []byte(`{"stream":true}`), stream: true, model: "m"}
		start := time.Now()
		resp, err := c.send(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		// The 503 before the headers was retried: the stream began on attempt 2.
		if srv.Count() != 2 {
			t.Fatalf("%d requests", srv.Count())
		}
		probe := c.cfg.prod.startStream(context.Background(), r)
		if probe == nil {
			t.Fatal("no probe although hooks listen")
		}
		_, readErr := io.ReadAll(resp.Body)
		if readErr == nil {
			t.Fatal("the cut stream read without error")
		}
		probe.event(false, "")
		time.Sleep(2 * time.Millisecond)
		probe.event(true, "m")
		firstToken := time.Since(start)
		time.Sleep(3 * time.Millisecond)
		probe.event(true, "m")
		resp.Body.Close() // the body closes before the stream reports its end
		if len(ends) != 0 {
			t.Fatal("call ended at body close although a probe reports the stream")
		}
		probe.end(&CallResult{Usage: &Usage{PromptTokens: 3, CompletionTokens: 2}, Err: readErr})
		// The failure after the headers is not retried.
		if srv.Count() != 2 || len(ends) != 1 {
			t.Fatalf("%d requests, %d ends", srv.Count(), len(ends))
		}
		res := ends[0]
		if res.Attempts != 2 || res.Err != readErr || res.Usage.CompletionTokens != 2 || res.Events != 3 || res.TokenEvents != 2 ||
			res.TimeToFirstToken != firstToken || res.TimeToFirstToken != progress[1].Elapsed || res.Body != nil {
			t.Fatalf("result %+v", res)
		}
		if len(progress) != 3 || progress[0].Token || progress[1].Gap != 0 || progress[2].Gap != 3*time.Millisecond ||
			progress[2].Tokens != 2 || progress[2].Events != 3 || progress[0].Model != "" || progress[2].Model != "m" {
			t.Fatalf("progress %+v", progress)
		}
		if out := c.Endpoints()[0].Outstanding; out != 0 {
			t.Fatalf("outstanding %d", out)
		}
	})
}

func TestStartStreamWithoutListeners(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := streamServer(t, false)
		defer srv.Close()
		c, err := New(srv.URL+"/v1", inMemory())
		if err != nil {
			t.Fatal(err)
		}
		r := &apiRequest{method: "POST", path: "/chat/completions", stream: true}
		resp, err := c.send(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if p := c.cfg.prod.startStream(context.Background(), r); p != nil {
			t.Fatal("a probe without listeners")
		}
	})
}

func TestSummarize(t *testing.T) {
	var res CallResult
	summarize([]byte(`{"id":"chatcmpl-1","model":"m","choices":[{"finish_reason":"stop"},{"finish_reason":"length"},{"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`), &res)
	if res.ResponseID != "chatcmpl-1" || res.ResponseModel != "m" || len(res.FinishReasons) != 2 || res.FinishReasons[1] != "length" || res.Usage.TotalTokens != 7 {
		t.Fatalf("%+v", res)
	}
	var none CallResult
	for _, b := range []string{"", "[1]", "<html>", `{"usage":"x"}`} {
		summarize([]byte(b), &none)
	}
	if none.Usage != nil || none.ResponseID != "" {
		t.Fatalf("%+v", none)
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add([]byte(`{"id":"x","model":"m","choices":[{"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`))
	f.Add([]byte(`{"choices":null,"usage":null}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var res CallResult
		summarize(b, &res)
	})
}
