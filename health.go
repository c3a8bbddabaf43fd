package vllm

import (
	"context"
)

// ServerService asks about the server itself rather than a model: whether it
// is alive, its version and its load. Use it through Client.Server.
type ServerService struct{ c *Client }

// Health checks that the server and its engine are alive (GET /health). It
// returns nil on 200; an engine that died answers 503, returned as an
// *APIError. /health is not protected by the server's API key.
func (s *ServerService) Health(ctx context.Context, opts ...RequestOption) error {
	return s.c.callJSON(ctx, get("/health", "health", true), "", nil, nil, nil, opts)
}

// Version returns the vLLM version the server runs (GET /version),
// e.g. "0.11.0".
func (s *ServerService) Version(ctx context.Context, opts ...RequestOption) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := s.c.callJSON(ctx, get("/version", "version", true), "", nil, nil, &v, opts); err != nil {
		return "", err
	}
	if v.Version == "" {
		return "", &DecodeError{What: "version response", Offset: -1, Err: ErrNoContent}
	}
	return v.Version, nil
}

// Load returns the number of requests the server is working on (GET
// /load), which vLLM tracks when started with --enable-server-load-tracking.
func (s *ServerService) Load(ctx context.Context, opts ...RequestOption) (int, error) {
	var v struct {
		ServerLoad *int `json:"server_load"`
	}
	if err := s.c.callJSON(ctx, get("/load", "server load", true), "", nil, nil, &v, opts); err != nil {
		return 0, err
	}
	if v.ServerLoad == nil {
		return 0, &DecodeError{What: "server load response", Offset: -1, Err: ErrNoContent}
	}
	return *v.ServerLoad, nil
}
