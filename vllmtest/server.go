package vllmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vllmgo/vllm/internal/memnet"
	"github.com/vllmgo/vllm/internal/sleep"
)

// Server is a vLLM-dialect HTTP server. Create it with NewServer (loopback,
// for tests) or Start (any address); stop it with Close. It is safe for
// concurrent use.
type Server struct {
	// URL is the base URL a client is given, ending in "/v1", e.g.
	// "http://127.0.0.1:41234/v1".
	URL string

	cfg      config
	listener net.Listener
	http     *http.Server
	client   *http.Client
	mux      *http.ServeMux
	ctx      context.Context // canceled by Close
	cancel   context.CancelFunc
	handlers sync.WaitGroup

	conns     atomic.Int64 // TCP connections accepted
	openConns atomic.Int64 // TCP connections currently open
	seq       atomic.Uint64

	ops   *opsState    // run-time state of the operations routes (LoRA adapters)
	cache *prefixCache // the automatic prefix cache; nil when off

	mu       sync.Mutex
	requests []Request
	queue    []Reply
	pending  []pendingFault
	closed   bool
}

type pendingFault struct {
	fault Fault
	left  int
}

// NewServer starts a Server on a loopback port chosen by the system, or on
// an in-memory network with WithInMemoryNetwork. It panics if no port can be
// had, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	if s := newServer(opts); s.cfg.inMemory {
		s.serve(memnet.Listen("vllmtest"), memnet.Transport())
		return s
	}
	s, err := Start("127.0.0.1:0", opts...)
	if err != nil {
		s, err = Start("[::1]:0", opts...)
	}
	if err != nil {
		panic("vllmtest: cannot listen on loopback: " + err.Error())
	}
	return s
}

// Start starts a Server listening on addr (host:port, e.g.
// "127.0.0.1:8000"; port 0 picks a free one) and serves in the background
// until Close. It does not accept WithInMemoryNetwork.
func Start(addr string, opts ...Option) (*Server, error) {
	s := newServer(opts)
	if s.cfg.inMemory {
		return nil, errors.New("vllmtest: Start listens on a real address; use NewServer with WithInMemoryNetwork")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.serve(ln, &http.Transport{Proxy: nil, DisableCompression: true})
	return s, nil
}

// serve starts serving on ln; tr is the transport of the client Client
// returns.
func (s *Server) serve(ln net.Listener, tr *http.Transport) {
	s.listener = ln
	s.URL = "http://" + ln.Addr().String() + "/v1"
	s.client = &http.Client{Transport: tr}
	s.http = &http.Server{
		Handler:   s,
		ConnState: s.connState,
		// Every request's context derives from s.ctx, so Close, which
		// cancels it, ends the waits of stalled and paced handlers.
		BaseContext: func(net.Listener) context.Context { return s.ctx },
		ErrorLog:    nil,
	}
	go func() { _ = s.http.Serve(ln) }()
}

// Client returns an HTTP client that reaches the server: for a server made
// with WithInMemoryNetwork over the in-memory network (the only way to reach
// it; the client reaches every other in-memory server too, so one client can
// be given several replicas), otherwise over loopback with a transport of its
// own. Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.client }

func newServer(opts []Option) *Server {
	s := &Server{cfg: defaultConfig()}
	for _, o := range opts {
		if o != nil {
			o(&s.cfg)
		}
	}
	if len(s.cfg.models) == 0 || s.cfg.models[0].parent != "" {
		s.cfg.models = append([]model{{name: DefaultModel, root: DefaultModel}}, s.cfg.models...)
	}
	for i := range s.cfg.models {
		s.cfg.models[i].maxModelLen = s.cfg.maxModelLen
	}
	s.cache = newPrefixCache(s.cfg.cacheBlocks, s.cfg.blockSize)
	s.pending = nil
	for _, f := range s.cfg.faults {
		s.pending = append(s.pending, pendingFault{fault: f, left: -1})
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.registerRoutes(s.mux)
	return s
}

// RootURL returns the server's root URL, without the "/v1" suffix, for the
// routes vLLM serves outside /v1 (/health, /tokenize, …).
func (s *Server) RootURL() string { return strings.TrimSuffix(s.URL, "/v1") }

// Addr returns the address the server listens on, host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Close stops the server: it closes the listener and every connection, ends
// stalled or paced handlers, and waits until all handlers have returned. It
// may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return
	}
	s.cancel()
	_ = s.http.Close()
	s.handlers.Wait()
	s.client.CloseIdleConnections()
}

// Connections returns the number of TCP connections the server has accepted
// since it started. A client that reuses its connections keeps it at most at
// its concurrency.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// OpenConnections returns the number of TCP connections currently open.
func (s *Server) OpenConnections() int { return int(s.openConns.Load()) }

func (s *Server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
		s.openConns.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.openConns.Add(-1)
	}
}

// Request is one request the server received, as recorded for assertions.
type Request struct {
	// Method and Path of the request (Path without the query).
	Method, Path string
	// Query is the raw query string.
	Query string
	// Header holds the request headers.
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// JSON is the body decoded as a JSON object, nil when it is not one.
	JSON map[string]any
	// Chat is the decoded body of a chat completion request, nil otherwise.
	Chat *ChatRequest
	// Completion is the decoded body of a completion request, nil otherwise.
	Completion *CompletionRequest
	// Time is when the request arrived.
	Time time.Time
}

// Requests returns a copy of every request received so far, in order of
// arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastRequest returns the most recent request, and false when there was none.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Enqueue appends canned replies; each chat or completion request takes the
// next one (after the handler, if any, returned nil). When the queue is
// empty the default generator answers.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	s.queue = append(s.queue, replies...)
	s.mu.Unlock()
}

// Fail applies f to the next request it matches.
func (s *Server) Fail(f Fault) { s.FailNext(1, f) }

// FailNext applies f to the next n requests it matches (see Fault.Path).
// Faults queued this way are used before those given with WithFault, in the
// order they were queued.
func (s *Server) FailNext(n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	// Keep the permanent faults (left < 0) last.
	i := len(s.pending)
	for i > 0 && s.pending[i-1].left < 0 {
		i--
	}
	s.pending = append(s.pending, pendingFault{})
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = pendingFault{fault: f, left: n}
	s.mu.Unlock()
}

// ClearFaults removes every queued and permanent fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.pending = nil
	s.mu.Unlock()
}

// takeFault returns the fault for a request to path, consuming one use.
func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.pending {
		p := &s.pending[i]
		if !p.fault.matches(path) {
			continue
		}
		f := p.fault
		if p.left > 0 {
			p.left--
			if p.left == 0 {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// takeReply returns the next canned reply, or nil.
func (s *Server) takeReply() *Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return &r
}

// ctxKey keys the per-request state in the request context.
type ctxKey struct{}

// exchange is the per-request state handlers share.
type exchange struct {
	rec   *Request
	fault *Fault
	// prefill is the time the prefill of the prompt's uncached tokens
	// adds to the time to first token (WithPrefillTime).
	prefill time.Duration
	index   int // position in s.requests
}

func exchangeOf(r *http.Request) *exchange {
	x, _ := r.Context().Value(ctxKey{}).(*exchange)
	return x
}

// ServeHTTP records the request, enforces the API key, applies the
// request-level part of its fault and dispatches it to its route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()

	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.maxBody+1))
	if err != nil {
		return // the client went away
	}
	rec := Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body, Time: time.Now(),
	}
	if len(body) > 0 && bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			rec.JSON = m
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	x := &exchange{index: len(s.requests) - 1, rec: &rec}
	s.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))

	if int64(len(body)) > s.cfg.maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "request body too large", "")
		return
	}
	if r.Method != http.MethodOptions && guardedPath(r.URL.Path) && !s.authorized(r.Header.Get("Authorization")) {
		// vLLM's AuthenticationMiddleware answers with this exact body.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"Unauthorized"}`)
		return
	}

	x.fault = s.takeFault(r.URL.Path)
	if f := x.fault; f != nil {
		if !sleep.For(r.Context(), f.HeaderDelay) {
			return
		}
		if f.beforeHeaders(w, x) {
			return
		}
	}
	ctx := context.WithValue(r.Context(), ctxKey{}, x)
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

// updateRecord stores the decoded forms of a request's body in its record.
func (s *Server) updateRecord(x *exchange, fn func(*Request)) {
	if x == nil {
		return
	}
	s.mu.Lock()
	if x.index < len(s.requests) {
		fn(&s.requests[x.index])
		*x.rec = s.requests[x.index]
	}
	s.mu.Unlock()
}

// guardedPath reports whether vLLM's authentication middleware guards
// path: everything under /v1, /v2, /inference and /cohere.
func guardedPath(path string) bool {
	for _, prefix := range [...]string{"/v1", "/v2", "/inference", "/cohere"} {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

// authorized reports whether the Authorization header value carries one of
// the configured keys (or no key is configured). Like vLLM, the scheme is
// matched case-insensitively and the key compared in constant time.
func (s *Server) authorized(h string) bool {
	if len(s.cfg.apiKeys) == 0 {
		return true
	}
	scheme, param, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	got := sha256.Sum256([]byte(param))
	ok := 0
	for _, k := range s.cfg.apiKeys {
		want := sha256.Sum256([]byte(k))
		ok |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return ok == 1
}

// nextID returns a fresh 32-hex-digit identifier, unique within the server.
func (s *Server) nextID() string {
	n := s.seq.Add(1)
	sum := sha256.Sum256(fmt.Appendf(nil, "%p/%d", s, n))
	return fmt.Sprintf("%x", sum[:16])
}

// errBadJSON marks a body that is not the JSON a route expects.
var errBadJSON = errors.New("invalid JSON")
