package vllm

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// RoundTripper returns an http.RoundTripper that sends each request through
// the client's production layer as if it were one of the client's own calls:
// to the endpoint the client's balance chooses among WithEndpoints (under
// PrefixAffinity by the prefix of the request body, as for Chat.Create),
// with the circuit breakers, ejection, health checks, in-flight and rate
// limits, retries, middleware, hooks and headers the client is configured
// with.
//
// It is the one way to put the client's balancer under code that speaks
// HTTP itself — a load generator sending prepared bodies and timing the
// stream's first byte, a proxy — which is why it exists beside Raw: Raw and
// RawRoot read the response whole and return only its body, and nothing else
// hands out the choice of endpoint.
//
// Only the request's method, path, query, headers and body are used. The
// path is taken relative to the client's base URL when it starts with the
// base URL's path (http://any/v1/chat/completions with a base URL ending in
// /v1 goes to /chat/completions under the chosen endpoint's base URL), else
// relative to the chosen endpoint's server root; scheme and host are
// ignored. The request's headers are sent over the client's own (WithHeader,
// the API key). The body is read whole before the first attempt, so that it
// can be routed by and sent again.
//
// The response is returned as soon as its headers arrive, its body unread;
// the client's timeout covers only that wait, the request's context the
// rest. The endpoint counts the request in flight (for LeastOutstanding,
// PrefixAffinity and WithMaxInFlight) until the body is read to EOF or
// closed. resp.Request is the request with the URL it was sent to, without
// credentials: it tells which endpoint served it. An error status (400 and
// above), once the client's retry policy gave up on it, is returned as a
// response with that status, the Retry-After and X-Request-Id headers and
// at most 64 KiB of the body. An error is returned only when no response was
// had: a *TransportError, *CircuitOpenError or the context's error.
func (c *Client) RoundTripper() http.RoundTripper { return balancedTransport{c} }

type balancedTransport struct{ c *Client }

func (t balancedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("vllm: read the request body: %w", err)
		}
		body = b
	}
	c := t.c
	path, root := c.relativePath(req.URL)
	r := &apiRequest{
		method: req.Method, path: path, root: root, op: req.Method + " " + path, body: body,
		contentType: req.Header.Get("Content-Type"), passthrough: true,
		rc: requestConfig{headers: req.Header}, resolved: true,
	}
	if err := r.checkHeaders(); err != nil {
		return nil, err
	}
	resp, err := c.send(req.Context(), r)
	var ae *APIError
	if err != nil && !errors.As(err, &ae) {
		return nil, err
	}
	sent := req.WithContext(req.Context())
	if ep := c.endpointOf(r); ep != nil {
		if u, perr := url.Parse(redactURL(ep.url(r))); perr == nil {
			sent.URL = u
		}
	}
	if ae != nil {
		h := http.Header{"Content-Type": {"application/json"}}
		if ae.RetryAfter != "" {
			h.Set("Retry-After", ae.RetryAfter)
		}
		if ae.RequestID != "" {
			h.Set(headerRequestID, ae.RequestID)
		}
		return &http.Response{
			Status: strconv.Itoa(ae.StatusCode) + " " + http.StatusText(ae.StatusCode), StatusCode: ae.StatusCode,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, ContentLength: int64(len(ae.Body)),
			Body: io.NopCloser(strings.NewReader(string(ae.Body))), Request: sent,
		}, nil
	}
	resp.Request = sent
	resp.Body = &closeAtEOF{rc: resp.Body}
	return resp, nil
}

// checkHeaders rejects headers net/http would refuse, as the caller's
// mistake.
func (r *apiRequest) checkHeaders() error {
	for name, vs := range r.rc.headers {
		if err := checkHeader("request header", name, vs...); err != nil {
			return err
		}
	}
	return nil
}

// relativePath returns the path and query of u relative to the client's
// base URL, when u's path starts with the base URL's path, else relative to
// the server root (root true).
func (c *Client) relativePath(u *url.URL) (path string, root bool) {
	path, root = u.EscapedPath(), true
	if bp := c.cfg.baseURL.Path; bp != "" && (path == bp || strings.HasPrefix(path, bp+"/")) {
		path, root = path[len(bp):], false
	}
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return path, root
}

// endpointOf returns the endpoint r was last sent to: the one that answered,
// else the one of the last failed attempt, else (without a production
// layer) the base URL's.
func (c *Client) endpointOf(r *apiRequest) *endpoint {
	switch {
	case r.ep != nil:
		return r.ep
	case r.call != nil:
		return r.call.lastEp
	case c.cfg.prod.plain:
		return c.cfg.prod.endpoints[0]
	}
	return nil
}

// closeAtEOF closes the response body, releasing the endpoint's in-flight
// count, as soon as it is read to EOF, not only when the caller closes it.
type closeAtEOF struct {
	rc   io.ReadCloser
	once sync.Once
	err  error
	eof  bool
}

func (b *closeAtEOF) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
		b.close()
	}
	return n, err
}

func (b *closeAtEOF) close() { b.once.Do(func() { b.err = b.rc.Close() }) }

func (b *closeAtEOF) Close() error {
	b.close()
	return b.err
}
