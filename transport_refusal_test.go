package vllm

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastRetries retries n times with waits of at most a few milliseconds.
func fastRetries(n int) Option {
	return WithRetry(RetryPolicy{MaxAttempts: n + 1, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})
}

// An https:// base URL pointing at a plain-HTTP server fails the same way
// every time: it is not retried.
func TestHTTPSToPlainHTTPServerIsNotRetried(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(strings.Replace(srv.URL, "http://", "https://", 1)+"/v1", fastRetries(2))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat.Create(t.Context(), chatReq())
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, http.ErrSchemeMismatch) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	if IsRetryable(err) {
		t.Fatal("IsRetryable says true")
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1 (no retry)", n)
	}
}

// A proxy that refuses CONNECT gives an error that keeps its status: 407
// is not retried, 502 is.
func TestProxyRefusingConnect(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
		attempts  int64
	}{
		{http.StatusProxyAuthRequired, false, 1},
		{http.StatusBadGateway, true, 3},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var connects atomic.Int64
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodConnect {
					connects.Add(1)
				}
				w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
				w.WriteHeader(tc.status)
			}))
			defer proxy.Close()
			c, err := New("https://vllm.internal.example/v1", fastRetries(2))
			if err != nil {
				t.Fatal(err)
			}
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
			if n := connects.Load(); n != tc.attempts {
				t.Fatalf("%d CONNECTs, want %d", n, tc.attempts)
			}
			if !strings.Contains(err.Error(), "proxy") || strings.Contains(err.Error(), "proxy-secret") {
				t.Fatalf("message %q", err)
			}
		})
	}
}
