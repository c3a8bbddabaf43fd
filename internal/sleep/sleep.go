// Package sleep waits for a duration unless a context ends first: the wait
// before a retry, for a rate limiter's token, between the turns of a
// benchmark conversation, between the tokens of a paced test stream.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx is done, and reports whether the whole of d
// passed. With d zero or less it returns at once, reporting whether ctx is
// still live.
func For(ctx context.Context, d time.Duration) bool {
	var t Timer
	return t.For(ctx, d)
}

// Timer waits as For does, with one timer reused from wait to wait, so that
// a loop that waits at every step (a paced stream, one wait per token) does
// not allocate a timer each time. The zero Timer is ready to use; a Timer
// must not be used by two goroutines at once.
type Timer struct {
	t *time.Timer
}

// For waits d, or until ctx is done, and reports whether the whole of d
// passed. With d zero or less it returns at once, reporting whether ctx is
// still live.
func (w *Timer) For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	if w.t == nil {
		w.t = time.NewTimer(d)
	} else {
		// Since Go 1.23 Reset discards a value the stopped timer may
		// have left, so the wait below is never cut short by one.
		w.t.Reset(d)
	}
	select {
	case <-w.t.C:
		return true
	case <-ctx.Done():
		w.t.Stop()
		return false
	}
}
