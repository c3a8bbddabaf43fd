package vllm

import (
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Balance chooses how calls are spread over several endpoints.
type Balance int

// The balancing strategies.
const (
	// RoundRobin sends each call to the next available endpoint in turn.
	RoundRobin Balance = iota
	// LeastOutstanding sends each call to the available endpoint with the
	// fewest calls in flight from this client (streams count until they
	// end), taking turns among equals. It suits LLM serving, where request
	// durations differ by orders of magnitude.
	LeastOutstanding
	// PrefixAffinity sends a call with a prompt (chat, completion,
	// Responses) to the endpoint this client already sent the longest
	// prefix of that prompt to, so that vLLM's prefix cache serves it
	// there: a conversation's turns, or an agent's steps, stay on one
	// replica. An endpoint with more than 1.25 times the mean number of
	// calls in flight is not chosen for its cache alone, so a prefix
	// shared by much of the traffic (one system prompt, one document)
	// still spreads. Calls without a prompt, and prompts nothing is known
	// of, go to the least loaded endpoint. WithAffinityKey routes a call by
	// a key of the caller's instead; WithAffinityIndex bounds the memory.
	// Ejecting an endpoint forgets what was known of its cache.
	PrefixAffinity
)

func checkURLs(option string, urls []string) error {
	for _, u := range urls {
		if _, err := parseBaseURL(u); err != nil {
			return invalid(option, "%q is not an absolute http(s) URL without query", redactURL(u))
		}
	}
	return nil
}

// endpoint is one replica (or fallback server) of a Client.
type endpoint struct {
	base, root *url.URL
	name       string // base URL without credentials
	// baseStr and rootStr are base and root as strings, rootName is root
	// without credentials: computed once, used on every request.
	baseStr, rootStr, rootName string
	fallback                   bool
	outstanding                atomic.Int64
	down                       atomic.Bool // failing its active health check
	// ejections counts the times the endpoint was ejected (its breaker
	// opened or its health check failed): PrefixAffinity forgets what it
	// knew of the endpoint's cache at each.
	ejections atomic.Uint64
	br        breaker
}

func newEndpoint(base *url.URL, fallback bool, policy *BreakerPolicy) *endpoint {
	root := *base
	root.Path = strings.TrimSuffix(base.Path, "/v1")
	root.RawPath = ""
	return &endpoint{
		base: base, root: &root, name: redactURL(base.String()),
		baseStr: base.String(), rootStr: root.String(), rootName: redactURL(root.String()),
		fallback: fallback, br: breaker{policy: policy},
	}
}

// url returns the absolute URL of r at this endpoint.
func (e *endpoint) url(r *apiRequest) string {
	if r.root {
		return e.rootStr + r.path
	}
	return e.baseStr + r.path
}

// redactedURL is url without credentials.
func (e *endpoint) redactedURL(r *apiRequest) string {
	if r.root {
		return e.rootName + r.path
	}
	return e.name + r.path
}

// path returns the URL path of r at this endpoint.
func (e *endpoint) path(r *apiRequest) string {
	if r.root {
		return e.root.Path + r.path
	}
	return e.base.Path + r.path
}

// buildEndpoints makes the endpoints: the base URL and WithEndpoints as
// primaries, WithFallback after them.
func (p *productionConfig) buildEndpoints(cfg *config) error {
	policy := p.breaker
	if policy == nil && len(p.extraURLs)+len(p.fallbackURLs) > 0 {
		d := defaultEjection
		policy = &d
	}
	p.endpoints = []*endpoint{newEndpoint(cfg.baseURL, false, policy)}
	for i, group := range [][]string{p.extraURLs, p.fallbackURLs} {
		for _, s := range group {
			u, err := parseBaseURL(s)
			if err != nil {
				return err
			}
			p.endpoints = append(p.endpoints, newEndpoint(u, i == 1, policy))
		}
	}
	p.primaries = 1 + len(p.extraURLs)
	return nil
}

// pick chooses the endpoint of the next attempt: an available primary not
// tried yet by this call, else a tried one, else the same among the
// fallbacks. trial reports a half-open breaker's trial request.
func (p *productionConfig) pick(tried []*endpoint, affinity []uint64) (ep *endpoint, trial bool, err error) {
	now := time.Now()
	var buf [8]*endpoint
	for _, group := range [][]*endpoint{p.endpoints[:p.primaries], p.endpoints[p.primaries:]} {
		if len(group) == 0 {
			continue
		}
		order := p.order(group, buf[:0])
		if len(affinity) > 0 {
			holders, _ := p.affinity.holders(affinity, p.endpoints)
			order = affinityOrder(order, p.endpoints, holders)
		}
		for pass := 0; pass < 2; pass++ {
			for _, e := range order {
				if e.down.Load() || isTried(tried, e) != (pass == 1) {
					continue
				}
				if ok, trial := e.br.acquire(now); ok {
					return e, trial, nil
				}
			}
		}
	}
	oe := &CircuitOpenError{}
	for _, e := range p.endpoints {
		oe.Endpoints = append(oe.Endpoints, e.name)
		if _, left := e.br.status(now); left > 0 && !e.down.Load() && (oe.RetryIn == 0 || left < oe.RetryIn) {
			oe.RetryIn = left
		}
	}
	return nil, false, oe
}

func isTried(tried []*endpoint, e *endpoint) bool {
	for _, t := range tried {
		if t == e {
			return true
		}
	}
	return false
}

// order returns group in the order to try: rotated by a shared counter, and
// for LeastOutstanding sorted (stably) by calls in flight.
func (p *productionConfig) order(group, buf []*endpoint) []*endpoint {
	n := len(group)
	if n == 1 {
		return append(buf, group[0])
	}
	start := int(p.rr.Add(1) % uint64(n))
	buf = append(buf, group[start:]...)
	buf = append(buf, group[:start]...)
	if p.balance == LeastOutstanding || p.balance == PrefixAffinity {
		for i := 1; i < n; i++ { // insertion sort: n is small, stability keeps the rotation
			for j := i; j > 0 && buf[j].outstanding.Load() < buf[j-1].outstanding.Load(); j-- {
				buf[j], buf[j-1] = buf[j-1], buf[j]
			}
		}
	}
	return buf
}

// EndpointStatus describes one endpoint of a Client (see Client.Endpoints).
type EndpointStatus struct {
	// URL is the base URL, without credentials.
	URL string
	// Fallback reports a fallback server (WithFallback).
	Fallback bool
	// State is the state of its circuit breaker (always BreakerClosed when
	// it has none).
	State BreakerState
	// Healthy is false while its active health check fails.
	Healthy bool
	// Outstanding is the number of this client's calls in flight to it.
	Outstanding int
}

// Endpoints reports the state of every endpoint of the client: the base URL
// first, then WithEndpoints, then WithFallback.
func (c *Client) Endpoints() []EndpointStatus {
	now := time.Now()
	out := make([]EndpointStatus, len(c.cfg.prod.endpoints))
	for i, e := range c.cfg.prod.endpoints {
		st, _ := e.br.status(now)
		out[i] = EndpointStatus{URL: e.name, Fallback: e.fallback, State: st, Healthy: !e.down.Load(), Outstanding: int(e.outstanding.Load())}
	}
	return out
}

// Close releases the client's resources: it stops the health checks (see
// WithHealthCheck) and waits for them to finish, and closes the idle
// connections of the client's own transport. Calls in flight are not
// interrupted. Close is idempotent; a closed client can still send calls.
func (c *Client) Close() error {
	if h := c.cfg.prod.health; h != nil {
		h.close()
	}
	if c.cfg.ownHTTP {
		c.cfg.http.CloseIdleConnections()
	}
	return nil
}
