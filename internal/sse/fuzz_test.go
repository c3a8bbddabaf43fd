package sse

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzDecoder checks the decoder against the literal reference decoder for
// any input, any split of the input into reads and any buffer size; with a
// small maximum event size it checks that the decoder fails exactly when an
// event or a line is too large.
func FuzzDecoder(f *testing.F) {
	seeds := []string{
		"data: hello\n\n",
		"data:a\r\ndata:b\r\n\r\n",
		"data: a\rdata: b\r\r",
		"\xEF\xBB\xBFdata: x\n\n",
		": ping\n\nevent: e\nid: 1\nretry: 10\ndata: x\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n",
		"data: cut",
		"data: a\n\ndata: b\n",
		"id: \x00\ndata\n\n",
		"data: " + string(bytes.Repeat([]byte("y"), 300)) + "\n\n",
		"\r\n\r\r\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(3), uint16(5))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8, bufSize uint16) {
		want := reference(in)
		size := int(bufSize%64) + 1
		rd := &splitReader{data: in, step: int(split%17) + 1}
		got, err := decodeAll(t, rd, 0, size)
		if err != nil {
			t.Fatalf("error %v", err)
		}
		if !same(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}

		// With a small limit: the events before the error agree with the
		// reference, and an error means something was really too large.
		const max = 8
		rd = &splitReader{data: in, step: int(split%17) + 1}
		got, err = decodeAll(t, rd, max, size)
		if !same(got, want[:min(len(got), len(want))]) || len(got) > len(want) {
			t.Fatalf("small limit: got %v\nwant prefix of %v", got, want)
		}
		if err == nil {
			if len(got) != len(want) {
				t.Fatalf("small limit: %d events, want %d", len(got), len(want))
			}
			for _, e := range got {
				if len(e.Data) > max {
					t.Fatalf("event of %d bytes passed limit %d", len(e.Data), max)
				}
			}
			return
		}
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("small limit: %v", err)
		}
		if !tooLarge(in, want, max) {
			t.Fatalf("small limit: error %v, but nothing is too large", err)
		}
	})
}

// tooLarge reports whether some event of want has more than max bytes of
// data or some line of in is longer than the decoder tolerates.
func tooLarge(in []byte, want []ev, max int) bool {
	for _, e := range want {
		if len(e.Data) > max {
			return true
		}
	}
	for _, line := range bytes.FieldsFunc(in, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if len(line) > max {
			return true // a data line over max, or a long line the buffer cannot hold
		}
	}
	return false
}

type splitReader struct {
	data []byte
	step int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.step, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
