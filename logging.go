package vllm

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxLoggedBody bounds the bodies logged at Debug.
const maxLoggedBody = 2 << 10

// logHooks returns the hooks that log calls to l.
func logHooks(l *slog.Logger) Hooks {
	return Hooks{
		OnRequest: func(ctx context.Context, req *RequestInfo) {
			if !l.Enabled(ctx, slog.LevelDebug) {
				return
			}
			attrs := []slog.Attr{
				slog.String("method", req.Call.Method), slog.String("url", req.URL),
				slog.String("model", req.Call.Model), slog.Int("attempt", req.Attempt),
				slog.String("request_id", req.Call.RequestID),
				slog.Any("headers", redactedHeaders(req)),
			}
			if req.Body != nil {
				attrs = append(attrs, slog.String("body", truncateBody(req.Body)))
			}
			l.LogAttrs(ctx, slog.LevelDebug, "vllm attempt", attrs...)
		},
		OnRetry: func(ctx context.Context, req *RequestInfo, err error, wait time.Duration) {
			l.LogAttrs(ctx, slog.LevelInfo, "vllm retry",
				slog.String("method", req.Call.Method), slog.String("path", req.Call.Path),
				slog.String("model", req.Call.Model), slog.Int("attempt", req.Attempt),
				slog.String("endpoint", req.Endpoint), slog.String("request_id", req.Call.RequestID),
				slog.Int("status", statusOf(nil, err)), slog.String("error", err.Error()),
				slog.Duration("wait", wait))
		},
		OnCallEnd: func(ctx context.Context, call *CallInfo, res *CallResult) {
			level := slog.LevelInfo
			if res.Err != nil {
				level = slog.LevelWarn
			}
			if !l.Enabled(ctx, level) {
				return
			}
			attrs := make([]slog.Attr, 0, 16)
			attrs = append(attrs,
				slog.String("method", call.Method), slog.String("path", call.Path),
				slog.String("model", call.Model), slog.Int("status", res.StatusCode),
				slog.Int("attempts", res.Attempts), slog.String("endpoint", res.Endpoint),
				slog.Duration("latency", res.Duration), slog.String("request_id", call.RequestID))
			if res.Usage != nil {
				attrs = append(attrs, slog.Int("prompt_tokens", res.Usage.PromptTokens),
					slog.Int("completion_tokens", res.Usage.CompletionTokens))
			}
			if call.Stream {
				attrs = append(attrs, slog.Bool("stream", true), slog.Int("events", res.Events),
					slog.Duration("ttft", res.TimeToFirstToken))
			}
			if res.Err != nil {
				attrs = append(attrs, slog.String("error", res.Err.Error()))
			}
			l.LogAttrs(ctx, level, "vllm call", attrs...)
			if res.Body != nil && l.Enabled(ctx, slog.LevelDebug) {
				l.LogAttrs(ctx, slog.LevelDebug, "vllm response", slog.String("request_id", call.RequestID),
					slog.String("body", truncateBody(res.Body)))
			}
		},
	}
}

// sensitiveHeaders are logged as [REDACTED].
var sensitiveHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
	"X-Api-Key": true, "Api-Key": true,
}

// redactedHeaders returns the headers of an attempt (client, request and
// attempt headers) with credentials replaced.
func redactedHeaders(req *RequestInfo) map[string]string {
	h := make(http.Header)
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
		if sensitiveHeaders[http.CanonicalHeaderKey(k)] {
			out[k] = "[REDACTED]"
		} else {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

// truncateBody returns b as text, cut to maxLoggedBody bytes.
func truncateBody(b []byte) string {
	if len(b) <= maxLoggedBody {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	cut := maxLoggedBody
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") + "…(truncated)"
}
