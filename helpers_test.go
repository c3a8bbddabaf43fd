package vllm_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// reply is a handler that answers every request with the same status,
// Content-Type, headers and body.
type reply = vllm.FixedReply

// vllmError is an error body as current vLLM sends it.
const vllmError400 = `{"error":{"message":"This model's maximum context length is 512 tokens.","type":"BadRequestError","param":null,"code":400}}`

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// collectText collects a chat stream and returns its first choice's text.
func collectText(s *vllm.ChatStream) (string, error) {
	resp, err := s.Collect()
	return resp.Text(), err
}

// collectResponseText collects a Responses stream and returns its text.
func collectResponseText(s *vllm.ResponseStream) (string, error) {
	resp, err := s.Collect()
	return resp.Text(), err
}

// collectAudioText collects an audio stream and returns its text.
func collectAudioText(s *vllm.AudioStream) (string, error) {
	t, err := s.Collect()
	return t.Text, err
}

// byIndex is a handler that passes h the index of each request among those
// the server recorded.
var byIndex = vllm.ByIndex

// parallelBubble runs a test in parallel inside a testing/synctest bubble,
// which is also its leak check.
var parallelBubble = vllm.ParallelBubble

// jsonEqual fails the test unless got and want are the same JSON value.
var jsonEqual = vllm.JSONEqual

// fixture returns the text of testdata/fixtures/name.
var fixture = vllm.Fixture

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

// testServer starts a vllmtest server of model "m" on the in-memory network;
// it closes when the test ends, if the test has not closed it before.
func testServer(t *testing.T) *vllmtest.Server {
	srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"))
	t.Cleanup(srv.Close)
	return srv
}

// failWithHeader answers every request with the error status and the
// response header name set to value.
func failWithHeader(status int, name, value string) http.Handler {
	return byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set(name, value)
		fail(w, status)
	})
}

// byPath answers requests for path with at and every other request with
// other.
func byPath(path string, at, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			at.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}

// okChats answers every request with the chat fixture.
var okChats = byIndex(func(w http.ResponseWriter, r *http.Request, n int) { okChat(w) })

// failWhileDown answers with the error status while down is set and with the
// chat fixture otherwise.
func failWhileDown(down *atomic.Bool, status int) http.Handler {
	return byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		if down.Load() {
			fail(w, status)
			return
		}
		okChat(w)
	})
}

// createChats sends n chat requests through c, one after another, and fails
// the test at the first error.
func createChats(t *testing.T, c *vllm.Client, n int) {
	t.Helper()
	for range n {
		if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
			t.Fatal(err)
		}
	}
}

// failThenOK answers the first requests with the given error statuses and
// every later one with the chat fixture.
func failThenOK(t *testing.T, statuses ...int) *vllm.MemServer {
	return vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		if n < len(statuses) {
			fail(w, statuses[n])
			return
		}
		okChat(w)
	}))
}

func chatReq() *vllm.ChatRequest {
	return &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}}
}

// openChat opens a chat stream of chatReq on c, with opts; an error fails
// the test.
func openChat(t *testing.T, c *vllm.Client, opts ...vllm.Option) *vllm.ChatStream {
	t.Helper()
	s, err := c.Chat.Stream(context.Background(), chatReq(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
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
