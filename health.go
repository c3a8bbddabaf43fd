package vllm

import (
	"context"
)

// Health checks that the server and its engine are alive (GET /health). It
// returns nil on 200; an engine that died answers 503, returned as an
// *APIError. /health is not protected by the server's API key.
func (c *Client) Health(ctx context.Context, opts ...RequestOption) error {
	return c.callJSON(ctx, get("/health", "health", true), "", nil, nil, nil, opts)
}

// Ping is the SageMaker-style liveness check (GET /ping), equivalent to
// Health on vLLM.
func (c *Client) Ping(ctx context.Context, opts ...RequestOption) error {
	return c.callJSON(ctx, get("/ping", "ping", true), "", nil, nil, nil, opts)
}

// ServerVersion returns the vLLM version the server runs (GET /version),
// e.g. "0.11.0".
func (c *Client) ServerVersion(ctx context.Context, opts ...RequestOption) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := c.callJSON(ctx, get("/version", "version", true), "", nil, nil, &v, opts); err != nil {
		return "", err
	}
	if v.Version == "" {
		return "", &DecodeError{What: "version response", Offset: -1, Err: ErrNoContent}
	}
	return v.Version, nil
}

// ServerLoad returns the number of requests the server is working on (GET
// /load), which vLLM tracks when started with --enable-server-load-tracking.
func (c *Client) ServerLoad(ctx context.Context, opts ...RequestOption) (int, error) {
	var v struct {
		ServerLoad *int `json:"server_load"`
	}
	if err := c.callJSON(ctx, get("/load", "server load", true), "", nil, nil, &v, opts); err != nil {
		return 0, err
	}
	if v.ServerLoad == nil {
		return 0, &DecodeError{What: "server load response", Offset: -1, Err: ErrNoContent}
	}
	return *v.ServerLoad, nil
}

// IsHealthy reports whether Health succeeds; it hides the reason.
func (c *Client) IsHealthy(ctx context.Context) bool { return c.Health(ctx) == nil }
