package vllm

import (
	"context"
	"net/http"
	"strings"
)

// Raw sends body (JSON, or nil for none) to path with the given method and
// returns the response body as received. path is relative to the base URL,
// e.g. "/chat/completions" for http://host:8000/v1/chat/completions.
//
// Raw goes through the same request path as every typed method (headers, API
// key, timeout, and whatever the production layer adds), and fails the same
// way: an HTTP error status is an *APIError, a failure to reach the server a
// *TransportError. It is the escape hatch for routes or bodies the typed
// services do not cover, such as replaying the bodies of a batch file.
func (c *Client) Raw(ctx context.Context, method, path string, body []byte, opts ...Option) ([]byte, error) {
	return c.raw(ctx, method, path, false, body, opts)
}

// RawRoot is Raw with path relative to the server root rather than the base
// URL: "/health" or "/rerank" for http://host:8000/health or /rerank.
func (c *Client) RawRoot(ctx context.Context, method, path string, body []byte, opts ...Option) ([]byte, error) {
	return c.raw(ctx, method, path, true, body, opts)
}

func (c *Client) raw(ctx context.Context, method, path string, root bool, body []byte, opts []Option) ([]byte, error) {
	if method == "" {
		method = http.MethodPost
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n") {
		return nil, invalid("path", "must start with / and hold no spaces, got %q", path)
	}
	r := &apiRequest{method: method, path: path, root: root, op: method + " " + path, body: body, opts: opts}
	if body != nil {
		r.contentType = "application/json"
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _, err := c.responseBytes(resp, r)
	return data, err
}
