package vllm

// A generic event stream over internal/sse, used by the audio and Responses
// streams.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"sync"

	"github.com/vllmgo/vllm/internal/sse"
)

// maxSSEEvent bounds one event (all its data lines) of these streams.
const maxSSEEvent = 16 << 20

// sseEvent is one dispatched event: its event type ("" when the server sent
// no event: line) and its data lines joined by "\n". data is valid until the
// next event is read.
type sseEvent struct {
	typ  string
	data []byte
}

// sseReader adapts internal/sse's decoder: an event cut off by the end of
// the body is an unexpected end, not an event.
type sseReader struct{ d *sse.Decoder }

func newSSEReader(r io.Reader, max int) *sseReader {
	return &sseReader{d: sse.NewDecoder(r, max)}
}

// next returns the next event, io.EOF at a clean end of the body, or
// io.ErrUnexpectedEOF when the body ends inside an event.
func (s *sseReader) next() (sseEvent, error) {
	ev, err := s.d.Next()
	if err != nil {
		return sseEvent{}, err
	}
	if ev.Unterminated {
		return sseEvent{}, io.ErrUnexpectedEOF
	}
	return sseEvent{typ: string(ev.Type), data: ev.Data}, nil
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
	case errors.Is(err, sse.ErrTooLarge):
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
