package vllm

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// ServerService asks about the server itself rather than a model: whether it
// is alive, its version and its load. Use it through Client.Server.
type ServerService struct{ c *Client }

// Health checks that the server and its engine are alive (GET /health). It
// returns nil on 200; an engine that died answers 503, returned as an
// *APIError. /health is not protected by the server's API key.
func (s *ServerService) Health(ctx context.Context, opts ...Option) error {
	return s.c.callJSON(ctx, get("/health", "health", true), "", nil, nil, nil, opts)
}

// Version returns the vLLM version the server runs (GET /version),
// e.g. "0.11.0".
func (s *ServerService) Version(ctx context.Context, opts ...Option) (string, error) {
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
func (s *ServerService) Load(ctx context.Context, opts ...Option) (int, error) {
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

// healthTimeout bounds one health check: an endpoint that does not answer
// within it is unhealthy. It does not depend on the interval, so that a short
// interval does not make a busy server look dead.
const healthTimeout = 5 * time.Second

// healthChecker runs the active health checks of a client's endpoints.
type healthChecker struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startHealthChecks(cfg *config, eps []*endpoint, every time.Duration) *healthChecker {
	ctx, cancel := context.WithCancel(context.Background())
	h := &healthChecker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			checkAll(ctx, cfg, eps, healthTimeout)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *healthChecker) close() {
	h.once.Do(h.cancel)
	<-h.done
}

// checkAll checks every endpoint at once and waits for the answers.
func checkAll(ctx context.Context, cfg *config, eps []*endpoint, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, e := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			healthy := checkHealth(ctx, cfg, e, timeout)
			if ctx.Err() != nil {
				return // stopping: the answer means nothing
			}
			if healthy {
				if e.down.Swap(false) {
					e.br.reset()
				}
			} else if !e.down.Swap(true) {
				e.ejections.Add(1)
			}
		}()
	}
	wg.Wait()
}

// checkHealth reports whether GET /health at the endpoint's root answers 2xx.
func checkHealth(ctx context.Context, cfg *config, e *endpoint, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.root.String()+"/health", nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", cfg.userAgent)
	if cfg.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.apiKey)
	}
	// Then the client's headers, over the library's as on every call: a
	// gateway in front of the replica may ask for its own key.
	for k, vs := range cfg.headers {
		req.Header[k] = vs[:len(vs):len(vs)]
	}
	resp, err := cfg.http.Do(req)
	if err != nil {
		return false
	}
	_, _ = drain(resp)
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// drain reads a little of a body and closes it, so the connection is reused.
func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	var buf [512]byte
	var n int64
	for n < 4096 {
		m, err := resp.Body.Read(buf[:])
		n += int64(m)
		if err != nil {
			return n, nil
		}
	}
	return n, nil
}
