package vllm

import (
	"context"
	"math"
	"sync"
	"time"
)

// WithMaxInFlight limits the calls of the Client in flight at once to n. A
// call holds its place from its start, across its retries, until its
// response body is closed (for a stream: until the stream ends or is
// closed). A call that finds no place waits, as long as its context allows;
// if the context ends first, the call fails with a *TransportError (Op "wait
// for a request slot") matching the context's error. Zero means no limit.
func WithMaxInFlight(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("WithMaxInFlight", "must not be negative, got %d", n)
		}
		c.prod.maxFlight = n
		return nil
	}
}

// WithRateLimit limits the requests the Client sends to perSecond on average,
// with bursts of up to burst requests (at least 1). Every attempt counts,
// retries included. A request over the limit waits for its turn as long as its
// context allows; if the context ends first, the call fails with a
// *TransportError (Op "wait for the rate limit") matching the context's error.
// A perSecond of zero removes the limit.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) error {
		if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
			return invalid("WithRateLimit", "rate must be a non-negative number, got %v", perSecond)
		}
		if burst < 1 {
			burst = 1
		}
		if perSecond == 0 {
			c.prod.rate = nil
			return nil
		}
		c.prod.rate = &tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now()}
		return nil
	}
}

// tokenBucket is a token-bucket rate limiter: tokens accrue at rate per
// second up to burst; each request takes one, and a request finding none
// reserves the next one and waits for it.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// reserve takes a token and returns how long to wait until it is due.
func (b *tokenBucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// unreserve gives back a token reserved by a request that will not be sent.
func (b *tokenBucket) unreserve() {
	b.mu.Lock()
	b.tokens = math.Min(b.burst, b.tokens+1)
	b.mu.Unlock()
}

// wait blocks until a token is due, or returns the context's cause.
func (b *tokenBucket) wait(ctx context.Context) error {
	d := b.reserve(time.Now())
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.unreserve()
		return context.Cause(ctx)
	}
}
