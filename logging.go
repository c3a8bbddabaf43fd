package vllm

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/textcut"
)

// maxLoggedBody bounds the bodies logged at Debug.
const maxLoggedBody = 2 << 10

// alwaysSafeHeaders are the headers whose values are always logged.
var alwaysSafeHeaders = []string{"Content-Type", "Accept", "User-Agent", headerRequestID}

// callLogger logs the calls of a client.
type callLogger struct {
	l      *slog.Logger
	level  slog.Level
	safe   map[string]bool
	bodies bool
}

// logHooks returns the hooks that log calls to l as p says.
func logHooks(l *slog.Logger, p LogPolicy) Hooks {
	cl := &callLogger{l: l, level: slog.LevelDebug, safe: map[string]bool{}, bodies: p.Bodies}
	if p.Level != nil {
		cl.level = p.Level.Level()
	}
	for _, h := range alwaysSafeHeaders {
		cl.safe[http.CanonicalHeaderKey(h)] = true
	}
	for _, h := range p.SafeHeaders {
		cl.safe[http.CanonicalHeaderKey(h)] = true
	}
	return Hooks{OnRequest: cl.attempt, OnRetry: cl.retry, OnCallEnd: cl.callEnd}
}

// log writes a record whose attributes are grouped under "vllm".
func (cl *callLogger) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	cl.l.LogAttrs(ctx, level, msg, slog.Attr{Key: "vllm", Value: slog.GroupValue(attrs...)})
}

func (cl *callLogger) attempt(ctx context.Context, req *RequestInfo) {
	if !cl.l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Call.Method), slog.String("url", req.URL),
		slog.String("model", req.Call.Model), slog.Int("attempt", req.Attempt),
		slog.String("request_id", req.Call.RequestID),
		slog.Any("headers", cl.redactedHeaders(req)),
	}
	if req.Body != nil && cl.bodies {
		attrs = append(attrs, slog.String("body", truncateBody(req.Body)))
	}
	cl.log(ctx, slog.LevelDebug, "vllm attempt", attrs...)
}

func (cl *callLogger) retry(ctx context.Context, req *RequestInfo, err error, wait time.Duration) {
	if !cl.l.Enabled(ctx, cl.level) {
		return
	}
	cl.log(ctx, cl.level, "vllm retry",
		slog.String("method", req.Call.Method), slog.String("path", req.Call.Path),
		slog.String("model", req.Call.Model), slog.Int("attempt", req.Attempt),
		slog.String("endpoint", req.Endpoint), slog.String("request_id", req.Call.RequestID),
		slog.Int("status", statusOf(nil, err)), slog.Any("error", err),
		slog.Float64("wait_ms", millis(wait)))
}

func (cl *callLogger) callEnd(ctx context.Context, call *CallInfo, res *CallResult) {
	closedEarly := call.Stream && errors.Is(res.Err, ErrStreamClosed)
	level := cl.level
	if res.Err != nil && !closedEarly {
		level = max(level, slog.LevelWarn)
	}
	if !cl.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("method", call.Method), slog.String("path", call.Path),
		slog.String("model", call.Model), slog.Int("status", res.StatusCode),
		slog.Int("attempts", res.Attempts), slog.String("endpoint", res.Endpoint),
		slog.Float64("latency_ms", millis(res.Duration)), slog.String("request_id", call.RequestID))
	if res.Usage != nil {
		attrs = append(attrs, slog.Int("prompt_tokens", res.Usage.PromptTokens),
			slog.Int("completion_tokens", res.Usage.CompletionTokens))
	}
	if call.Stream {
		attrs = append(attrs, slog.Bool("stream", true), slog.Int("events", res.Events),
			slog.Float64("ttft_ms", millis(res.TimeToFirstToken)))
	}
	switch {
	case closedEarly:
		attrs = append(attrs, slog.Bool("closed_early", true))
	case res.Err != nil:
		attrs = append(attrs, slog.Any("error", res.Err))
	}
	cl.log(ctx, level, "vllm call", attrs...)
	if res.Body != nil && cl.bodies && cl.l.Enabled(ctx, slog.LevelDebug) {
		cl.log(ctx, slog.LevelDebug, "vllm response", slog.String("request_id", call.RequestID),
			slog.String("body", truncateBody(res.Body)))
	}
}

// millis returns d in milliseconds, to the microsecond: a unit that reads
// the same in text and JSON logs (slog.Duration is nanoseconds in JSON).
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// redactedHeaders returns the headers of an attempt (client, request and
// attempt headers), with the value of every header not known to be safe
// replaced by "[REDACTED]".
func (cl *callLogger) redactedHeaders(req *RequestInfo) map[string]string {
	h := make(http.Header)
	h.Set("User-Agent", req.c.cfg.userAgent)
	if req.c.cfg.apiKey != "" {
		h.Set("Authorization", "x")
	}
	for k, vs := range req.c.cfg.headers {
		h[k] = vs
	}
	for k, vs := range req.r.rc.headers {
		h[k] = vs
	}
	for k, vs := range req.Header {
		h[k] = vs
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if cl.safe[http.CanonicalHeaderKey(k)] {
			out[k] = strings.Join(vs, ", ")
		} else {
			out[k] = "[REDACTED]"
		}
	}
	return out
}

// truncateBody returns b as text, cut to maxLoggedBody bytes.
func truncateBody(b []byte) string {
	return textcut.Cut(b, maxLoggedBody, "…(truncated)")
}
