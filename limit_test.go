package vllm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
)

func TestMaxInFlight(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		release := make(chan struct{})
		var cur, peak atomic.Int32
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
			v := cur.Add(1)
			for {
				p := peak.Load()
				if v <= p || peak.CompareAndSwap(p, v) {
					break
				}
			}
			<-release
			cur.Add(-1)
			okChat(w)
		}))
		c := srv.Client(t, vllm.WithMaxInFlight(2))

		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Chat.Create(context.Background(), chatReq())
				errs <- err
			}()
		}
		synctest.Wait()
		if cur.Load() != 2 {
			t.Fatalf("%d calls at the server, want 2", cur.Load())
		}

		// A call that cannot get a slot before its deadline fails with the
		// context's error at the deadline and never reaches the server.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		_, err := c.Chat.Create(ctx, chatReq())
		cancel()
		var te *vllm.TransportError
		if !errors.As(err, &te) || te.Op != "wait for a request slot" || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if peak.Load() != 2 || srv.Count() != 5 {
			t.Fatalf("peak %d, requests %d", peak.Load(), srv.Count())
		}
	})
}

func TestRateLimit(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, okChats)
		// One request per second, bursts of 2: two calls pass at once, the
		// third would wait a second, longer than its deadline.
		c := srv.Client(t, vllm.WithRateLimit(1, 2))
		start := time.Now()
		createChats(t, c, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := c.Chat.Create(ctx, chatReq())
		var te *vllm.TransportError
		if !errors.As(err, &te) || te.Op != "wait for the rate limit" || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if srv.Count() != 2 || time.Since(start) != 500*time.Millisecond {
			t.Fatalf("%d requests after %v", srv.Count(), time.Since(start))
		}
		// The abandoned call gave its token back: the next ones are sent at
		// 1s and 2s.
		createChats(t, c, 2)
		var at []time.Duration
		for _, r := range srv.Requests() {
			at = append(at, r.Time.Sub(start))
		}
		if want := []time.Duration{0, 0, time.Second, 2 * time.Second}; fmt.Sprint(at) != fmt.Sprint(want) {
			t.Fatalf("requests at %v, want %v", at, want)
		}
	})
}
