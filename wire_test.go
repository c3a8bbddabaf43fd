package vllm

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// checkGolden compares got with testdata/golden/name, or rewrites the file with
// -update. The files hold the exact bytes sent, plus a final newline.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.WriteFile(path, append(append([]byte(nil), got...), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	want = bytes.TrimSuffix(want, []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Fatalf("body differs from %s\n got %s\nwant %s", path, got, want)
	}
}

// wireRequest is one request as the server saw it.
type wireRequest struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// wireServer answers every request with status and body, recording what it
// received.
type wireServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []wireRequest
	status int
	body   []byte
	header http.Header
}

func newWireServer(t *testing.T, status int, body string, configure ...func(*http.Server)) *wireServer {
	t.Helper()
	ws := &wireServer{status: status, body: []byte(body), header: http.Header{}}
	ws.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ws.mu.Lock()
		ws.reqs = append(ws.reqs, wireRequest{r.Method, r.URL.Path, r.Header.Clone(), b})
		status, body := ws.status, ws.body
		for k, v := range ws.header {
			w.Header()[k] = v
		}
		ws.mu.Unlock()
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	for _, f := range configure {
		f(ws.Config)
	}
	ws.Start()
	t.Cleanup(ws.Close)
	return ws
}

func (ws *wireServer) last(t *testing.T) wireRequest {
	t.Helper()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(ws.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return ws.reqs[len(ws.reqs)-1]
}

func (ws *wireServer) count() int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return len(ws.reqs)
}

func (ws *wireServer) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := New(ws.URL+"/v1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// minimalChat is a valid chat completion body.
const minimalChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`

// minimalCompletion is a valid completion body.
const minimalCompletion = `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"ok","finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`

// mustJSON is json.Marshal for values that always encode.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newSlowServer returns the URL of a server that holds every request until
// release is closed (or the client goes away): before the headers, or, with
// partial, after the headers and the first bytes of the body.
func newSlowServer(t *testing.T, release <-chan struct{}, partial bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			w.Write([]byte(`{"id":`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newHijackServer returns the URL of a server that closes every connection
// without answering.
func newHijackServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
