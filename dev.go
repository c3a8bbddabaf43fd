package vllm

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// DevService calls vLLM's development endpoints: sleep and wake up (freeing
// and restoring GPU memory) and cache resets. vLLM registers them only when
// the server runs with the environment variable VLLM_SERVER_DEV_MODE=1; on
// other servers every call fails with an error matching ErrDevModeDisabled
// (and the server's 404 *APIError). They are meant for development and
// RLHF-style orchestration, not for production traffic, and are not
// protected beyond the server's API key. Use it through Client.Dev.
type DevService struct{ c *Client }

// ErrDevModeDisabled matches the error of a DevService call to a server that
// does not serve the development endpoints (not started with
// VLLM_SERVER_DEV_MODE=1).
var ErrDevModeDisabled = errors.New("vllm: development endpoints disabled (server not in VLLM_SERVER_DEV_MODE)")

// devError marks a 404 from a development endpoint.
type devError struct{ *APIError }

func (e devError) Is(target error) bool { return target == ErrDevModeDisabled }
func (e devError) Unwrap() error        { return e.APIError }
func (e devError) Error() string {
	return e.APIError.Error() + " (is the server running with VLLM_SERVER_DEV_MODE=1?)"
}

// call posts (or gets) a development route with query parameters and decodes
// a JSON answer into out when out is not nil.
func (s *DevService) call(ctx context.Context, method, path, op string, q url.Values, out any, opts []Option) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := s.c.doJSON(ctx, route{method, path, true, op}.newRequest("", opts), out)
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
		return devError{ae}
	}
	return err
}

// Sleep puts the engine to sleep (POST /sleep?level=N), freeing GPU memory:
// level 1 offloads the weights to CPU memory and drops the KV cache; level 2
// drops the weights too. Level 0 sends no level (the server's default, 1).
func (s *DevService) Sleep(ctx context.Context, level int, opts ...Option) error {
	if level < 0 {
		return invalid("level", "must not be negative, got %d", level)
	}
	q := url.Values{}
	if level > 0 {
		q.Set("level", strconv.Itoa(level))
	}
	return s.call(ctx, http.MethodPost, "/sleep", "sleep", q, nil, opts)
}

// WakeUp wakes a sleeping engine (POST /wake_up). With tags (e.g.
// "weights", "kv_cache") only those parts are restored; without, all.
func (s *DevService) WakeUp(ctx context.Context, tags []string, opts ...Option) error {
	q := url.Values{}
	for _, t := range tags {
		q.Add("tags", t)
	}
	return s.call(ctx, http.MethodPost, "/wake_up", "wake up", q, nil, opts)
}

// IsSleeping reports whether the engine sleeps (GET /is_sleeping).
func (s *DevService) IsSleeping(ctx context.Context, opts ...Option) (bool, error) {
	var v struct {
		IsSleeping bool `json:"is_sleeping"`
	}
	err := s.call(ctx, http.MethodGet, "/is_sleeping", "is sleeping", nil, &v, opts)
	return v.IsSleeping, err
}

// ResetPrefixCache empties the prefix cache (POST /reset_prefix_cache), e.g.
// between benchmark runs.
func (s *DevService) ResetPrefixCache(ctx context.Context, opts ...Option) error {
	return s.call(ctx, http.MethodPost, "/reset_prefix_cache", "reset prefix cache", nil, nil, opts)
}

// ResetMMCache empties the multimodal input cache (POST /reset_mm_cache).
func (s *DevService) ResetMMCache(ctx context.Context, opts ...Option) error {
	return s.call(ctx, http.MethodPost, "/reset_mm_cache", "reset multimodal cache", nil, nil, opts)
}
