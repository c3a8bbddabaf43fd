package vllm

// A small Server-Sent Events reader and a generic event stream over it, used
// by the audio and Responses streams. (The chat and completion streams have
// their own decoder; this one favours simplicity over speed.)

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"sync"
)

// maxSSEEvent bounds one event (all its data lines) of these streams.
const maxSSEEvent = 16 << 20

// sseEvent is one dispatched event: its event type ("" when the server sent
// no event: line) and its data lines joined by "\n".
type sseEvent struct {
	typ  string
	data []byte
}

// sseReader splits a text/event-stream body into events, per the WHATWG
// rules: lines end in LF, CRLF or CR; "field: value" with one optional space
// after the colon; comment lines start with ':'; a blank line dispatches; id
// and retry are ignored; an event without data is not dispatched.
type sseReader struct {
	r       *bufio.Reader
	max     int
	typ     []byte
	data    []byte
	hasData bool
	pendCR  bool // the last line ended in CR: skip an LF that follows
}

func newSSEReader(r io.Reader, max int) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 16<<10), max: max}
}

var errSSETooLarge = errors.New("event larger than the limit")

// readLine returns the next line without its terminator; io.EOF at the end
// (a last line without terminator is returned first).
func (s *sseReader) readLine() ([]byte, error) {
	var line []byte
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		if s.pendCR {
			s.pendCR = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n':
			return line, nil
		case '\r':
			s.pendCR = true
			return line, nil
		}
		if len(line) >= s.max {
			return nil, errSSETooLarge
		}
		line = append(line, b)
	}
}

// next returns the next event, io.EOF at a clean end of the body (no partial
// event pending), or io.ErrUnexpectedEOF when the body ends inside an event.
func (s *sseReader) next() (sseEvent, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && (s.hasData || len(s.typ) > 0) {
				return sseEvent{}, io.ErrUnexpectedEOF
			}
			return sseEvent{}, err
		}
		if len(line) == 0 {
			if !s.hasData {
				s.typ = s.typ[:0]
				continue
			}
			ev := sseEvent{typ: string(s.typ), data: s.data}
			s.typ, s.data, s.hasData = s.typ[:0], nil, false
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			s.typ = append(s.typ[:0], value...)
		case "data":
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			if len(s.data)+len(value) > s.max {
				return sseEvent{}, errSSETooLarge
			}
			s.data = append(s.data, value...)
			s.hasData = true
		}
	}
}

// eventDecoder turns one SSE event into a stream event. It returns done for
// the event that ends the stream (which is not handed to the caller when
// skip is also set), and an error for an error event or a bad payload.
type eventDecoder[E any] func(ev sseEvent) (out E, skip, done bool, err error)

// eventStream is a stream of events of type E read from an SSE response.
type eventStream[E any] struct {
	body   io.ReadCloser
	rd     *sseReader
	decode eventDecoder[E]
	// final reports whether the stream may end at EOF without a terminal
	// event (it reached one).
	finished bool
	token    func(E) bool
	usage    func(E) *Usage
	probe    streamProbe
	lastUse  *Usage

	cur    E
	err    error
	n      int
	closed sync.Once
	ended  bool
}

func newEventStream[E any](ctx context.Context, c *Client, r *apiRequest, body io.ReadCloser, dec eventDecoder[E], token func(E) bool, usage func(E) *Usage) *eventStream[E] {
	return &eventStream[E]{
		body: body, rd: newSSEReader(body, maxSSEEvent), decode: dec,
		token: token, usage: usage, probe: c.cfg.prod.startStream(ctx, r),
	}
}

// Next advances to the next event and reports whether there is one; after it
// returns false, Err tells why the stream ended (nil for a complete stream).
func (s *eventStream[E]) Next() bool {
	if s.ended {
		return false
	}
	for {
		ev, err := s.rd.next()
		if err != nil {
			s.fail(s.readError(err))
			return false
		}
		out, skip, done, err := s.decode(ev)
		if err != nil {
			s.fail(err)
			return false
		}
		if done {
			s.finished = true
		}
		if !skip {
			s.n++
			s.cur = out
			if u := s.usage(out); u != nil {
				s.lastUse = u
			}
			if s.probe != nil {
				s.probe.event(s.token(out))
			}
			if done {
				s.finish(nil)
			}
			return true
		}
		if done {
			s.finish(nil)
			return false
		}
	}
}

// readError classifies a failure to read the next event.
func (s *eventStream[E]) readError(err error) error {
	switch {
	case err == io.EOF && s.finished:
		return nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return &StreamError{Kind: KindUnexpectedEOF, Events: s.n, Err: io.ErrUnexpectedEOF}
	case errors.Is(err, errSSETooLarge):
		return &StreamError{Kind: KindTooLarge, Events: s.n, Err: err}
	case errors.Is(err, ErrTimeout):
		return &StreamError{Kind: KindIdleTimeout, Events: s.n, Err: err}
	}
	return &StreamError{Kind: KindTransport, Events: s.n, Err: err}
}

func (s *eventStream[E]) fail(err error) {
	var se *StreamError
	if err != nil && !errors.As(err, &se) {
		kind := KindMalformed
		var ae *APIError
		if errors.As(err, &ae) {
			kind = KindErrorEvent
			err = &StreamError{Kind: kind, API: ae, Events: s.n}
		} else {
			err = &StreamError{Kind: kind, Events: s.n, Err: err}
		}
	}
	s.finish(err)
}

func (s *eventStream[E]) finish(err error) {
	if s.ended {
		return
	}
	s.ended = true
	s.err = err
	if s.probe != nil {
		s.probe.end(s.lastUse, err)
	}
	s.close()
}

func (s *eventStream[E]) close() error {
	var err error
	s.closed.Do(func() { err = s.body.Close() })
	return err
}

// Event returns the event Next advanced to.
func (s *eventStream[E]) Event() E { return s.cur }

// Err returns the error that ended the stream, or nil.
func (s *eventStream[E]) Err() error { return s.err }

// Close stops the stream and releases its connection. It is safe to call
// more than once and concurrently with nothing else.
func (s *eventStream[E]) Close() error {
	if !s.ended {
		s.ended = true
		if s.probe != nil {
			s.probe.end(s.lastUse, context.Canceled)
		}
	}
	return s.close()
}

// Events returns the events as an iterator; a failure is yielded last with
// a zero event. Breaking out of the loop closes the stream.
func (s *eventStream[E]) Events() iter.Seq2[E, error] {
	return func(yield func(E, error) bool) {
		defer s.Close()
		for s.Next() {
			if !yield(s.cur, nil) {
				return
			}
		}
		if s.err != nil {
			var zero E
			yield(zero, s.err)
		}
	}
}

// errorEventPayload decodes an error object sent inside a stream: the
// chat-style {"error":{…}} or a Responses-style {"type":"error","message":…}.
func errorEventPayload(data []byte) *APIError {
	var probe struct {
		Error   json.RawMessage `json:"error"`
		Type    string          `json:"type"`
		Message json.RawMessage `json:"message"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return nil
	}
	if len(probe.Error) == 0 && probe.Type != "error" {
		return nil
	}
	e := &APIError{Body: append([]byte(nil), data...)}
	e.parseBody(data)
	if probe.Type == "error" && len(probe.Error) == 0 {
		e.Message, e.Code = rawText(probe.Message), rawText(probe.Code)
		e.Type = "error"
	}
	if n, err := parseStatus(e.Code); err == nil {
		e.StatusCode = n
	}
	return e
}

// parseStatus reads an HTTP status from an error code.
func parseStatus(code string) (int, error) {
	var n int
	if err := json.Unmarshal([]byte(code), &n); err != nil || n < 100 || n > 599 {
		return 0, errors.New("not a status")
	}
	return n, nil
}
