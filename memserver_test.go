package vllm

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm/internal/memnet"
)

// memServer is the tests' raw HTTP server, for wire and golden tests: the
// test writes its handler (exact bytes out, faults such as a hijacked,
// stalled or half-written response), and the server records every request
// (exact bytes in) and counts its connections. Behaviour tests use vllmtest
// instead.
//
// It runs on the in-memory network (internal/memnet), so that a test can run
// in a testing/synctest bubble: there a goroutine waiting on a loopback socket
// is not durably blocked, and simulated time would never advance. Create it
// inside the bubble that uses it.
type memServer struct {
	// URL is the server's root URL, "http://<host>:80", without "/v1".
	URL string

	srv   *http.Server
	h     http.Handler
	mu    sync.Mutex
	reqs  []recordedRequest
	gen   int // ResetRequests calls
	conns atomic.Int64
}

// recordedRequest is one request as a memServer received it.
type recordedRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	// Time is when the request arrived.
	Time time.Time
}

// newMemServer starts a server whose handler is h; it closes when the test
// ends. The server reads and records each request body before h runs (so h
// notices through r.Context() when the client goes away), unless h is a
// readsBody.
func newMemServer(t testing.TB, h http.Handler) *memServer {
	t.Helper()
	ln := memnet.Listen("fake")
	s := &memServer{URL: "http://" + ln.Addr().String(), h: h}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(s.serve),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

func (s *memServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	rec := recordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Time: time.Now()}
	var read *bytes.Buffer
	if _, ok := h.(readsBody); ok {
		read = new(bytes.Buffer)
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, read), r.Body}
	} else {
		rec.Body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(rec.Body))
	}
	s.mu.Lock()
	n, gen := len(s.reqs), s.gen
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()
	h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIndexKey{}, n)))
	if read != nil {
		s.mu.Lock()
		if s.gen == gen {
			s.reqs[n].Body = read.Bytes()
		}
		s.mu.Unlock()
	}
}

// readsBody is a handler for a memServer that reads the request body itself,
// as it arrives (to see an upload streamed, or to answer without reading
// it): the server does not read the body first, and records only the bytes
// h read, once h returns.
type readsBody func(w http.ResponseWriter, r *http.Request)

func (h readsBody) ServeHTTP(w http.ResponseWriter, r *http.Request) { h(w, r) }

type requestIndexKey struct{}

// byIndex is a handler for a memServer that passes h the index of each
// request among those recorded (from 0, in order of arrival; ResetRequests
// starts again from 0).
func byIndex(h func(w http.ResponseWriter, r *http.Request, n int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, r.Context().Value(requestIndexKey{}).(int))
	})
}

// Handle makes h answer the requests that arrive from now on.
func (s *memServer) Handle(h http.Handler) {
	s.mu.Lock()
	s.h = h
	s.mu.Unlock()
}

// Close closes the listener and every connection. It may be called more
// than once.
func (s *memServer) Close() { _ = s.srv.Close() }

// Client returns a client of the server's /v1 API over the in-memory
// network, with opts; its idle connections are closed when the test ends.
func (s *memServer) Client(t testing.TB, opts ...Option) *Client {
	t.Helper()
	c, err := New(s.URL+"/v1", append([]Option{inMemory()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); closeIdle(c) })
	return c
}

// Requests returns every request received so far, in order of arrival.
func (s *memServer) Requests() []recordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedRequest(nil), s.reqs...)
}

// ResetRequests forgets the requests received so far.
func (s *memServer) ResetRequests() {
	s.mu.Lock()
	s.reqs = nil
	s.gen++
	s.mu.Unlock()
}

// Last returns the latest request; the test fails when there was none.
func (s *memServer) Last(t testing.TB) recordedRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return s.reqs[len(s.reqs)-1]
}

// Count returns the number of requests received, not counting the health
// checker's probes of /health.
func (s *memServer) Count() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path != "/health" {
			n++
		}
	}
	return n
}

// Connections returns the number of connections the server accepted.
func (s *memServer) Connections() int { return int(s.conns.Load()) }

// fixedReply is a handler that answers every request with the same status
// (200 when zero), Content-Type (application/json when empty), headers and
// body.
type fixedReply struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        string
}

func (rep fixedReply) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	ct := rep.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	if rep.Status != 0 {
		w.WriteHeader(rep.Status)
	}
	_, _ = io.WriteString(w, rep.Body)
}

// memHTTPClient returns an HTTP client, with a transport of its own, that
// reaches every memServer and every vllmtest server made with
// WithInMemoryNetwork, and nothing else: any other address is refused, so a
// test cannot reach the real network by mistake.
func memHTTPClient() *http.Client {
	return &http.Client{Transport: memnet.Transport(), CheckRedirect: checkRedirect}
}

// inMemory is the client option that sends requests over the in-memory
// network.
func inMemory() Option { return WithHTTPClient(memHTTPClient()) }
