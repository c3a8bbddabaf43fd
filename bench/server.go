package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// Server is an in-process HTTP server on loopback that answers
// POST /v1/chat/completions with a pre-rendered scenario body, chosen by the
// request's model name. It checks that a streaming scenario is requested as a
// stream with stream_options.include_usage, and a non-streaming one without.
// Apart from decoding the small request it only copies bytes, so the clients
// pay for nearly all the work measured.
type Server struct {
	// URL is the base URL, ending in /v1.
	URL string

	srv       *httptest.Server
	scenarios map[string]*Scenario
	bufs      sync.Pool
}

// NewServer starts a server for the scenarios. Close it when done.
func NewServer(scenarios ...*Scenario) *Server {
	s := &Server{scenarios: make(map[string]*Scenario)}
	for _, sc := range scenarios {
		s.scenarios[sc.Name] = sc
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Scenario returns the scenario of that name, or nil.
func (s *Server) Scenario(name string) *Scenario { return s.scenarios[name] }

type benchRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, "NotFoundError", "no route "+r.Method+" "+r.URL.Path)
		return
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.bufs.Put(buf)
	buf.Reset()
	if _, err := io.Copy(buf, r.Body); err != nil {
		return
	}
	var req benchRequest
	if err := json.Unmarshal(buf.Bytes(), &req); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid JSON: "+err.Error())
		return
	}
	sc := s.scenarios[req.Model]
	switch {
	case sc == nil:
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", req.Model))
		return
	case sc.Stream != req.Stream:
		writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("scenario %s needs stream=%v", sc.Name, sc.Stream))
		return
	case sc.Stream && (req.StreamOptions == nil || !req.StreamOptions.IncludeUsage):
		writeError(w, http.StatusBadRequest, "BadRequestError", "stream_options.include_usage must be true")
		return
	}
	h := w.Header()
	if sc.Stream {
		// Like vLLM (Starlette's StreamingResponse): chunked, no length.
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(sc.Body)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(sc.Body)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": status}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// NewTransport returns the transport every row uses, configured identically:
// enough idle connections per host for 64 concurrent requests, compression
// off (vLLM does not compress, and asking for gzip would only cost), no
// proxy, HTTP/1.1 as vLLM serves it.
func NewTransport() *http.Transport {
	return &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
