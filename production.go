package vllm

import (
	"context"
	"net/http"
)

// productionConfig holds the settings of the production layer (retries,
// limits, middleware, logging). It is the one place that wraps Client.attempt.
type productionConfig struct{}

// finish validates the production settings once all options are applied.
func (p *productionConfig) finish(*config) error { return nil }

// do sends r through the production layer; for now, exactly once.
func (p *productionConfig) do(ctx context.Context, c *Client, r *apiRequest) (*http.Response, error) {
	return c.attempt(ctx, r)
}
