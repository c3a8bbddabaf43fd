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
