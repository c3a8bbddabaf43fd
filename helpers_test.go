package vllm_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
)

// captured is what a stub server saw of one request.
type captured struct {
	Method, Path, RawQuery, ContentType, Auth, Accept string
	Body                                              []byte
}

// reply is what a stub server answers.
type reply struct {
	Status      int
	ContentType string
	Body        string
}

// stub serves reply to every request and records the last request.
type stub struct {
	mu   sync.Mutex
	last captured
	n    int
	rep  reply
	srv  *httptest.Server
}

func newStub(t *testing.T, rep reply) (*stub, *vllm.Client) {
	t.Helper()
	s := &stub{rep: rep}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last = captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Get("Accept"), b}
		s.n++
		rep := s.rep
		s.mu.Unlock()
		ct := rep.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		if rep.Status != 0 {
			w.WriteHeader(rep.Status)
		}
		io.WriteString(w, rep.Body)
	}))
	t.Cleanup(s.srv.Close)
	c, err := vllm.New(s.srv.URL+"/v1", vllm.WithAPIKey("sk-test"), vllm.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func (s *stub) got() captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *stub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

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
