package vllm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// loadSize returns the size of the load tests: 500 concurrent streams of
// 2000 events; -short shrinks it, with the same assertions.
func loadSize() (streams, events int) {
	// Under the race detector the full load takes minutes; a fifth of the
	// streams still runs them concurrently and checks every byte.
	if testing.Short() || raceEnabled {
		return 100, 200
	}
	return 500, 2000
}

// loadDeltas is the content of stream id: events distinct pieces, so that
// any loss, duplication, reordering or cross-talk between streams shows.
func loadDeltas(id string, events int) []string {
	d := make([]string, events)
	for i := range d {
		d[i] = id + "." + strconv.Itoa(i) + " "
	}
	return d
}

// loadServer starts a server that answers each stream with the deltas named
// by its prompt, "<id>/<events>", and a client of it. The goroutine-leak
// check is registered first, so it runs once both are closed.
func loadServer(t *testing.T) (*vllmtest.Server, *vllm.Client) {
	vllm.NoGoroutineLeaks(t)
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		id, n, _ := strings.Cut(r.Chat.Messages[0].Text(), "/")
		events, _ := strconv.Atoi(n)
		return &vllmtest.Reply{Deltas: loadDeltas(id, events)}
	}))
	t.Cleanup(srv.Close)
	c, err := vllm.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

// loadConcurrently runs stream(w) for every w below streams, all at once,
// and returns how many of them failed; the first five failures are reported
// with the stream id that stream returns.
func loadConcurrently(t *testing.T, streams int, stream func(w int) (id string, err error)) int64 {
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := range streams {
		wg.Go(func() {
			if id, err := stream(w); err != nil && failures.Add(1) <= 5 {
				t.Errorf("stream %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	return failures.Load()
}

func loadRequest(id string, events int) *vllm.ChatRequest {
	return &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User(id + "/" + strconv.Itoa(events))}}
}

// TestLoadConcurrentStreams: one client, many concurrent streams of many
// events against one server; every stream's content is exact and no stream
// fails. A first round of as many concurrent short streams opens the
// connections; the long round must reuse them: the server must have seen no
// more TCP connections than the concurrency, give or take a few: net/http
// may dial for a waiting request and keep that connection even when an idle
// one served the request first, while churn would show as a new connection
// for most of the second round's streams. (The short round comes first so
// that no connection sits idle long enough for the transport's idle timeout
// to close it, however slow the machine.)
func TestLoadConcurrentStreams(t *testing.T) {
	streams, events := loadSize()
	srv, c := loadServer(t)
	for round, n := range []int{20, events} {
		f := loadConcurrently(t, streams, func(w int) (string, error) {
			id := fmt.Sprintf("s%d-%d", w, round)
			return id, loadOne(c, id, n)
		})
		if f > 0 {
			t.Fatalf("round %d: %d of %d streams failed", round, f, streams)
		}
	}
	if n := srv.Connections(); n > streams+streams/20 {
		t.Fatalf("server saw %d TCP connections (%d still open) for %d concurrent streams: connections are churned",
			n, srv.OpenConnections(), streams)
	}
	if n := len(srv.Requests()); n != 2*streams {
		t.Fatalf("server saw %d requests, want %d", n, 2*streams)
	}
}

// loadOne runs one stream to the end and checks its content.
func loadOne(c *vllm.Client, id string, events int) error {
	s, err := c.Chat.Stream(context.Background(), loadRequest(id, events))
	if err != nil {
		return err
	}
	defer s.Close()
	got, err := collectText(s)
	if err != nil {
		return err
	}
	if want := strings.Join(loadDeltas(id, events), ""); got != want {
		return fmt.Errorf("content of %d bytes differs from the %d bytes sent", len(got), len(want))
	}
	return nil
}

// TestLoadWithCancellations: the same load with 10% of the streams cancelled
// at random points; the cancelled ones end with the cancellation, the others
// are unaffected, nothing leaks and the client still works.
func TestLoadWithCancellations(t *testing.T) {
	streams, events := loadSize()
	_, c := loadServer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	cancelAt := make([]int, streams) // 0: not cancelled; k: cancel after k events
	for _, i := range rng.Perm(streams)[:streams/10] {
		cancelAt[i] = 1 + rng.IntN(events)
	}
	var cancelled atomic.Int64
	failures := loadConcurrently(t, streams, func(w int) (string, error) {
		id := "c" + strconv.Itoa(w)
		if cancelAt[w] == 0 {
			return id, loadOne(c, id, events)
		}
		err := loadCancel(c, id, cancelAt[w], events)
		if err == nil {
			cancelled.Add(1)
		}
		return id, err
	})
	if failures > 0 {
		t.Fatalf("%d streams failed", failures)
	}
	if cancelled.Load() != int64(streams/10) {
		t.Fatalf("%d streams cancelled, want %d", cancelled.Load(), streams/10)
	}
	if err := loadOne(c, "after", events); err != nil {
		t.Fatalf("stream after the cancellations: %v", err)
	}
}

// loadCancel reads k events of a stream, cancels its context and checks that
// the stream ends with the cancellation and nothing else.
func loadCancel(c *vllm.Client, id string, k, events int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.Chat.Stream(ctx, loadRequest(id, events))
	if err != nil {
		return err
	}
	defer s.Close()
	n := 0
	var got strings.Builder
	for ev, err := range s.Events() {
		if err != nil {
			if n < k {
				return fmt.Errorf("failed after %d events, before the cancellation: %w", n, err)
			}
			if !errors.Is(err, context.Canceled) {
				return fmt.Errorf("cancelled stream ended with %v, want context.Canceled", err)
			}
			if want := strings.Join(loadDeltas(id, events), ""); !strings.HasPrefix(want, got.String()) {
				return fmt.Errorf("content before the cancellation is wrong")
			}
			return nil
		}
		if ev.Type == vllm.EventContent {
			got.WriteString(ev.Text)
		}
		n++
		if n == k {
			cancel()
		}
	}
	if n < k {
		return fmt.Errorf("stream ended after %d events without error", n)
	}
	// The cancellation came too late to matter (the last events were
	// already read): then the stream must be complete and exact.
	if want := strings.Join(loadDeltas(id, events), ""); got.String() != want {
		return fmt.Errorf("stream ended cleanly after the cancellation with wrong content")
	}
	return nil
}

// TestStreamReusesConnectionWhenEndArrivesLate: the final "data: [DONE]"
// and the end of the chunked body often arrive in separate TCP writes (vLLM's
// server sends them separately). A stream that stops reading at [DONE] and
// closes the body would throw the connection away; the client must drain the
// end of the body so that the connection is reused.
func TestStreamReusesConnectionWhenEndArrivesLate(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
			_, _ = io.WriteString(w, `data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}`+"\n\ndata: [DONE]\n\n")
			http.NewResponseController(w).Flush()
			time.Sleep(50 * time.Millisecond) // the end of the body comes later
		}))
		c := srv.Client(t)
		start := time.Now()
		for i := 0; i < 3; i++ {
			s, err := c.Chat.Stream(context.Background(), loadRequest("x", 1))
			if err != nil {
				t.Fatal(err)
			}
			got, err := collectText(s)
			s.Close()
			if err != nil || got != "hi" {
				t.Fatalf("stream %d: %q %v", i, got, err)
			}
		}
		if n := srv.Connections(); n != 1 {
			t.Fatalf("3 sequential streams used %d connections, want 1", n)
		}
		// Each stream waited for the end of its body.
		if d := time.Since(start); d != 3*50*time.Millisecond {
			t.Fatalf("3 streams took %v, want 150ms", d)
		}
	})
}
