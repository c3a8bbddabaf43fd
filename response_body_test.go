package vllm_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

// bigBody is a JSON body of n bytes.
func bigBody(n int) []byte {
	b := []byte(`{"x":"` + strings.Repeat("a", n-9) + `"}`)
	return b[: n-2 : n-2]
}

// writeBig answers with body, announced by Content-Length or chunked.
func writeBig(w http.ResponseWriter, body []byte, chunked bool) {
	w.Header().Set("Content-Type", "application/json")
	if !chunked {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	for len(body) > 0 {
		n := min(len(body), 64<<10)
		w.Write(body[:n])
		if chunked {
			w.(http.Flusher).Flush()
		}
		body = body[n:]
	}
}

// A body over the client's bound is a *ResponseTooLargeError: not retried
// (the same request gets the same body), with the bound configurable.
func TestOversizedResponseIsTypedAndNotRetried(t *testing.T) {
	const limit = 1 << 20
	body := bigBody(2 * limit)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprint("chunked=", chunked), func(t *testing.T) {
			srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { writeBig(w, body, chunked) }))
			c := newClient(t, srv.URL+"/v1", vllm.WithMaxResponseSize(limit), fastRetry(3))
			_, err := c.Chat.Create(ctxT(t), chatReq())
			var tl *vllm.ResponseTooLargeError
			if !errors.As(err, &tl) || tl.Limit != limit {
				t.Fatalf("err = %v (%T), want *ResponseTooLargeError", err, err)
			}
			wantLen := int64(-1)
			if !chunked {
				wantLen = int64(len(body))
			}
			if tl.ContentLength != wantLen {
				t.Fatalf("ContentLength %d, want %d", tl.ContentLength, wantLen)
			}
			if vllm.IsRetryable(err) {
				t.Fatal("IsRetryable says true")
			}
			if n := srv.Count(); n != 1 {
				t.Fatalf("%d requests, want 1 (not retried)", n)
			}
			if !strings.Contains(err.Error(), "WithMaxResponseSize") {
				t.Fatalf("message %q does not say how to raise the bound", err)
			}
		})
	}
}

// Reading a body costs about one buffer of its size: one exact allocation
// with Content-Length, growth by doubling up to the bound (never past it)
// without, and nothing at all for an announced size over the bound.
func TestResponseBodyMemory(t *testing.T) {
	const limit = 4 << 20
	tests := []struct {
		name    string
		size    int
		chunked bool
		max     uint64 // bytes allocated by the whole call
	}{
		{"announced, within bound", 3 << 20, false, 3<<20 + 512<<10},
		{"announced, over bound", 8 << 20, false, 512 << 10},
		{"chunked, over bound", 8 << 20, true, 2*limit + 512<<10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bigBody(tt.size)
			srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { writeBig(w, body, tt.chunked) }))
			c := newClient(t, srv.URL+"/v1", vllm.WithMaxResponseSize(limit))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := c.Raw(ctxT(t), http.MethodGet, "/big", nil)
			runtime.ReadMemStats(&after)
			if tt.size > limit {
				var tl *vllm.ResponseTooLargeError
				if !errors.As(err, &tl) {
					t.Fatalf("err = %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tt.max {
				t.Fatalf("allocated %d KiB for a %d KiB body, want at most %d KiB", got>>10, tt.size>>10, tt.max>>10)
			}
		})
	}
}

// A non-streaming call whose body is cut midway is sent again when retries
// are on, as IsRetryable says of its error: re-sending an inference request
// is safe.
func TestBodyCutMidwayIsRetried(t *testing.T) {
	srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 2 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			cut(buf, `{"id":"chatcmpl-1","object":"chat.completion","choices":[`)
			return
		}
		okChat(w)
	}))

	plain := newClient(t, srv.URL+"/v1")
	_, err := plain.Chat.Create(ctxT(t), chatReq())
	var te *vllm.TransportError
	if !errors.As(err, &te) || te.Op != "read response" || !vllm.IsRetryable(err) {
		t.Fatalf("without retries: err = %v (%T), want a retryable read failure", err, err)
	}

	retrying := newClient(t, srv.URL+"/v1", fastRetry(2))
	resp, err := retrying.Chat.Create(ctxT(t), chatReq())
	if err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if len(resp.Choices) == 0 {
		t.Fatal("no choices")
	}
	if n := srv.Count(); n != 3 {
		t.Fatalf("%d requests, want 3 (one cut without retries, one cut then one whole with)", n)
	}
}

// cut writes a 200 response announcing 1000 bytes and sends only part.
func cut(buf *bufio.ReadWriter, part string) {
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n%s", part)
	buf.Flush()
}
