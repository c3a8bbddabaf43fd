package vllm

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 700)
	resp := func(r io.Reader, length int64) *http.Response {
		return &http.Response{Body: io.NopCloser(r), ContentLength: length}
	}
	for _, tc := range []struct {
		name   string
		r      io.Reader
		length int64
	}{
		{"exact length", strings.NewReader(body), int64(len(body))},
		{"unknown length", strings.NewReader(body), -1},
		{"length too small", strings.NewReader(body), 10},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(body)), int64(len(body))},
		{"data with EOF", iotest.DataErrReader(strings.NewReader(body)), -1},
	} {
		got, err := readBody(resp(tc.r, tc.length), int64(len(body)))
		if err != nil || string(got) != body {
			t.Errorf("%s: got %d bytes, %v; want the %d bytes", tc.name, len(got), err, len(body))
		}
	}
	if got, err := readBody(resp(strings.NewReader(""), 0), 10); err != nil || len(got) != 0 {
		t.Errorf("empty body: %q, %v", got, err)
	}
	for _, length := range []int64{-1, int64(len(body)), int64(len(body)) - 1} {
		_, err := readBody(resp(strings.NewReader(body), length), int64(len(body))-1)
		var tl *ResponseTooLargeError
		if !errors.As(err, &tl) || tl.Limit != 6999 || tl.ContentLength != length {
			t.Errorf("over the limit (length %d): %v", length, err)
		}
	}
	// An announced length over the limit fails before anything is read.
	r0 := &countingReader{r: strings.NewReader(body)}
	if _, err := readBody(resp(r0, 1<<40), 7000); err == nil || r0.n != 0 {
		t.Errorf("announced 1 TiB: %v after reading %d bytes", err, r0.n)
	}
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))
	if _, err := readBody(resp(r, -1), 100); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	// The exact Content-Length is read into one buffer, EOF included.
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := readBody(resp(bytes.NewReader([]byte(body)), int64(len(body))), 1<<20); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 4 { // the Response, reader and NopCloser, and the buffer
		t.Errorf("readBody allocated %v times, want at most 4", allocs)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
