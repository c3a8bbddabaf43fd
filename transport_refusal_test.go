package vllm

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm/internal/memnet"
)

// fastRetries retries n times with waits of at most a few milliseconds.
func fastRetries(n int) Option {
	return WithRetry(RetryPolicy{MaxAttempts: n + 1, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})
}

// dialInMemory makes c's own transport (its TLS and proxy settings kept)
// dial the in-memory network, so that its test can run on simulated time.
func dialInMemory(c *Client) {
	c.cfg.http.Transport.(*http.Transport).DialContext = memnet.Dial
}

// An https:// base URL pointing at a plain-HTTP server fails the same way
// every time: it is not retried.
func TestHTTPSToPlainHTTPServerIsNotRetried(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		c, err := New(strings.Replace(srv.URL, "http://", "https://", 1)+"/v1", fastRetries(2))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		dialInMemory(c)
		_, err = c.Chat.Create(t.Context(), chatReq())
		var te *TransportError
		if !errors.As(err, &te) || !errors.Is(err, http.ErrSchemeMismatch) {
			t.Fatalf("err = %v (%T)", err, err)
		}
		if IsRetryable(err) {
			t.Fatal("IsRetryable says true")
		}
		if n := srv.Connections(); n != 1 {
			t.Fatalf("%d connections, want 1 (no retry)", n)
		}
	})
}

// A proxy that refuses CONNECT gives an error that keeps its status: 407
// is not retried, 502 is.
func TestProxyRefusingConnect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		retryable bool
		attempts  int
	}{
		{http.StatusProxyAuthRequired, false, 1},
		{http.StatusBadGateway, true, 3},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				proxy := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
					w.WriteHeader(tc.status)
				}))
				c, err := New("https://vllm.internal.example/v1", fastRetries(2))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				dialInMemory(c)
				pu, _ := url.Parse(proxy.URL)
				pu.User = url.UserPassword("proxyuser", "proxy-secret")
				c.cfg.http.Transport.(*http.Transport).Proxy = http.ProxyURL(pu)
				_, err = c.Chat.Create(t.Context(), chatReq())
				var te *TransportError
				var ae *APIError
				if !errors.As(err, &te) || !errors.As(err, &ae) || ae.StatusCode != tc.status {
					t.Fatalf("err = %v (%T), want a *TransportError carrying the proxy's %d", err, err, tc.status)
				}
				if IsRetryable(err) != tc.retryable {
					t.Fatalf("IsRetryable = %v, want %v", !tc.retryable, tc.retryable)
				}
				connects := 0
				for _, r := range proxy.Requests() {
					if r.Method == http.MethodConnect {
						connects++
					}
				}
				if connects != tc.attempts {
					t.Fatalf("%d CONNECTs, want %d", connects, tc.attempts)
				}
				if !strings.Contains(err.Error(), "proxy") || strings.Contains(err.Error(), "proxy-secret") {
					t.Fatalf("message %q", err)
				}
			})
		})
	}
}
