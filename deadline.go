package vllm

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The client's timeout of a non-streaming call is a deadline on the context
// the call is sent with. A deadline context of its own per call
// (context.WithTimeout) costs a timer started and stopped, a channel, and the
// transport's own context registered on it and removed again: about 5 % of
// the CPU time of a whole exchange with a local server, paid to catch the
// rare call that hangs. So when the call's context can never be canceled
// (context.Background, or values only), the calls that start within the same
// window of time share one deadline context instead: that of the window,
// whose deadline is the window's end plus the timeout. The window is
// 1/deadlineWindows of the timeout, so such a call is cut after at least the
// timeout and at most 1/deadlineWindows of it more. A call whose context can
// be canceled gets a deadline of its own (none when its context's deadline
// comes first); so does a call with a timeout of its own (WithTimeout given
// to the call).

// deadlineWindows is the number of windows a timeout is divided into.
const deadlineWindows = 256

// sharedDeadlines hands out the shared deadline contexts of one client.
type sharedDeadlines struct {
	timeout, window time.Duration
	cause           error
	cur             atomic.Pointer[deadlineWindow]
	mu              sync.Mutex // serializes opening windows
}

// deadlineWindow is the deadline context shared by the calls that start
// from start to before end.
type deadlineWindow struct {
	start, end time.Time
	ctx        context.Context
	// cancel is never called: the window's context ends at its deadline,
	// when its timer releases it.
	cancel context.CancelFunc
}

func newSharedDeadlines(timeout time.Duration, cause error) *sharedDeadlines {
	return &sharedDeadlines{timeout: timeout, window: max(timeout/deadlineWindows, 1), cause: cause}
}

// context returns the deadline context of a call starting at now.
func (d *sharedDeadlines) context(now time.Time) context.Context {
	if w := d.cur.Load(); w.holds(now) {
		return w.ctx
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if w := d.cur.Load(); w.holds(now) {
		return w.ctx
	}
	end := now.Add(d.window)
	ctx, cancel := context.WithDeadlineCause(context.Background(), end.Add(d.timeout), d.cause)
	d.cur.Store(&deadlineWindow{start: now, end: end, ctx: ctx, cancel: cancel})
	return ctx
}

// holds reports whether a call starting at now belongs to w. A clock that
// went back (a client used in a testing/synctest bubble after outside it,
// whose clock starts in 2000) gets a window of its own, with a timer of
// that clock. (Two bubbles start at the same instant and would share one;
// a client cannot serve two bubbles anyway: its transport's pooled
// connections belong to the first.)
func (w *deadlineWindow) holds(now time.Time) bool {
	return w != nil && now.Before(w.end) && !now.Before(w.start)
}

// withDeadline returns the context to send a non-streaming call with under
// timeout, and the function that releases it.
func (c *Client) withDeadline(ctx context.Context, timeout time.Duration, cause error, own bool) (context.Context, func()) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= timeout {
		return ctx, noRelease // the call's own deadline comes first
	}
	if !own && ctx.Done() == nil {
		w := c.cfg.wire.deadlines.context(time.Now())
		if ctx == context.Background() {
			return w, noRelease
		}
		return &deadlineValues{Context: w, values: ctx}, noRelease
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, cause)
	return ctx, cancel
}

// noRelease is the release of a context with nothing to release.
func noRelease() {}

// deadlineValues is a call context that can never be canceled, under the
// deadline of a window: the window's deadline and cancellation (and its
// cause), the call context's values.
type deadlineValues struct {
	context.Context // the window's
	values          context.Context
}

// Value returns the call context's value for key, or the window's: a
// context that can never be canceled has no cancellation state of its own
// to answer with, so the context package finds the window's.
func (c *deadlineValues) Value(key any) any {
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}
