package sleep

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !For(t.Context(), time.Second) || time.Since(start) != time.Second {
			t.Fatalf("For(1s) on a live context: returned after %v", time.Since(start))
		}

		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start = time.Now()
		if For(ctx, time.Second) || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("For(1s) on a context ending after 300ms: returned after %v", time.Since(start))
		}

		if For(ctx, 0) {
			t.Error("For(0) on an ended context reported true")
		}
		if !For(t.Context(), 0) || !For(t.Context(), -time.Second) {
			t.Error("For(0) or For(-1s) on a live context reported false")
		}
		if time.Since(start) != 300*time.Millisecond {
			t.Errorf("For(0) waited: %v", time.Since(start))
		}
	})
}

// A Timer reused after a wait that its context cut short waits the whole of
// the next duration: no value left by the stopped timer ends it early.
func TestTimerReusedAfterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w Timer
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if w.For(ctx, time.Second) || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("first wait, context ending after 300ms: returned after %v", time.Since(start))
		}
		// Go past the moment the cut-short wait's timer was due.
		time.Sleep(time.Second) // simulated
		for i := range 3 {
			start = time.Now()
			if !w.For(t.Context(), 700*time.Millisecond) || time.Since(start) != 700*time.Millisecond {
				t.Fatalf("wait %d after the cut-short one: returned after %v", i+1, time.Since(start))
			}
		}
	})
}

func TestTimerReuseDoesNotAllocate(t *testing.T) {
	var w Timer
	w.For(t.Context(), time.Nanosecond)
	if n := testing.AllocsPerRun(100, func() { w.For(t.Context(), time.Nanosecond) }); n != 0 {
		t.Errorf("a reused Timer's wait allocates %v times", n)
	}
}
