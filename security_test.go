package vllm_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

const secKey = "sk-SECURITY-7f3a9c1e5b"

// secFormats renders v with every fmt verb a user may log it with.
func secFormats(v any) string {
	return fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v)
}

// TestAPIKeyNeverLeaks provokes every kind of failure with an API key set and
// checks that the key appears in no error string, no formatted error, request
// or client, and no log line.
func TestAPIKeyNeverLeaks(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithAPIKey(secKey))
		defer srv.Close()
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, err := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()), vllm.WithAPIKey(secKey), vllm.WithTimeout(200*time.Millisecond),
			vllm.WithLogger(logger), vllm.WithLogPolicy(vllm.LogPolicy{Bodies: true}), vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hi")}}
		faults := []vllmtest.Fault{
			{Kind: vllmtest.FaultStatus, Status: 500},
			{Kind: vllmtest.FaultStatus, Status: 400, Message: "bad"},
			{Kind: vllmtest.FaultReset},
			{Kind: vllmtest.FaultDrop},
			{Kind: vllmtest.FaultTruncate},
			{Kind: vllmtest.FaultGarbage},
			{HeaderDelay: time.Second},
			{Kind: vllmtest.FaultStall, Bytes: 5, Duration: time.Second},
		}
		var collected []string
		ctx := context.Background()
		for _, f := range faults {
			srv.FailNext(2, f) // the first attempt and its retry
			_, err := c.Chat.Create(ctx, req)
			if err == nil {
				t.Fatalf("fault %v: no error", f.Kind)
			}
			collected = append(collected, secFormats(err))
			srv.ClearFaults()
		}
		// Wrong key: a 401 from the server.
		bad, _ := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()), vllm.WithAPIKey(secKey+"-wrong"), vllm.WithLogger(logger))
		if _, err := bad.Chat.Create(ctx, req); err == nil {
			t.Fatal("wrong key accepted")
		} else {
			collected = append(collected, secFormats(err))
		}
		// Success, for the debug logs of a normal call.
		if _, err := c.Chat.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
		// A caller mistake, rejected before sending.
		if _, err := c.Chat.Create(ctx, &vllm.ChatRequest{}); err == nil {
			t.Fatal("empty request accepted")
		} else {
			collected = append(collected, secFormats(err))
		}
		collected = append(collected, secFormats(c), secFormats(req), secFormats(*req))
		mu.Lock()
		collected = append(collected, logs.String())
		mu.Unlock()
		for _, s := range collected {
			if strings.Contains(s, secKey) || strings.Contains(s, strings.TrimPrefix(secKey, "sk-")) {
				t.Errorf("API key leaked in: %s", s)
			}
		}
		if !strings.Contains(logs.String(), "Authorization") {
			t.Errorf("debug logs do not show the (redacted) headers; the test would not see a leak: %s", logs.String())
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestRedirectDoesNotForwardAPIKey checks that a redirect to another host, or
// to another port of the same host, does not carry the Authorization header,
// while a redirect within the same origin still does.
func TestRedirectDoesNotForwardAPIKey(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"object":"list","data":[]}`))
	}))
	defer target.Close()
	tu, _ := url.Parse(target.URL)
	otherHost := "http://localhost:" + tu.Port() // same machine, another host name
	origin := httptest.NewServer(nil)
	defer origin.Close()
	origin.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			http.Redirect(w, r, otherHost+"/cross-host/v1/models", http.StatusTemporaryRedirect)
		case "/other-port/v1/models":
			http.Redirect(w, r, target.URL+"/other-port/v1/models", http.StatusTemporaryRedirect)
		case "/same/v1/models":
			http.Redirect(w, r, "/same-origin/v1/models", http.StatusTemporaryRedirect)
		case "/same-origin/v1/models":
			mu.Lock()
			got[r.URL.Path] = r.Header.Get("Authorization")
			mu.Unlock()
			_, _ = w.Write([]byte(`{"object":"list","data":[]}`))
		}
	})
	for _, base := range []string{origin.URL + "/v1", origin.URL + "/other-port/v1", origin.URL + "/same/v1"} {
		c, err := vllm.New(base, vllm.WithAPIKey(secKey))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Raw(context.Background(), http.MethodGet, "/models", nil); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if a, ok := got["/cross-host/v1/models"]; !ok || a != "" {
		t.Errorf("cross-host redirect: reached %v, Authorization %q", ok, a)
	}
	if a, ok := got["/other-port/v1/models"]; !ok || a != "" {
		t.Errorf("other-port redirect: reached %v, Authorization %q", ok, a)
	}
	if a := got["/same-origin/v1/models"]; a != "Bearer "+secKey {
		t.Errorf("same-origin redirect lost Authorization: %q", a)
	}
}
