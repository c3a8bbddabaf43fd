package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// ev is an event in comparable form.
type ev struct {
	Type, Data, ID string
	Unterminated   bool
}

func (e ev) String() string {
	return fmt.Sprintf("{type %q data %q id %q unterminated %v}", e.Type, e.Data, e.ID, e.Unterminated)
}

// decodeAll reads every event of in through a decoder with the given buffer
// size, feeding it through rd (which may split reads).
func decodeAll(t testing.TB, rd io.Reader, max, bufSize int) ([]ev, error) {
	t.Helper()
	d := &Decoder{}
	d.reset(rd, max, bufSize)
	var out []ev
	for {
		e, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev{string(e.Type), string(e.Data), string(e.ID), e.Unterminated})
		if len(out) > 1e6 {
			t.Fatal("runaway decoder")
		}
	}
}

// reference decodes in the most literal way the standard describes: split
// the whole input into lines, then interpret each line. It is the oracle of
// the fuzz target.
func reference(in []byte) []ev {
	in = bytes.TrimPrefix(in, bom)
	var lines []string
	terminated := true
	for len(in) > 0 {
		i := bytes.IndexAny(in, "\r\n")
		if i < 0 {
			lines = append(lines, string(in))
			terminated = false
			break
		}
		lines = append(lines, string(in[:i]))
		if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
			i++
		}
		in = in[i+1:]
	}
	var out []ev
	var data []string
	var typ, id string
	for _, line := range lines {
		if line == "" {
			if data != nil {
				out = append(out, ev{typ, strings.Join(data, "\n"), id, false})
			}
			data, typ = nil, ""
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "data":
			data = append(data, value)
		case "event":
			typ = value
		case "id":
			if !strings.Contains(value, "\x00") {
				id = value
			}
		}
	}
	_ = terminated
	if data != nil {
		out = append(out, ev{typ, strings.Join(data, "\n"), id, true})
	}
	return out
}

func same(a, b []ev) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRules(t *testing.T) {
	tests := []struct {
		name, in string
		want     []ev
	}{
		{"data with space", "data: hello\n\n", []ev{{Data: "hello"}}},
		{"data without space", "data:hello\n\n", []ev{{Data: "hello"}}},
		{"only one space removed", "data:  two\n\n", []ev{{Data: " two"}}},
		{"tab is kept", "data:\thi\n\n", []ev{{Data: "\thi"}}},
		{"multi data lines", "data: a\ndata: b\ndata:\ndata: c\n\n", []ev{{Data: "a\nb\n\nc"}}},
		{"empty data dispatches", "data\n\n", []ev{{Data: ""}}},
		{"empty data with colon", "data:\n\n", []ev{{Data: ""}}},
		{"comments ignored", ": ping\ndata: x\n: another\n\n: tail\n\n", []ev{{Data: "x"}}},
		{"blank lines without data", "\n\n\n\ndata: x\n\n\n", []ev{{Data: "x"}}},
		{"event type", "event: update\ndata: x\n\ndata: y\n\n", []ev{{Type: "update", Data: "x"}, {Data: "y"}}},
		{"event type reset without data", "event: a\n\ndata: y\n\n", []ev{{Data: "y"}}},
		{"id persists", "id: 7\ndata: x\n\ndata: y\n\nid\ndata: z\n\n", []ev{{Data: "x", ID: "7"}, {Data: "y", ID: "7"}, {Data: "z"}}},
		{"id with NUL ignored", "id: 1\ndata: x\n\nid: a\x00b\ndata: y\n\n", []ev{{Data: "x", ID: "1"}, {Data: "y", ID: "1"}}},
		{"unknown field ignored", "foo: bar\ndata: x\nDATA: y\n\n", []ev{{Data: "x"}}},
		{"field without colon", "data\ndata\n\n", []ev{{Data: "\n"}}},
		{"colon in value", "data: a:b: c\n\n", []ev{{Data: "a:b: c"}}},
		{"CRLF", "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", []ev{{Data: "a\nb"}, {Data: "c"}}},
		{"lone CR", "data: a\rdata: b\r\rdata: c\r\r", []ev{{Data: "a\nb"}, {Data: "c"}}},
		{"mixed endings", "data: a\r\ndata: b\rdata: c\n\r\n", []ev{{Data: "a\nb\nc"}}},
		{"BOM skipped", "\xEF\xBB\xBFdata: x\n\n", []ev{{Data: "x"}}},
		{"only first BOM skipped", "\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n", nil},
		{"BOM then comment", "\xEF\xBB\xBF: c\ndata: x\n\n", []ev{{Data: "x"}}},
		{"last event without blank line", "data: a\n\ndata: b\n", []ev{{Data: "a"}, {Data: "b", Unterminated: true}}},
		{"last line without ending", "data: a\n\ndata: {\"x\":", []ev{{Data: "a"}, {Data: "{\"x\":", Unterminated: true}}},
		{"pending type without data dropped", "data: a\n\nevent: x\n", []ev{{Data: "a"}}},
		{"empty stream", "", nil},
		{"vLLM framing", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []ev{{Data: `{"a":1}`}, {Data: "[DONE]"}}},
		{"UTF-8 kept", "data: héllo ✓\n\n", []ev{{Data: "héllo ✓"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ref := reference([]byte(tt.in)); !same(ref, tt.want) {
				t.Fatalf("reference disagrees with the test: %v", ref)
			}
			for _, bufSize := range []int{1, 2, 3, 7, initialBufSize} {
				for name, rd := range readers(tt.in) {
					got, err := decodeAll(t, rd, 0, bufSize)
					if err != nil {
						t.Fatalf("buf %d %s: %v", bufSize, name, err)
					}
					if !same(got, tt.want) {
						t.Fatalf("buf %d %s:\n got %v\nwant %v", bufSize, name, got, tt.want)
					}
				}
			}
		})
	}
}

// readers returns readers of s that deliver it whole, a byte at a time, and
// in halves.
func readers(s string) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":  strings.NewReader(s),
		"bytes":  iotest.OneByteReader(strings.NewReader(s)),
		"halves": iotest.HalfReader(strings.NewReader(s)),
	}
}

func TestCRLFSplitAcrossReads(t *testing.T) {
	// The CR arrives in one read and the LF in the next: the LF must not
	// count as a blank line.
	rd := &chunkReader{chunks: []string{"data: a\r", "\ndata: b\r", "\n\r", "\n"}}
	got, err := decodeAll(t, rd, 0, initialBufSize)
	if err != nil || !same(got, []ev{{Data: "a\nb"}}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestRetry(t *testing.T) {
	d := NewDecoder(strings.NewReader("retry: 1500\ndata: x\n\nretry: 12a\ndata: y\n\n"), 0)
	if _, ok := d.Retry(); ok {
		t.Fatal("retry set before any field")
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if r, ok := d.Retry(); !ok || r != 1500*time.Millisecond {
		t.Fatalf("retry = %v, %v", r, ok)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.Retry(); r != 1500*time.Millisecond {
		t.Fatalf("invalid retry changed it to %v", r)
	}
}

func TestComments(t *testing.T) {
	d := NewDecoder(strings.NewReader(": ping\n:\ndata: x\n\n"), 0)
	if _, err := d.Next(); err != nil || d.Comments() != 2 {
		t.Fatalf("comments %d, err %v", d.Comments(), err)
	}
}

func TestReadErrorReturned(t *testing.T) {
	boom := errors.New("boom")
	rd := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom))
	d := NewDecoder(rd, 0)
	e, err := d.Next()
	if err != nil || string(e.Data) != "a" {
		t.Fatalf("first: %q %v", e.Data, err)
	}
	if _, err := d.Next(); err != boom {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := d.Next(); err != boom {
		t.Fatalf("err not sticky: %v", err)
	}
}

func TestNoProgress(t *testing.T) {
	d := NewDecoder(zeroReader{}, 0)
	if _, err := d.Next(); err != io.ErrNoProgress {
		t.Fatalf("err = %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestTooLarge(t *testing.T) {
	const max = 100
	big := strings.Repeat("x", max)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"exactly max", "data: " + big + "\n\n", true},
		{"one line over", "data: " + big + "x\n\n", false},
		{"lines over together", "data: " + big[:50] + "\ndata: " + big[:50] + "\n\n", false},
		{"lines at max together", "data: " + big[:50] + "\ndata: " + big[:49] + "\n\n", true},
		{"huge comment", ": " + strings.Repeat("c", 10*max) + "\ndata: x\n\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, strings.NewReader(tt.in), max, 16)
			if tt.ok {
				if err != nil || len(got) != 1 {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			var tl *TooLargeError
			if !errors.As(err, &tl) || tl.Limit != max || !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want TooLargeError", err)
			}
		})
	}
}

// TestTooLargeBoundsMemory feeds an endless line and checks that the decoder
// stops with an error instead of buffering it all.
func TestTooLargeBoundsMemory(t *testing.T) {
	const max = 1 << 20
	rd := io.MultiReader(strings.NewReader("data: "), endless{})
	d := NewDecoder(rd, max)
	_, err := d.Next()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if cap(d.buf) > max+lineSlack || cap(d.data) > max {
		t.Fatalf("buffers grew to %d and %d bytes", cap(d.buf), cap(d.data))
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestFortyMiBLine(t *testing.T) {
	payload := `{"args":"` + strings.Repeat("a", 40<<20) + `"}`
	in := "data: {\"small\":1}\n\ndata: " + payload + "\n\ndata: [DONE]\n\n"
	d := NewDecoder(iotest.HalfReader(strings.NewReader(in)), 0)
	for i, want := range []string{`{"small":1}`, payload, "[DONE]"} {
		e, err := d.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if string(e.Data) != want {
			t.Fatalf("event %d: %d bytes, want %d", i, len(e.Data), len(want))
		}
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("err = %v", err)
	}
}

func TestDrain(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: [DONE]\n\ntrailing bytes"), 0)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if err := d.Drain(1 << 10); err != nil {
		t.Fatalf("drain: %v", err)
	}
	d = NewDecoder(endless{}, 0)
	if err := d.Drain(1 << 10); err != io.ErrShortBuffer {
		t.Fatalf("drain of endless stream: %v", err)
	}
}

func TestReset(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 1\ndata: a\n"), 0)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	d.Reset(strings.NewReader("data: b\n\n"), 10)
	e, err := d.Next()
	if err != nil || string(e.Data) != "b" || len(e.ID) != 0 || e.Unterminated || d.MaxEventSize() != 10 {
		t.Fatalf("after reset: %v %v", e, err)
	}
}

// TestZeroAllocs checks that the hot path allocates nothing per event once
// the buffers are warm.
func TestZeroAllocs(t *testing.T) {
	var sb strings.Builder
	for range 1000 {
		sb.WriteString("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n: ping\n\n")
	}
	in := sb.String()
	r := strings.NewReader(in)
	d := NewDecoder(r, 0)
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(in)
		d.Reset(r, 0)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per stream of 1000 events", allocs)
	}
}

func BenchmarkDecoder(b *testing.B) {
	var sb strings.Builder
	for range 1000 {
		sb.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"abc"},"logprobs":null,"finish_reason":null}]}` + "\n\n")
	}
	in := sb.String()
	r := strings.NewReader(in)
	d := NewDecoder(r, 0)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		d.Reset(r, 0)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

func TestRelease(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: a\n\ndata: b\n\n"), 0)
	if e, err := d.Next(); err != nil || string(e.Data) != "a" {
		t.Fatal(e, err)
	}
	d.Release()
	if _, err := d.Next(); err == nil || err == io.EOF {
		t.Fatalf("Next after Release: %v", err)
	}
	if err := d.Drain(10); err == nil {
		t.Fatal("Drain after Release succeeded")
	}
	d.Reset(strings.NewReader("data: c\n\n"), 0)
	if e, err := d.Next(); err != nil || string(e.Data) != "c" {
		t.Fatal(e, err)
	}
	// A decoder grown for a long line does not give its big buffer back.
	d.Reset(strings.NewReader("data: "+strings.Repeat("x", 100<<10)+"\n\n"), 0)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	d.Release()
	b := bufPool.Get().(*[]byte)
	if cap(*b) != initialBufSize {
		t.Fatalf("pool holds a %d-byte buffer", cap(*b))
	}
}

// A CR in a later event is found after the buffer has moved its bytes to
// the front or grown: quick remembers how far the buffer is known to hold
// no CR, and that knowledge must move with the bytes.
func TestCRAfterBufferMoves(t *testing.T) {
	var in []byte
	for i := range 60 {
		in = append(in, "data: "+strings.Repeat("x", i%3)+"\n\n"...)
		if i%4 == 3 {
			in = append(in, "data: a\rb\n\n"...)
		}
	}
	want := reference(in)
	for size := 8; size <= 64; size++ {
		for step := 1; step <= 64; step++ {
			got, err := decodeAll(t, &splitReader{data: in, step: step}, 0, size)
			if err != nil {
				t.Fatalf("buffer %d, reads of %d: %v", size, step, err)
			}
			if !same(got, want) {
				t.Fatalf("buffer %d, reads of %d:\n got %v\nwant %v", size, step, got, want)
			}
		}
	}
}

// A Drain cut short by its limit leaves a decoder that reads on from an
// empty buffer: what it knew about the CRs of the bytes it drained must go
// with them.
func TestCRAfterShortDrain(t *testing.T) {
	d := NewDecoder(&chunkReader{chunks: []string{
		"data: x\n\ndata: " + strings.Repeat("a", 40) + "\n\n", "Z", "data: q\n\ndata: a\rb\n\n",
	}}, 0)
	for range 2 { // the second on the fast path, which checks for CRs
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Drain(1); err != io.ErrShortBuffer {
		t.Fatalf("drain: %v", err)
	}
	for _, want := range []string{"q", "a"} {
		ev, err := d.Next()
		if err != nil || string(ev.Data) != want {
			t.Fatalf("event %q, %v; want %q", ev.Data, err, want)
		}
	}
}
