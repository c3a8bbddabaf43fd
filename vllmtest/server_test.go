package vllmtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// post sends body to the server's path and returns the status and body.
func post(t *testing.T, srv *vllmtest.Server, path, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestChatCreateWithClient(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hello there", Reasoning: "Thinking."})
	c, err := vllm.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "Hello there" || resp.Reasoning() != "Thinking." || resp.FinishReason() != "stop" {
		t.Fatalf("content %q reasoning %q finish %q", resp.Text(), resp.Reasoning(), resp.FinishReason())
	}
	if resp.Usage == nil || resp.Usage.CompletionTokens != 5 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+5 {
		t.Fatalf("usage %+v", resp.Usage)
	}
	rec, ok := srv.LastRequest()
	if !ok || rec.Path != "/v1/chat/completions" || rec.Chat == nil || rec.Chat.Model != "m" || rec.Chat.Messages[0].Text() != "hi" {
		t.Fatalf("recorded %+v", rec)
	}
}

func TestUnknownModelAndAPIKey(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithAPIKey("sk-1"))
	defer srv.Close()
	code, body := post(t, srv, "/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`)
	if code != 401 || body != `{"error":"Unauthorized"}` {
		t.Fatalf("no key: %d %s", code, body)
	}
	code, body = post(t, srv, "/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, "Authorization", "Bearer sk-1")
	if want := `{"error":{"message":"The model ` + "`nope`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`; code != 404 || body != want {
		t.Fatalf("unknown model: %d %s", code, body)
	}
	resp, err := http.Get(srv.RootURL() + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health without key: %v %v", err, resp)
	}
	resp.Body.Close()
	c, _ := vllm.New(srv.URL, vllm.WithAPIKey("wrong"))
	_, err = c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}})
	if !errors.Is(err, vllm.ErrUnauthorized) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestChatStreamShape(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hi you"})
	code, body := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}`, "X-Request-Id", "abc")
	if code != 200 {
		t.Fatal(code, body)
	}
	want := `data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":C,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":C,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":C,"model":"m","choices":[{"index":0,"delta":{"content":" you"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":C,"model":"m","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}

data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":C,"model":"m","choices":[],"usage":{"prompt_tokens":P,"total_tokens":T,"completion_tokens":3}}

data: [DONE]

`
	got := normalize(body)
	if got != want {
		t.Fatalf("stream\n got %s\nwant %s", got, want)
	}
}

// normalize replaces the creation time and prompt/total counts with letters.
func normalize(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		line = replaceNumberAfter(line, `"created":`, "C")
		line = replaceNumberAfter(line, `"prompt_tokens":`, "P")
		line = replaceNumberAfter(line, `"total_tokens":`, "T")
		b.WriteString(line)
	}
	return b.String()
}

func replaceNumberAfter(s, key, with string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return s
	}
	j := i + len(key)
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	return s[:j] + with + s[k:]
}

func TestAPIKeyRules(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithAPIKey("k1"), vllmtest.WithAPIKey("k2"))
	defer srv.Close()
	status := func(method, path, auth string) int {
		req, _ := http.NewRequest(method, srv.RootURL()+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/v1/models", "", 401},
		{"GET", "/v1/models", "Bearer k1", 200},
		{"GET", "/v1/models", "bearer k2", 200}, // the scheme is case-insensitive
		{"GET", "/v1/models", "Basic k1", 401},
		{"GET", "/v1/models", "Bearer k3", 401},
		{"GET", "/v1/models", "Bearer  k1", 401}, // the key is what follows the first space
		{"OPTIONS", "/v1/models", "", 405},       // OPTIONS is never checked
		{"GET", "/health", "", 200},
		{"GET", "/version", "", 200},
		{"POST", "/tokenize", "", 400}, // open, and the empty body is rejected
	}
	for _, c := range cases {
		if got := status(c.method, c.path, c.auth); got != c.want {
			t.Errorf("%s %s %q: %d, want %d", c.method, c.path, c.auth, got, c.want)
		}
	}
}
