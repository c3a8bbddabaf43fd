package vllm_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
)

// recorded is one request seen by a scriptServer.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         string
	Time         time.Time // when the request arrived
}

// scriptServer is an in-memory server whose handler is given the index of
// each request (from 0) and that records every request.
type scriptServer struct {
	*vllm.MemServer
	mu   sync.Mutex
	reqs []recorded
}

func newScriptServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, n int)) *scriptServer {
	t.Helper()
	s := &scriptServer{}
	s.MemServer = vllm.NewMemServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(b), Time: time.Now()})
		s.mu.Unlock()
		h(w, r, n)
	}))
	return s
}

// requests returns the requests recorded so far.
func (s *scriptServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// count returns the number of requests to paths other than /health.
func (s *scriptServer) count() int {
	n := 0
	for _, r := range s.requests() {
		if r.Path != "/health" {
			n++
		}
	}
	return n
}

var chatFixture = func() []byte {
	b, err := os.ReadFile("testdata/fixtures/llmd-sim-chat.json")
	if err != nil {
		panic(err)
	}
	return b
}()

// okChat answers with the chat fixture.
func okChat(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(chatFixture)
}

// fail answers with a vLLM error body of the given status.
func fail(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":"failure %d","type":"InternalServerError","param":null,"code":%d}}`, status, status)
}

// failThenOK answers the first requests with the given error statuses and
// every later one with the chat fixture.
func failThenOK(t *testing.T, statuses ...int) *scriptServer {
	return newScriptServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < len(statuses) {
			fail(w, statuses[n])
			return
		}
		okChat(w)
	})
}

func chatReq() *vllm.ChatRequest {
	return &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}}
}

// fastRetry retries n times with waits of at most a few milliseconds.
func fastRetry(n int) vllm.Option {
	return vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: n + 1, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
}

// newClient returns a client of base that reaches the in-memory servers
// (unless opts give another HTTP client).
func newClient(t *testing.T, base string, opts ...vllm.Option) *vllm.Client {
	t.Helper()
	c, err := vllm.New(base, append([]vllm.Option{vllm.InMemory()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// contains reports whether s contains every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
