package vllm

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BreakerPolicy configures the circuit breaker each endpoint has (see
// WithCircuitBreaker). Zero fields take the defaults.
//
// A breaker starts closed: requests flow. After Failures consecutive failed
// attempts it opens: the endpoint gets no requests for CoolDown. Then it is
// half-open: up to HalfOpenRequests trial requests pass; a success closes the
// breaker again, a failure opens it for another CoolDown.
//
// Failures are what says an endpoint is unwell: connection failures,
// timeouts, and HTTP 500, 502, 503 and 504. Other answers (200, 400, 404,
// 429 …) count as successes — the endpoint is up and answering — and a call
// cancelled by its caller counts as nothing.
type BreakerPolicy struct {
	// Failures is the number of consecutive failures that opens the
	// breaker (default 5).
	Failures int
	// CoolDown is how long an open breaker refuses requests (default 10s).
	CoolDown time.Duration
	// HalfOpenRequests is the number of trial requests let through at once
	// when the cool-down has passed (default 1).
	HalfOpenRequests int
}

// Breaker defaults: defaultBreaker fills the zero fields of a
// WithCircuitBreaker policy; with several endpoints and no
// WithCircuitBreaker, the endpoints are ejected passively with
// defaultEjection. They are constants in effect: never assigned.
var (
	defaultBreaker  = BreakerPolicy{Failures: 5, CoolDown: 10 * time.Second, HalfOpenRequests: 1}
	defaultEjection = BreakerPolicy{Failures: 3, CoolDown: 5 * time.Second, HalfOpenRequests: 1}
)

// BreakerState is the state of an endpoint's circuit breaker.
type BreakerState int

// The states of a circuit breaker.
const (
	BreakerClosed BreakerState = iota
	BreakerOpen
	BreakerHalfOpen
)

// String names the state.
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "BreakerState(" + strconv.Itoa(int(s)) + ")"
}

// CircuitOpenError is a call refused because no endpoint could take it: the
// breakers of all endpoints were open (or their health checks failing).
type CircuitOpenError struct {
	// Endpoints are the base URLs refused, without credentials.
	Endpoints []string
	// RetryIn is the time until the first breaker lets a trial request
	// through; 0 when an endpoint is held down by its health check.
	RetryIn time.Duration
}

// Error names the endpoints and when a trial request will be allowed.
func (e *CircuitOpenError) Error() string {
	var b strings.Builder
	b.WriteString("vllm: circuit open: no endpoint available (")
	b.WriteString(strings.Join(e.Endpoints, ", "))
	b.WriteString(")")
	if e.RetryIn > 0 {
		b.WriteString("; next trial in ")
		b.WriteString(e.RetryIn.Round(time.Millisecond).String())
	}
	return b.String()
}

// outcome is what an attempt says about its endpoint's health.
type outcome int

const (
	outcomeNeutral outcome = iota
	outcomeSuccess
	outcomeFailure
)

// breakerOutcome classifies an attempt's error for the breaker.
func breakerOutcome(ctx context.Context, err error) outcome {
	if err == nil {
		return outcomeSuccess
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return outcomeFailure
		}
		return outcomeSuccess
	}
	if ctx.Err() != nil {
		return outcomeNeutral // the caller gave up, the endpoint said nothing
	}
	var te *TransportError
	if errors.As(err, &te) {
		return outcomeFailure
	}
	return outcomeNeutral
}

// breaker is one endpoint's circuit breaker; a nil policy never opens.
type breaker struct {
	policy   *BreakerPolicy
	mu       sync.Mutex
	state    BreakerState
	failures int
	until    time.Time // end of the open period
	trials   int       // trial requests in flight while half-open
}

// acquire reports whether a request may go to the endpoint now, and whether
// it is a half-open trial (its outcome must then be recorded).
func (b *breaker) acquire(now time.Time) (ok, trial bool) {
	if b.policy == nil {
		return true, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return true, false
	case BreakerOpen:
		if now.Before(b.until) {
			return false, false
		}
		b.state, b.trials = BreakerHalfOpen, 0
	}
	if b.trials >= b.policy.HalfOpenRequests {
		return false, false
	}
	b.trials++
	return true, true
}

// record updates the breaker with an attempt's outcome; it reports whether
// the breaker opened (the endpoint is ejected).
func (b *breaker) record(trial bool, o outcome, now time.Time) (opened bool) {
	if b.policy == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if trial && b.state == BreakerHalfOpen {
		if b.trials > 0 {
			b.trials--
		}
		switch o {
		case outcomeSuccess:
			b.state, b.failures = BreakerClosed, 0
		case outcomeFailure:
			b.state, b.until = BreakerOpen, now.Add(b.policy.CoolDown)
			return true
		}
		return false
	}
	if b.state != BreakerClosed {
		return false // a request sent before the breaker opened
	}
	switch o {
	case outcomeSuccess:
		b.failures = 0
	case outcomeFailure:
		b.failures++
		if b.failures >= b.policy.Failures {
			b.state, b.until = BreakerOpen, now.Add(b.policy.CoolDown)
			return true
		}
	}
	return false
}

// reset closes the breaker (an endpoint re-admitted by its health check).
func (b *breaker) reset() {
	b.mu.Lock()
	b.state, b.failures, b.trials = BreakerClosed, 0, 0
	b.mu.Unlock()
}

// status returns the state, and the time left while open.
func (b *breaker) status(now time.Time) (BreakerState, time.Duration) {
	if b.policy == nil {
		return BreakerClosed, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen {
		if left := b.until.Sub(now); left > 0 {
			return BreakerOpen, left
		}
		return BreakerHalfOpen, 0
	}
	return b.state, 0
}
