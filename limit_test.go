package vllm_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
)

func TestMaxInFlight(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	release := make(chan struct{})
	var cur, peak atomic.Int32
	srv := newScriptServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
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
	})
	defer srv.Close()
	c := newClient(t, srv.URL+"/v1", vllm.WithMaxInFlight(2))
	defer c.Close()

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
	waitFor(t, "two calls at the server", func() bool { return cur.Load() == 2 })

	// A call that cannot get a slot before its deadline fails with the
	// context's error and never reaches the server.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := c.Chat.Create(ctx, chatReq())
	cancel()
	var te *vllm.TransportError
	if !errors.As(err, &te) || te.Op != "wait for a request slot" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if peak.Load() != 2 || srv.count() != 5 {
		t.Fatalf("peak %d, requests %d", peak.Load(), srv.count())
	}
}

func TestRateLimit(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := newScriptServer(t, func(w http.ResponseWriter, r *http.Request, n int) { okChat(w) })
	defer srv.Close()
	// One request per second, bursts of 2: two calls pass, the third waits
	// longer than its deadline.
	c := newClient(t, srv.URL+"/v1", vllm.WithRateLimit(1, 2))
	defer c.Close()
	for i := 0; i < 2; i++ {
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Chat.Create(ctx, chatReq())
	var te *vllm.TransportError
	if !errors.As(err, &te) || te.Op != "wait for the rate limit" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if srv.count() != 2 {
		t.Fatalf("%d requests", srv.count())
	}
	// A fast rate lets a waiting call through.
	c2 := newClient(t, srv.URL+"/v1", vllm.WithRateLimit(50, 1))
	defer c2.Close()
	for i := 0; i < 3; i++ {
		if _, err := c2.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
	}
}
