package vllm

import (
	"fmt"
	"net/http"
	"strings"
)

// sseResponse starts an event-stream response as vLLM does.
type sseResponse struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) *sseResponse {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	f := w.(http.Flusher)
	f.Flush()
	return &sseResponse{w: w, f: f}
}

// sseHandler is a handler that starts an event stream on every request and
// has send write it.
func sseHandler(send func(s *sseResponse)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { send(startSSE(w)) })
}

// data sends one event "data: <payload>\n\n" and flushes it.
func (s *sseResponse) data(payload string) {
	fmt.Fprintf(s.w, "data: %s\n\n", payload)
	s.f.Flush()
}

// raw sends bytes as they are.
func (s *sseResponse) raw(b string) {
	_, _ = s.w.Write([]byte(b))
	s.f.Flush()
}

// vllmChunk renders a chat chunk as vLLM does, with the given choice JSON.
func vllmChunk(choices ...string) string {
	return `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":[` +
		strings.Join(choices, ",") + `]}`
}

// contentChoice renders a choice with a content delta.
func contentChoice(index int, text string) string {
	return fmt.Sprintf(`{"index":%d,"delta":{"content":%s},"logprobs":null,"finish_reason":null}`, index, jsonString(text))
}

// jsonString encodes s as vLLM's pydantic models do: UTF-8 as it is, and
// only the quote, the backslash and control characters escaped.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// closeIdle drops the client's idle connections (for goroutine checks).
func closeIdle(c *Client) {
	if tr, ok := c.cfg.http.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
}

// collectText collects a chat stream and returns its first choice's text.
func collectText(s *ChatStream) (string, error) {
	resp, err := s.Collect()
	return resp.Text(), err
}

// collectCompletionText collects a completion stream and returns its first
// choice's text.
func collectCompletionText(s *CompletionStream) (string, error) {
	resp, err := s.Collect()
	return resp.Text(), err
}
