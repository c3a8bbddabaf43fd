package vllm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vllmgo/vllm/internal/sleep"
)

// productionConfig holds the settings of the production layer (retries,
// limits, replicas, middleware, hooks, logging). It is the one place that
// wraps Client.attempt.
type productionConfig struct {
	// replicas
	extraURLs    []string
	fallbackURLs []string
	endpoints    []*endpoint // primaries first, then fallbacks
	primaries    int         // endpoints[:primaries] are the primaries
	balance      Balance
	affinity     *affinityIndex // PrefixAffinity's index; nil for the others
	affinitySize int            // WithAffinityIndex
	breaker      *BreakerPolicy
	rr           atomic.Uint64
	healthEvery  time.Duration
	health       *healthChecker

	retry      RetryPolicy
	maxFlight  int
	inflight   chan struct{}
	rate       *tokenBucket
	middleware []Middleware
	hooks      []Hooks
	logger     *slog.Logger
	logPolicy  LogPolicy
	newID      func() string
	newIDSet   bool

	chain RoundTrip
	// plain is set when nothing beyond a single attempt is configured.
	plain bool
}

// finish validates the production settings once all options are applied and
// prepares the endpoints, the middleware chain and the health checker.
func (p *productionConfig) finish(cfg *config) error {
	if !p.newIDSet {
		p.newID = newRequestID
	}
	if err := p.retry.normalize(); err != nil {
		return err
	}
	if err := p.buildEndpoints(cfg); err != nil {
		return err
	}
	if p.maxFlight > 0 {
		p.inflight = make(chan struct{}, p.maxFlight)
	}
	if p.balance == PrefixAffinity && len(p.endpoints) > 1 {
		p.affinity = newAffinityIndex(p.affinitySize, len(p.endpoints))
	}
	if p.logger != nil {
		p.hooks = append(p.hooks, logHooks(p.logger, p.logPolicy))
	}
	p.chain = baseRoundTrip
	for i := len(p.middleware) - 1; i >= 0; i-- {
		p.chain = p.middleware[i](p.chain)
	}
	p.plain = len(p.endpoints) == 1 && p.endpoints[0].br.policy == nil && p.retry.MaxAttempts <= 1 &&
		p.inflight == nil && p.rate == nil && len(p.middleware) == 0 && len(p.hooks) == 0 && p.healthEvery == 0
	if p.healthEvery > 0 {
		p.health = startHealthChecks(cfg, p.endpoints, p.healthEvery)
	}
	return nil
}

// newRequestID returns 32 random hex digits. They identify a call in logs;
// they need not be unpredictable.
func newRequestID() string {
	const digits = "0123456789abcdef"
	var b [32]byte
	u1, u2 := rand.Uint64(), rand.Uint64()
	for i := 0; i < 16; i++ {
		b[i], b[16+i] = digits[u1>>(4*i)&15], digits[u2>>(4*i)&15]
	}
	return string(b[:])
}

// requestID returns the call's X-Request-Id: the one set by the request or
// the client, or a new one (generated reports that it must be added).
func (p *productionConfig) requestID(c *Client, r *apiRequest) (id string, generated bool) {
	if id := r.rc.headers.Get(headerRequestID); id != "" {
		return id, false
	}
	if id := c.cfg.headers.Get(headerRequestID); id != "" {
		return id, false
	}
	if p.newID == nil {
		return "", false
	}
	id = p.newID()
	return id, id != ""
}

// do sends r through the production layer: request id, in-flight and rate
// limits, endpoint choice with circuit breakers, middleware and hooks around
// each attempt, and retries with backoff.
//
// A stream's response is returned as soon as its headers arrive, so retries
// happen only before that: a stream is never retried once it has begun, let
// alone after an event reached the caller.
func (p *productionConfig) do(ctx context.Context, c *Client, r *apiRequest) (*http.Response, error) {
	if err := r.resolve(); err != nil {
		return nil, err // before any hook, slot or rate limit
	}
	id, generated := p.requestID(c, r)
	if p.plain {
		if generated {
			r.requestID = id
		}
		return c.attempt(ctx, r)
	}
	cl := &call{p: p, ctx: ctx, info: CallInfo{
		Op: r.op, Method: r.method, Path: p.endpoints[0].path(r), Model: r.model,
		Endpoint: p.endpoints[0].name, Stream: r.stream, RequestID: id, Start: time.Now(),
	}}
	r.call = cl
	for _, h := range p.hooks {
		if h.OnCallStart != nil {
			if hc := h.OnCallStart(cl.ctx, &cl.info); hc != nil {
				cl.ctx = hc
			}
		}
	}
	ctx = cl.ctx

	if p.inflight != nil {
		select {
		case p.inflight <- struct{}{}:
			cl.slot = true
		case <-ctx.Done():
			return nil, cl.fail(waitError("wait for a request slot", c, r, context.Cause(ctx), nil))
		}
	}

	var triedBuf [4]*endpoint
	tried := triedBuf[:0]
	var lastErr error
	var affinity []uint64 // the call's prefix keys under PrefixAffinity
	if p.affinity != nil {
		affinity = affinityKeys(r)
	}
	for attempt := 1; ; attempt++ {
		cl.attempts = attempt
		if p.rate != nil {
			if err := p.rate.wait(ctx); err != nil {
				return nil, cl.fail(waitError("wait for the rate limit", c, r, err, nil))
			}
		}
		ep, trial, err := p.pick(tried, affinity)
		if err != nil {
			if lastErr != nil {
				// The breakers opened on this call's own failures: the
				// last of them says more than "circuit open".
				err = lastErr
			}
			return nil, cl.fail(err)
		}
		info := &RequestInfo{
			Call: &cl.info, Attempt: attempt, Endpoint: ep.name, URL: ep.redactedURL(r),
			Header: make(http.Header, 1), Body: r.body, c: c, r: r, ep: ep,
		}
		if r.newBody != nil {
			info.Body = nil
		}
		if generated {
			info.Header.Set(headerRequestID, id)
		}
		for _, h := range p.hooks {
			if h.OnRequest != nil {
				h.OnRequest(ctx, info)
			}
		}
		ep.outstanding.Add(1)
		t0 := time.Now()
		resp, err := p.chain(ctx, info)
		if err == nil && resp == nil {
			err = errors.New("vllm: middleware returned neither a response nor an error")
		}
		if ep.br.record(trial, breakerOutcome(ctx, err), time.Now()) {
			ep.ejections.Add(1)
		}
		cl.status, cl.ep = statusOf(resp, err), ep
		for _, h := range p.hooks {
			if h.OnResponse != nil {
				h.OnResponse(ctx, info, AttemptResult{StatusCode: cl.status, Err: err, Duration: time.Since(t0)})
			}
		}
		if err == nil {
			r.ep = ep
			if affinity != nil {
				p.affinity.record(affinity, endpointIndex(p.endpoints, ep))
			}
			resp.Body = &callBody{ReadCloser: resp.Body, cl: cl, capture: len(p.hooks) > 0 && !r.stream && !r.passthrough}
			return resp, nil
		}
		ep.outstanding.Add(-1)
		cl.ep = nil // nothing outstanding left on it
		cl.lastEp = ep
		lastErr = err

		if attempt >= p.retry.MaxAttempts || r.once || ctx.Err() != nil || !p.retry.retryable(err) {
			return nil, cl.fail(err)
		}
		wait, ok := p.retry.delay(attempt, err, time.Now())
		if !ok {
			return nil, cl.fail(err)
		}
		if p.retry.MaxElapsed > 0 && time.Since(cl.info.Start)+wait > p.retry.MaxElapsed {
			return nil, cl.fail(err)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return nil, cl.fail(err) // the deadline would pass while waiting
		}
		for _, h := range p.hooks {
			if h.OnRetry != nil {
				h.OnRetry(ctx, info, err, wait)
			}
		}
		if wait > 0 && !sleep.For(ctx, wait) {
			return nil, cl.fail(waitError("wait to retry", c, r, context.Cause(ctx), err))
		}
		tried = append(tried, ep)
	}
}

// baseRoundTrip is the innermost step of the middleware chain: one attempt
// to the endpoint chosen for it.
func baseRoundTrip(ctx context.Context, info *RequestInfo) (*http.Response, error) {
	if info == nil || info.c == nil {
		return nil, errors.New("vllm: RoundTrip called with a RequestInfo not made by the library")
	}
	ar := *info.r
	ar.ep = info.ep
	ar.attemptHeader = info.Header
	return info.c.attempt(ctx, &ar)
}

// waitError is the error of a call whose context ended while it waited (for
// a slot, the rate limit or a retry); last is the error of the previous
// attempt, kept in the message.
func waitError(op string, c *Client, r *apiRequest, cause, last error) error {
	if cause == nil {
		cause = context.Canceled
	}
	if last != nil {
		cause = &abandonedError{cause: cause, last: last}
	}
	return &TransportError{Op: op, Method: r.method, URL: redactURL(c.url(r)), Err: cause}
}

// abandonedError is a retry given up because the context ended; it unwraps
// to the context's error only, so that IsRetryable and errors.Is see the
// cancellation, and names the last attempt's error in its message.
type abandonedError struct{ cause, last error }

func (e *abandonedError) Error() string {
	return e.cause.Error() + " (after: " + e.last.Error() + ")"
}
func (e *abandonedError) Unwrap() error { return e.cause }

// call is the production layer's record of one call: resources to release
// and what hooks are told when it ends.
type call struct {
	p    *productionConfig
	ctx  context.Context
	info CallInfo
	slot bool
	ep   *endpoint // endpoint with an outstanding request of this call
	// lastEp is the endpoint of the last failed attempt.
	lastEp   *endpoint
	attempts int
	status   int

	released sync.Once
	ended    sync.Once
	probed   atomic.Bool

	// mu guards the stream progress and readErr: a stream may be closed
	// (ending the call) from another goroutine than the one reading it.
	mu             sync.Mutex
	events, tokens int
	firstToken     time.Duration
	lastToken      time.Time

	// response body capture (non-streaming calls with hooks)
	body     []byte
	overflow bool
	readErr  error
}

// release gives back the in-flight slot and the endpoint's outstanding count.
func (cl *call) release() {
	cl.released.Do(func() {
		if cl.slot {
			<-cl.p.inflight
		}
		if cl.ep != nil {
			cl.ep.outstanding.Add(-1)
		}
	})
}

// fail ends a call that got no response and returns err.
func (cl *call) fail(err error) error {
	cl.release()
	cl.report(&CallResult{Err: err})
	return err
}

// report tells the hooks that the call ended, once.
func (cl *call) report(res *CallResult) {
	cl.ended.Do(func() {
		if len(cl.p.hooks) == 0 {
			return
		}
		res.Attempts = cl.attempts
		res.StatusCode = cl.status
		if cl.lastEp != nil {
			res.Endpoint = cl.lastEp.name
		}
		if cl.ep != nil {
			res.Endpoint = cl.ep.name
		}
		res.Duration = time.Since(cl.info.Start)
		cl.mu.Lock()
		res.Events, res.TokenEvents, res.TimeToFirstToken = cl.events, cl.tokens, cl.firstToken
		cl.mu.Unlock()
		for _, h := range cl.p.hooks {
			if h.OnCallEnd != nil {
				h.OnCallEnd(cl.ctx, &cl.info, res)
			}
		}
	})
}

// maxCapture bounds the response body kept for hooks (usage, debug logs).
const maxCapture = 1 << 20

// callBody is the body of a response returned by do: it keeps a copy of a
// JSON body for hooks, and ends the call when closed.
type callBody struct {
	io.ReadCloser
	cl      *call
	capture bool
}

func (b *callBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	cl := b.cl
	if b.capture && n > 0 && !cl.overflow {
		if len(cl.body)+n > maxCapture {
			cl.overflow, cl.body = true, nil
		} else {
			cl.body = append(cl.body, p[:n]...)
		}
	}
	if err != nil && err != io.EOF {
		cl.mu.Lock()
		if cl.readErr == nil {
			cl.readErr = err
		}
		cl.mu.Unlock()
	}
	return n, err
}

// captured keeps data, a body the attempt read whole, for the hooks.
func (b *callBody) captured(data []byte) {
	if !b.capture || b.cl.overflow {
		return
	}
	if len(b.cl.body)+len(data) > maxCapture {
		b.cl.overflow, b.cl.body = true, nil
		return
	}
	b.cl.body = append(b.cl.body, data...)
}

func (b *callBody) Close() error {
	err := b.ReadCloser.Close()
	cl := b.cl
	cl.release()
	if !cl.probed.Load() && len(cl.p.hooks) > 0 {
		cl.mu.Lock()
		res := &CallResult{Err: cl.readErr}
		cl.mu.Unlock()
		if b.capture && !cl.overflow {
			res.Body = cl.body
			summarize(cl.body, res)
		}
		cl.report(res)
	}
	return err
}

// failed records err as the call's error for the hooks, unless a read error
// came first; cl may be nil (nobody observes calls).
func (cl *call) failed(err error) {
	if cl == nil {
		return
	}
	cl.mu.Lock()
	if cl.readErr == nil {
		cl.readErr = err
	}
	cl.mu.Unlock()
}

// summarize reads usage, id, model and finish reasons from a JSON response:
// the chat, completion and embedding shapes, and the Responses API's (whose
// usage counts input_tokens and output_tokens).
func summarize(body []byte, res *CallResult) {
	var s struct {
		ID      string          `json:"id"`
		Model   string          `json:"model"`
		Object  string          `json:"object"`
		Usage   json.RawMessage `json:"usage"`
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &s) != nil {
		return
	}
	res.ResponseID, res.ResponseModel = s.ID, s.Model
	if len(s.Usage) > 0 && string(s.Usage) != "null" {
		if s.Object == "response" {
			var u ResponseUsage
			if json.Unmarshal(s.Usage, &u) == nil {
				res.Usage = u.chatUsage()
			}
		} else {
			var u Usage
			if json.Unmarshal(s.Usage, &u) == nil {
				res.Usage = &u
			}
		}
	}
	for _, c := range s.Choices {
		if c.FinishReason != "" {
			res.FinishReasons = append(res.FinishReasons, c.FinishReason)
		}
	}
}

// streamProbe is what a stream reports to the production layer (logging,
// metrics, tracing): each event handed to the caller and the stream's end.
// Streams call startStream once their response has arrived; a nil probe
// means nobody listens.
type streamProbe interface {
	// event is called for each event handed to the caller; token reports
	// whether it carried generated text (content, reasoning or tool-call
	// arguments), for time-to-first-token and inter-token latency; model is
	// the model the stream's chunks have named so far.
	event(token bool, model string)
	// end is called exactly once when the stream ends, with what the stream
	// read: the final usage when the server sent it, the response id, model
	// and finish reasons, and the error (nil after "data: [DONE]").
	end(res *CallResult)
}

// startStream returns the probe for a stream that has started, or nil when
// no hook observes calls.
func (p *productionConfig) startStream(ctx context.Context, r *apiRequest) streamProbe {
	if r == nil || r.call == nil || len(p.hooks) == 0 {
		return nil
	}
	r.call.probed.Store(true)
	return r.call
}

// event implements streamProbe.
func (cl *call) event(token bool, model string) {
	now := time.Now()
	cl.mu.Lock()
	cl.events++
	ev := StreamProgress{Token: token, Events: cl.events, Elapsed: now.Sub(cl.info.Start), Model: model}
	if token {
		cl.tokens++
		if cl.tokens == 1 {
			cl.firstToken = ev.Elapsed
		} else {
			ev.Gap = now.Sub(cl.lastToken)
		}
		cl.lastToken = now
	}
	ev.Tokens = cl.tokens
	cl.mu.Unlock()
	for _, h := range cl.p.hooks {
		if h.OnStreamEvent != nil {
			h.OnStreamEvent(cl.ctx, &cl.info, ev)
		}
	}
}

// end implements streamProbe.
func (cl *call) end(res *CallResult) {
	cl.release()
	cl.report(res)
}
