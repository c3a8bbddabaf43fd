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

// streamProbe is what a stream reports to the production layer (logging,
// metrics, tracing): each event handed to the caller and the stream's end.
// Streams call startStream once their response has arrived; a nil probe
// means nobody listens.
type streamProbe interface {
	// event is called for each event handed to the caller; token reports
	// whether it carried generated text (content, reasoning or tool-call
	// arguments), for time-to-first-token and inter-token latency.
	event(token bool)
	// end is called exactly once when the stream ends: usage is the final
	// usage when the server sent it, err is nil after "data: [DONE]".
	end(usage *Usage, err error)
}

// startStream returns the probe for a stream that has started, or nil.
func (p *productionConfig) startStream(ctx context.Context, r *apiRequest) streamProbe { return nil }
