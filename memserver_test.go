package vllm

import (
	"context"
	"net"
	"net/http"

	"github.com/vllmgo/vllm/internal/memnet"
)

// memServer is an HTTP server on the in-memory network (internal/memnet),
// shaped like the part of httptest.Server the tests use. The tests' fake
// servers run on it so that a test can run in a testing/synctest bubble:
// there a goroutine waiting on a loopback socket is not durably blocked, and
// simulated time would never advance.
type memServer struct {
	// URL is the server's root URL, "http://<host>:80", without "/v1".
	URL string
	// Config is the server; configure it before Start.
	Config *http.Server
	ln     *memnet.Listener
}

// newUnstartedMemServer returns a server for h that Start starts.
func newUnstartedMemServer(h http.Handler) *memServer {
	ln := memnet.Listen("fake")
	return &memServer{URL: "http://" + ln.Addr().String(), Config: &http.Server{Handler: h}, ln: ln}
}

// newMemServer starts a server for h; Close stops it.
func newMemServer(h http.Handler) *memServer {
	s := newUnstartedMemServer(h)
	s.Start()
	return s
}

// Start serves in the background until Close.
func (s *memServer) Start() { go func() { _ = s.Config.Serve(s.ln) }() }

// Close closes the listener and every connection.
func (s *memServer) Close() { _ = s.Config.Close() }

// memHTTPClient returns an HTTP client, with a transport of its own, that
// reaches every memServer and every vllmtest server made with
// WithInMemoryNetwork, and other addresses over the network.
func memHTTPClient() *http.Client {
	tr := memnet.Transport()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if memnet.Registered(addr) {
			return memnet.Dial(ctx, network, addr)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// inMemory is the client option that sends requests over the in-memory
// network.
func inMemory() Option { return WithHTTPClient(memHTTPClient()) }
