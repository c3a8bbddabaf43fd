package vllm

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/vllmgo/vllm/internal/sleep"
)

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
	if !sleep.For(ctx, d) {
		b.unreserve()
		return context.Cause(ctx)
	}
	return nil
}
