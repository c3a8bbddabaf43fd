// Package sleep waits for a duration unless a context ends first: the wait
// before a retry, for a rate limiter's token, between the turns of a
// benchmark conversation.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx is done, and reports whether the whole of d
// passed. With d zero or less it returns at once, reporting whether ctx is
// still live.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
