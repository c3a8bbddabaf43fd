package batch_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/batch"
	"github.com/vllmgo/vllm/vllmtest"
)

// parallelBubble runs test in parallel with the other tests, inside a
// testing/synctest bubble. Every test of this package runs in one: time is
// simulated, and the bubble is also the package's goroutine-leak check, since
// synctest.Test fails when a goroutine started in the bubble is still blocked
// once test returns.
func parallelBubble(t *testing.T, test func(t *testing.T)) {
	t.Parallel()
	synctest.Test(t, test)
}

func TestRunOrderErrorsAndProgress(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		inputs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		var progress []batch.Progress
		start := time.Now()
		results := batch.Run(context.Background(), inputs, func(ctx context.Context, i int) (string, error) {
			time.Sleep(time.Duration(10-i) * time.Millisecond) // later items finish first
			if i%3 == 0 {
				return "", fmt.Errorf("item %d failed", i)
			}
			return "v" + strconv.Itoa(i), nil
		}, &batch.Options{Concurrency: 4, OnProgress: func(p batch.Progress) { progress = append(progress, p) }})
		if len(results) != 10 {
			t.Fatalf("%d results", len(results))
		}
		for i, r := range results {
			if r.Index != i {
				t.Fatalf("result %d has index %d", i, r.Index)
			}
			if i%3 == 0 {
				if r.Err == nil || r.Err.Error() != fmt.Sprintf("item %d failed", i) || errors.Is(r.Err, batch.ErrStopped) {
					t.Fatalf("item %d: %v", i, r.Err)
				}
			} else if r.Err != nil || r.Value != "v"+strconv.Itoa(i) {
				t.Fatalf("item %d: %q %v", i, r.Value, r.Err)
			}
		}
		if len(progress) != 10 {
			t.Fatalf("%d progress calls", len(progress))
		}
		seen := map[int]bool{}
		for k, p := range progress {
			seen[p.Index] = true
			if p.Done != k+1 || p.Total != 10 || (p.Err != nil) != (p.Index%3 == 0) {
				t.Fatalf("progress %d: %+v", k, p)
			}
		}
		if last := progress[9]; last.Failed != 4 || len(seen) != 10 {
			t.Fatalf("last progress %+v, %d items seen", last, len(seen))
		}
		// Four at a time, each started as soon as a slot frees: items 0-3
		// end at 10, 9, 8 and 7ms; 4-7 start at 7, 8, 9 and 10ms and all end
		// at 13ms; 8 and 9 then take 2ms and 1ms.
		if time.Since(start) != 15*time.Millisecond {
			t.Fatalf("the batch took %v, want 15ms", time.Since(start))
		}
	})
}

func TestStreamCompletionOrder(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
		var order []int
		close(gates[2])
		for r := range batch.Stream(context.Background(), []int{0, 1, 2}, func(ctx context.Context, i int) (int, error) {
			<-gates[i]
			return i * 10, nil
		}, &batch.Options{Concurrency: 3}) {
			order = append(order, r.Index)
			if r.Value != r.Index*10 || r.Err != nil {
				t.Fatalf("result %+v", r)
			}
			if r.Index > 0 {
				close(gates[r.Index-1]) // release the next item only now
			}
		}
		if fmt.Sprint(order) != "[2 1 0]" {
			t.Fatalf("order %v", order)
		}
	})
}

func TestRunConcurrencyBound(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var cur, peak atomic.Int32
		inputs := make([]int, 12)
		start := time.Now()
		batch.Run(context.Background(), inputs, func(ctx context.Context, _ int) (int, error) {
			v := cur.Add(1)
			for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			cur.Add(-1)
			return 0, nil
		}, &batch.Options{Concurrency: 3})
		// Exactly 3 at a time: 4 rounds of 5ms.
		if p := peak.Load(); p != 3 || time.Since(start) != 20*time.Millisecond {
			t.Fatalf("peak concurrency %d, limit 3; took %v, want 20ms", p, time.Since(start))
		}
		// Empty input: nothing runs, no result.
		if r := batch.Run(context.Background(), []int(nil), func(context.Context, int) (int, error) { panic("ran") }, nil); len(r) != 0 {
			t.Fatal(r)
		}
	})
}

func TestRunStopOnError(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		boom := errors.New("boom")
		var ran atomic.Int32
		results := batch.Run(context.Background(), []int{0, 1, 2, 3, 4}, func(ctx context.Context, i int) (int, error) {
			ran.Add(1)
			if i == 1 {
				return 0, boom
			}
			return i, nil
		}, &batch.Options{Concurrency: 1, StopOnError: true})
		if ran.Load() != 2 || results[0].Err != nil || !errors.Is(results[1].Err, boom) {
			t.Fatalf("ran %d, results %+v", ran.Load(), results)
		}
		for _, r := range results[2:] {
			if !errors.Is(r.Err, batch.ErrStopped) || errors.Is(r.Err, boom) || !strings.Contains(r.Err.Error(), "item 1 failed: boom") {
				t.Fatalf("item %d: %v", r.Index, r.Err)
			}
		}
	})
}

// TestRunCancelOnVLLMTest cancels a batch of slow requests: running ones
// end with the cancellation, the rest never start, no goroutine is left, and
// the client still works.
func TestRunCancelOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"))
		defer srv.Close()
		c, err := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		srv.FailNext(4, vllmtest.Fault{Kind: vllmtest.FaultNone, HeaderDelay: 5 * time.Second})
		reqs := make([]*vllm.ChatRequest, 10)
		for i := range reqs {
			reqs[i] = &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}}
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, func() {
			if n := len(srv.Requests()); n != 4 {
				t.Errorf("%d requests at the server after 1s, want 4", n)
			}
			cancel()
		})
		start := time.Now()
		results := batch.Run(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
			return c.Chat.Create(ctx, r)
		}, &batch.Options{Concurrency: 4})
		if d := time.Since(start); d != time.Second {
			t.Fatalf("the batch ended %v after the start, want 1s (the cancellation)", d)
		}
		var cancelled, skipped int
		for _, r := range results {
			switch {
			case errors.Is(r.Err, batch.ErrStopped) && errors.Is(r.Err, context.Canceled):
				skipped++
			case errors.Is(r.Err, context.Canceled):
				cancelled++
			default:
				t.Fatalf("item %d: %v", r.Index, r.Err)
			}
		}
		if cancelled != 4 || skipped != 6 || len(srv.Requests()) != 4 {
			t.Fatalf("cancelled %d, skipped %d, requests %d", cancelled, skipped, len(srv.Requests()))
		}
		if _, err := c.Chat.Create(context.Background(), reqs[0]); err != nil {
			t.Fatalf("client after cancelled batch: %v", err)
		}
	})
}

func TestStreamBreak(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var started, finished atomic.Int32
		n := 0
		for r := range batch.Stream(context.Background(), make([]int, 20), func(ctx context.Context, _ int) (int, error) {
			started.Add(1)
			defer finished.Add(1)
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(time.Millisecond):
				return 1, nil
			}
		}, &batch.Options{Concurrency: 2}) {
			n++
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			break
		}
		// The loop's exit waited for every running item.
		if n != 1 || started.Load() != finished.Load() || started.Load() >= 20 {
			t.Fatalf("yielded %d, started %d, finished %d", n, started.Load(), finished.Load())
		}
	})
}
