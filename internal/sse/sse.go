// Package sse decodes server-sent events (the text/event-stream format) as
// the WHATWG HTML standard defines them, with a bounded event size and an
// allocation-free hot path.
//
// The decoder follows the standard's line rules: lines end with LF, CRLF or a
// lone CR; a leading UTF-8 byte order mark is skipped; a line starting with a
// colon is a comment; "field: value" loses one space after the colon; a line
// without a colon is a field with an empty value; several data lines are
// joined with LF; a blank line dispatches the event; id values containing NUL
// are ignored; retry takes only ASCII digits. Unlike a browser, the decoder
// also hands out an event that the end of the stream cut short (no blank
// line after it, or no line ending at all), marked Unterminated, so that a
// caller can tell a truncated payload from a missing one.
//
// Events are returned with slices that borrow the decoder's buffers: they are
// valid only until the next call of Next. Copy what you keep.
package sse

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxEventSize is the default bound of an event's data: 64 MiB.
const DefaultMaxEventSize = 64 << 20

// initialBufSize is the size of the read buffer a decoder starts with; it
// grows (up to the maximum event size plus a little) only for longer lines.
const initialBufSize = 32 << 10

// lineSlack is what a line may hold beyond the maximum event size: the field
// name, the colon, the space and the line ending.
const lineSlack = 64

// TooLargeError reports an event whose data, or a line, exceeded the
// decoder's maximum event size. The decoder stops at that point: it does not
// buffer the rest of the oversized event.
type TooLargeError struct {
	// Limit is the maximum event size in bytes.
	Limit int
}

// Error states the limit.
func (e *TooLargeError) Error() string {
	return "sse: event larger than " + strconv.Itoa(e.Limit) + " bytes"
}

// Is matches ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrTooLarge matches every *TooLargeError.
var ErrTooLarge = errors.New("sse: event too large")

// Event is one dispatched event. Its slices borrow the decoder's buffers and
// are valid until the next call of Decoder.Next.
type Event struct {
	// Type is the event field; empty means the default type, "message".
	Type []byte
	// Data is the event's data: its data lines joined with LF.
	Data []byte
	// ID is the last event ID seen on the stream so far (it persists
	// across events, as the standard says).
	ID []byte
	// Unterminated reports that the stream ended before the blank line that
	// dispatches this event (possibly in the middle of its last line).
	// A browser would drop such an event.
	Unterminated bool
}

// Decoder reads events from a stream. It is not safe for concurrent use.
type Decoder struct {
	rd  io.Reader
	buf []byte
	// buf[r:w] holds bytes read but not consumed; scan is where the search
	// for the end of the current line resumes (r <= scan <= w).
	r, w, scan int
	// buf[lo:noCR] holds no CR, for an lo at or before every line still to
	// be read: quick searches each stretch of the buffer for a CR once,
	// not once per event.
	noCR    int
	max     int
	err     error // sticky read error
	skipLF  bool  // the last line ended with CR: a following LF belongs to it
	started bool  // the byte order mark check is done

	// The event being assembled. Data of a single data line is borrowed
	// from buf (dOff, dLen); a second data line moves it into data.
	nData      int
	borrowed   bool
	dOff, dLen int
	data       []byte
	evType     []byte
	id         []byte
	retry      time.Duration
	hasRetry   bool
	comments   int
}

// NewDecoder returns a decoder reading from rd whose events' data may hold
// up to maxEventSize bytes; zero or less means DefaultMaxEventSize.
func NewDecoder(rd io.Reader, maxEventSize int) *Decoder {
	d := &Decoder{}
	d.Reset(rd, maxEventSize)
	return d
}

// Reset makes d read a new stream from rd, keeping its buffers (unless they
// grew beyond the initial size). maxEventSize is as for NewDecoder.
func (d *Decoder) Reset(rd io.Reader, maxEventSize int) {
	d.reset(rd, maxEventSize, initialBufSize)
}

func (d *Decoder) reset(rd io.Reader, maxEventSize, bufSize int) {
	if maxEventSize <= 0 {
		maxEventSize = DefaultMaxEventSize
	}
	buf := d.buf
	if cap(buf) != bufSize {
		if bufSize == initialBufSize {
			buf = *bufPool.Get().(*[]byte)
		} else {
			buf = make([]byte, bufSize)
		}
	}
	data, evType, id := d.data[:0], d.evType[:0], d.id[:0]
	if cap(data) > bufSize {
		data = nil
	}
	*d = Decoder{rd: rd, buf: buf[:cap(buf)], max: maxEventSize, data: data, evType: evType, id: id}
}

// bufPool holds read buffers of the initial size, so that a program reading
// many short streams does not allocate (and clear) one per stream.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, initialBufSize)
	return &b
}}

// errReleased is the error of a decoder used after Release.
var errReleased = errors.New("sse: decoder used after Release")

// Release gives the decoder's read buffer back to a shared pool, for reuse
// by other decoders. Every slice the decoder handed out becomes invalid, and
// the decoder fails until Reset.
func (d *Decoder) Release() {
	if cap(d.buf) == initialBufSize {
		b := d.buf[:cap(d.buf)]
		bufPool.Put(&b)
	}
	d.buf, d.r, d.w, d.scan, d.noCR = nil, 0, 0, 0, 0
	d.nData, d.borrowed = 0, false
	d.err = errReleased
}

// MaxEventSize returns the decoder's bound on an event's data.
func (d *Decoder) MaxEventSize() int { return d.max }

// Retry returns the reconnection time the stream set with a retry field, and
// whether it set one.
func (d *Decoder) Retry() (time.Duration, bool) { return d.retry, d.hasRetry }

// Comments returns the number of comment lines (such as ": ping"
// keep-alives) read so far.
func (d *Decoder) Comments() int { return d.comments }

// Next returns the next event. At the end of the stream it returns io.EOF;
// a read error is returned as it is; an oversized event gives a
// *TooLargeError. After an error, Next keeps returning it.
func (d *Decoder) Next() (Event, error) {
	d.nData, d.borrowed = 0, false
	d.data, d.evType = d.data[:0], d.evType[:0]
	if ev, ok := d.quick(); ok {
		return ev, nil
	}
	for {
		start, end, err := d.readLine()
		if err != nil {
			if err == io.EOF && d.nData > 0 {
				return d.dispatch(true), nil
			}
			return Event{}, err
		}
		if start == end {
			if d.nData > 0 {
				return d.dispatch(false), nil
			}
			d.evType = d.evType[:0]
			continue
		}
		if err := d.field(start, end); err != nil {
			d.err = err
			return Event{}, err
		}
	}
}

// quick decodes the common event, "data: <payload>\n\n" held whole in
// the buffer with no CR in it, without the general line machinery; it
// reports false for anything else.
func (d *Decoder) quick() (Event, bool) {
	const prefix = "data: "
	if !d.started || d.skipLF || d.w-d.r < len(prefix)+2 || string(d.buf[d.r:d.r+len(prefix)]) != prefix {
		return Event{}, false
	}
	start := d.r + len(prefix)
	b := d.buf[start:d.w]
	i := bytes.IndexByte(b, '\n')
	if i < 0 || i+1 >= len(b) || b[i+1] != '\n' || i > d.max {
		return Event{}, false
	}
	if end := start + i; end > d.noCR {
		from := max(start, d.noCR)
		if k := bytes.IndexByte(d.buf[from:d.w], '\r'); k >= 0 {
			d.noCR = from + k
		} else {
			d.noCR = d.w
		}
		if end > d.noCR {
			return Event{}, false
		}
	}
	d.r = start + i + 2
	d.scan = d.r
	return Event{Type: d.evType, Data: b[:i:i], ID: d.id}, true
}

func (d *Decoder) dispatch(unterminated bool) Event {
	ev := Event{Type: d.evType, ID: d.id, Unterminated: unterminated}
	if d.borrowed {
		ev.Data = d.buf[d.dOff : d.dOff+d.dLen : d.dOff+d.dLen]
	} else {
		ev.Data = d.data
	}
	d.nData = 0
	return ev
}

// field processes the non-empty line buf[start:end].
func (d *Decoder) field(start, end int) error {
	line := d.buf[start:end]
	if line[0] == ':' {
		d.comments++
		return nil
	}
	colon := bytes.IndexByte(line, ':')
	name, vOff := line, end
	if colon >= 0 {
		name = line[:colon]
		vOff = start + colon + 1
		if vOff < end && d.buf[vOff] == ' ' {
			vOff++
		}
	}
	value := d.buf[vOff:end]
	switch string(name) {
	case "data":
		return d.addData(vOff, end)
	case "event":
		d.evType = append(d.evType[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.id = append(d.id[:0], value...)
		}
	case "retry":
		if ms, ok := digits(value); ok {
			d.retry, d.hasRetry = time.Duration(ms)*time.Millisecond, true
		}
	}
	return nil
}

// digits parses a non-empty run of ASCII digits, saturating on overflow.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < (1<<63-1)/int64(time.Millisecond)/10 {
			n = n*10 + int64(c-'0')
		}
	}
	return n, true
}

func (d *Decoder) addData(vOff, end int) error {
	n := end - vOff
	switch d.nData {
	case 0:
		if n > d.max {
			return &TooLargeError{Limit: d.max}
		}
		d.borrowed, d.dOff, d.dLen = true, vOff, n
	default:
		size := n + 1
		if d.borrowed {
			size += d.dLen
		} else {
			size += len(d.data)
		}
		if size > d.max {
			return &TooLargeError{Limit: d.max}
		}
		d.unborrow()
		d.data = append(d.data, '\n')
		d.data = append(d.data, d.buf[vOff:end]...)
	}
	d.nData++
	return nil
}

// unborrow moves borrowed data into the decoder's own data buffer.
func (d *Decoder) unborrow() {
	if d.borrowed {
		d.data = append(d.data[:0], d.buf[d.dOff:d.dOff+d.dLen]...)
		d.borrowed = false
	}
}

// readLine returns the bounds in buf of the next line, without its line
// ending. At the end of the stream a last line without a line ending is
// returned, then io.EOF.
func (d *Decoder) readLine() (start, end int, err error) {
	for {
		if d.skipLF && d.r < d.w {
			if d.buf[d.r] == '\n' {
				d.r++
				if d.scan < d.r {
					d.scan = d.r
				}
			}
			d.skipLF = false
		}
		if !d.started {
			if d.w-d.r < 3 && d.err == nil {
				if err := d.fill(); err != nil {
					return 0, 0, err
				}
				continue
			}
			d.started = true
			if bytes.HasPrefix(d.buf[d.r:d.w], bom) {
				d.r += 3
				d.scan = d.r
			}
		}
		if i := d.findEOL(); i >= 0 {
			start, end = d.r, i
			if d.buf[i] == '\r' {
				if i+1 < d.w {
					if d.buf[i+1] == '\n' {
						i++
					}
				} else {
					d.skipLF = true
				}
			}
			d.r = i + 1
			d.scan = d.r
			return start, end, nil
		}
		if d.err != nil {
			if d.err == io.EOF && d.r < d.w {
				start, end = d.r, d.w
				d.r, d.scan = d.w, d.w
				return start, end, nil
			}
			return 0, 0, d.err
		}
		if err := d.fill(); err != nil {
			return 0, 0, err
		}
	}
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// findEOL returns the index of the first CR or LF in buf[scan:w], or -1
// (and moves scan to w).
func (d *Decoder) findEOL() int {
	b := d.buf[d.scan:d.w]
	lf := bytes.IndexByte(b, '\n')
	var cr int
	if lf >= 0 {
		cr = bytes.IndexByte(b[:lf], '\r')
	} else {
		cr = bytes.IndexByte(b, '\r')
	}
	switch {
	case cr >= 0:
		return d.scan + cr
	case lf >= 0:
		return d.scan + lf
	}
	d.scan = d.w
	return -1
}

// fill reads more bytes into buf, making room first. It returns a non-nil
// error only when the line being read cannot fit (a *TooLargeError); read
// errors are kept in d.err for readLine to see once the buffer is used up.
func (d *Decoder) fill() error {
	if d.err != nil {
		return nil
	}
	if d.r == d.w && !(d.borrowed && d.nData > 0) {
		d.r, d.w, d.scan, d.noCR = 0, 0, 0, 0
	}
	if d.w == len(d.buf) {
		if err := d.makeRoom(); err != nil {
			d.err = err
			return err
		}
	}
	for i := 0; i < 100; i++ {
		n, err := d.rd.Read(d.buf[d.w:])
		d.w += n
		if err != nil {
			d.err = err
			return nil
		}
		if n > 0 {
			return nil
		}
	}
	d.err = io.ErrNoProgress
	return nil
}

// makeRoom frees or adds space at the end of a full buffer: it moves the
// bytes still needed (the current line and borrowed data) to the front, and
// grows the buffer, up to the maximum event size plus some slack.
func (d *Decoder) makeRoom() error {
	keep := d.r
	if d.borrowed && d.nData > 0 && d.dOff < keep {
		keep = d.dOff
	}
	limit := d.max + lineSlack
	if keep == 0 && len(d.buf) >= limit {
		if d.borrowed && d.nData > 0 && d.r > 0 {
			d.unborrow()
			keep = d.r
		} else {
			return &TooLargeError{Limit: d.max}
		}
	}
	if keep > 0 {
		copy(d.buf, d.buf[keep:d.w])
		d.r -= keep
		d.w -= keep
		d.scan -= keep
		d.noCR = max(d.noCR-keep, 0)
		if d.borrowed {
			d.dOff -= keep
		}
		if d.w < len(d.buf) {
			return nil
		}
	}
	size := 2 * len(d.buf)
	if size > limit || size < 0 {
		size = limit
	}
	nb := make([]byte, size)
	copy(nb, d.buf[:d.w])
	d.buf = nb
	return nil
}

// Drain reads and discards the rest of the stream, at most limit bytes, so
// that an HTTP connection can be reused. It returns nil at the end of the
// stream and io.ErrShortBuffer when more than limit bytes remained.
func (d *Decoder) Drain(limit int64) error {
	d.r, d.w, d.scan, d.noCR = 0, 0, 0, 0
	d.nData, d.borrowed = 0, false
	for limit > 0 && d.err == nil {
		p := d.buf
		if int64(len(p)) > limit {
			p = p[:limit]
		}
		n, err := d.rd.Read(p)
		limit -= int64(n)
		if err != nil {
			d.err = err
		}
	}
	switch d.err {
	case io.EOF:
		return nil
	case nil:
		return io.ErrShortBuffer
	}
	return d.err
}
