package vllm_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// logCapture is a slog.Handler keeping the records it is given, at or above
// its level.
type logCapture struct {
	level slog.Level
	mu    sync.Mutex
	recs  []slog.Record
}

func (h *logCapture) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *logCapture) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCapture) WithGroup(string) slog.Handler      { return h }

// loggedClient returns a client of srv, with opts, whose logger records at
// level and above into the returned capture; the client closes when the test
// ends.
func loggedClient(t *testing.T, srv *vllmtest.Server, level slog.Level, opts ...vllm.Option) (*vllm.Client, *logCapture) {
	t.Helper()
	h := &logCapture{level: level}
	c := newClient(t, srv.URL, append([]vllm.Option{vllm.WithLogger(slog.New(h))}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, h
}

// records returns the records with message msg.
func (h *logCapture) records(msg string) []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []slog.Record
	for _, r := range h.recs {
		if r.Message == msg {
			out = append(out, r)
		}
	}
	return out
}

// vllmAttrs returns the attributes of the record's "vllm" group, and fails
// if the record has any attribute outside it.
func vllmAttrs(t *testing.T, r slog.Record) map[string]slog.Value {
	t.Helper()
	out := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "vllm" || a.Value.Kind() != slog.KindGroup {
			t.Errorf("record %q has attribute %q outside the vllm group", r.Message, a.Key)
			return true
		}
		for _, g := range a.Value.Group() {
			out[g.Key] = g.Value
		}
		return true
	})
	return out
}

// TestLogRedactsEveryUnknownHeader: header values are logged only for the
// headers known to be safe and those the policy adds; a gateway key in any
// other header is redacted.
func TestLogRedactsEveryUnknownHeader(t *testing.T) {
	const secret = "gw-secret-0123456789"
	srv := testServer(t)
	c, h := loggedClient(t, srv, slog.LevelDebug, vllm.WithHeader("User-Agent", "app/1"),
		vllm.WithHeader("X-Custom-Token", secret), vllm.WithHeader("Ocp-Apim-Subscription-Key", secret),
		vllm.WithHeader("X-Tenant", "acme"), vllm.WithHeader("X-Region", "eu"),
		vllm.WithLogPolicy(vllm.LogPolicy{SafeHeaders: []string{"x-tenant"}}))
	if _, err := c.Chat.Create(context.Background(), chatReq(), vllm.WithHeader("X-Request-Id", "req-1")); err != nil {
		t.Fatal(err)
	}
	recs := h.records("vllm attempt")
	if len(recs) != 1 {
		t.Fatalf("%d attempt records", len(recs))
	}
	headers, ok := vllmAttrs(t, recs[0])["headers"].Any().(map[string]string)
	if !ok {
		t.Fatalf("headers %v", vllmAttrs(t, recs[0])["headers"])
	}
	for name, want := range map[string]string{
		"X-Custom-Token": "[REDACTED]", "Ocp-Apim-Subscription-Key": "[REDACTED]", "X-Region": "[REDACTED]",
		"X-Tenant": "acme", "User-Agent": "app/1", "X-Request-Id": "req-1",
	} {
		if got := headers[name]; got != want {
			t.Errorf("header %s logged as %q, want %q", name, got, want)
		}
	}
	// A policy cannot declare a credential header safe.
	_, err := vllm.New(srv.URL, vllm.WithLogPolicy(vllm.LogPolicy{SafeHeaders: []string{"authorization"}}))
	var pe *vllm.ParamError
	if !errors.As(err, &pe) || pe.Field != "LogPolicy.SafeHeaders" || !strings.Contains(err.Error(), "Authorization") {
		t.Fatalf("err %v", err)
	}
}

// TestLogLevelsAndValues: call records are at Debug unless the policy says
// otherwise; a failure is at Warn with the error as an error value;
// durations are milliseconds; bodies only when asked for.
func TestLogLevelsAndValues(t *testing.T) {
	srv := testServer(t)

	c, info := loggedClient(t, srv, slog.LevelInfo)
	if _, err := c.Chat.Create(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
	if n := len(info.recs); n != 0 {
		t.Fatalf("an Info logger got %d records of a successful call: %v", n, info.recs)
	}
	_, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "missing", Messages: []vllm.Message{vllm.User("x")}})
	if err == nil {
		t.Fatal("want an error")
	}
	recs := info.records("vllm call")
	if len(recs) != 1 || recs[0].Level != slog.LevelWarn {
		t.Fatalf("failed call records %v", recs)
	}
	errVal, ok := vllmAttrs(t, recs[0])["error"].Any().(error)
	var ae *vllm.APIError
	if !ok || !errors.As(errVal, &ae) || ae.StatusCode != 404 {
		t.Fatalf("error attribute %#v", vllmAttrs(t, recs[0])["error"])
	}

	c2, debug := loggedClient(t, srv, slog.LevelDebug, vllm.WithLogPolicy(vllm.LogPolicy{Level: slog.LevelInfo}))
	if _, err := c2.Chat.Create(context.Background(), chatReq()); err != nil {
		t.Fatal(err)
	}
	recs = debug.records("vllm call")
	if len(recs) != 1 || recs[0].Level != slog.LevelInfo {
		t.Fatalf("call records %v", recs)
	}
	attrs := vllmAttrs(t, recs[0])
	if lat := attrs["latency_ms"]; lat.Kind() != slog.KindFloat64 || lat.Float64() <= 0 || lat.Float64() > 60_000 {
		t.Fatalf("latency_ms %v", lat)
	}
	if attrs["model"].String() != "m" || attrs["status"].Int64() != 200 {
		t.Fatalf("attrs %v", attrs)
	}
	for _, r := range debug.recs {
		if _, ok := vllmAttrs(t, r)["body"]; ok {
			t.Fatalf("%q logged a body without LogPolicy.Bodies", r.Message)
		}
	}
	if len(debug.records("vllm response")) != 0 {
		t.Fatal("response body logged without LogPolicy.Bodies")
	}
}

// TestLogStreamClosedEarly: a stream its caller closes before the end is
// not a failure: logged at the call level, marked closed_early, no error.
func TestLogStreamClosedEarly(t *testing.T) {
	srv := testServer(t)
	c, h := loggedClient(t, srv, slog.LevelDebug)
	srv.Enqueue(vllmtest.Reply{Content: "one two three four five six"})
	s, err := c.Chat.Stream(context.Background(), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	s.Next()
	s.Close()
	recs := h.records("vllm call")
	if len(recs) != 1 {
		t.Fatalf("%d call records", len(recs))
	}
	attrs := vllmAttrs(t, recs[0])
	if recs[0].Level != slog.LevelDebug || !attrs["closed_early"].Bool() {
		t.Fatalf("closed stream logged at %v with %v", recs[0].Level, attrs)
	}
	if _, ok := attrs["error"]; ok {
		t.Fatalf("closed stream logged with an error: %v", attrs)
	}
}
