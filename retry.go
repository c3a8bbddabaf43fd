package vllm

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says when and how a failed call is sent again. Retries are off
// by default (one attempt); WithRetry turns them on.
//
// A failed attempt is retried when Retryable(err) says so (by default
// IsRetryable: timeouts, connection failures, HTTP 408, 429, 500, 502, 503,
// 504), after a wait drawn uniformly between 0 and
// min(MaxDelay, BaseDelay·2^(n-1)) for the n-th retry ("full jitter"). A 429 or
// 503 response carrying Retry-After (seconds or an HTTP date) waits at least
// that long; when Retry-After exceeds MaxDelay the call gives up at once and
// returns that response's error. The context always wins: a retry whose wait
// would end after the context's deadline is not made, and a cancellation
// during the wait ends the call with a *TransportError that matches the
// context's error.
//
// Every attempt sends exactly the same request body (and the same
// X-Request-Id), goes through the middleware and hooks, and, when the client
// has several endpoints, goes to another endpoint than the attempts before it
// when one is available. Each attempt has the full request timeout
// (WithTimeout). A stream is retried only while its response has not begun:
// once the headers have arrived the stream belongs to the caller, so an event
// can never be delivered twice.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts including the first; 0 or 1
	// disables retries.
	MaxAttempts int
	// BaseDelay is the ceiling of the first wait (default 200ms).
	BaseDelay time.Duration
	// MaxDelay caps each wait (default 10s).
	MaxDelay time.Duration
	// MaxElapsed caps the whole call: no retry starts once the time since
	// the call began plus the wait would exceed it. Zero means no cap other
	// than the context's.
	MaxElapsed time.Duration
	// Retryable decides which errors are retried; nil means IsRetryable.
	Retryable func(error) bool
}

// Default retry timing (RetryPolicy.BaseDelay and MaxDelay).
const (
	defaultRetryBaseDelay = 200 * time.Millisecond
	defaultRetryMaxDelay  = 10 * time.Second
)

// normalize fills the defaults.
func (rp *RetryPolicy) normalize() error {
	if rp.MaxAttempts < 1 {
		rp.MaxAttempts = 1
	}
	if rp.BaseDelay == 0 {
		rp.BaseDelay = defaultRetryBaseDelay
	}
	if rp.MaxDelay == 0 {
		rp.MaxDelay = defaultRetryMaxDelay
	}
	if rp.BaseDelay > rp.MaxDelay {
		rp.BaseDelay = rp.MaxDelay
	}
	return nil
}

func (rp *RetryPolicy) retryable(err error) bool {
	if rp.Retryable != nil {
		return rp.Retryable(err)
	}
	return IsRetryable(err)
}

// backoff returns the full-jitter wait before retry number n (from 1).
func (rp *RetryPolicy) backoff(n int) time.Duration {
	ceil := rp.MaxDelay
	if n <= 30 {
		if d := rp.BaseDelay << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// delay returns the wait before retrying after attempt n failed with err,
// and false when the server asked for a longer wait than MaxDelay.
func (rp *RetryPolicy) delay(n int, err error, now time.Time) (time.Duration, bool) {
	d := rp.backoff(n)
	if ra, ok := retryAfter(err, now); ok {
		if ra > rp.MaxDelay {
			return 0, false
		}
		d = max(d, ra)
	}
	return d, true
}

// retryAfter reads the Retry-After of a 429 or 503 *APIError: a number of
// seconds or an HTTP date.
func retryAfter(err error, now time.Time) (time.Duration, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter == "" ||
		(ae.StatusCode != http.StatusTooManyRequests && ae.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	return parseRetryAfter(ae.RetryAfter, now)
}

// maxRetryAfter bounds a parsed Retry-After.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter parses a Retry-After value: delay-seconds or an HTTP date
// (a date in the past means no wait).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}
