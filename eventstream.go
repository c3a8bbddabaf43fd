package vllm

// A generic event stream over the streaming layer's streamCore, used by the
// audio and Responses streams.

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
)

// eventDecoder turns one event's payload (and its event type, for streams
// with event: lines) into a stream event. It returns done for the event that
// ends the stream, an *APIError for an error the server sent inside the
// stream, and any other error for a payload it cannot decode.
type eventDecoder[E any] func(typ string, data []byte) (out E, done bool, err error)

// eventStream is a stream of events of type E, read by the streaming layer's
// streamCore (idle timeout, maximum event size, draining, the production
// probe, Close from any goroutine).
type eventStream[E any] struct {
	core streamCore
	// typed streams (the Responses API) name each event with an event:
	// line and end with a terminal event; untyped ones (audio) are data
	// payloads ending with [DONE].
	typed  bool
	what   string
	decode eventDecoder[E]
	token  func(E) bool
	usage  func(E) *Usage
	last   *Usage
	cur    E
}

// init sets how the stream's events are read and decoded.
func (s *eventStream[E]) init(typed bool, what string, dec eventDecoder[E], token func(E) bool, usage func(E) *Usage) {
	s.typed, s.what, s.decode, s.token, s.usage = typed, what, dec, token, usage
}

// open sends r (a streaming request) and returns once the response headers
// have arrived.
func (s *eventStream[E]) open(ctx context.Context, c *Client, r *apiRequest) error {
	_, err := c.openStream(ctx, r, &s.core)
	return err
}

// payload returns the next event's type and data, or false when the stream
// ended (Err says why).
func (s *eventStream[E]) payload() (typ string, data []byte, unterminated, ok bool) {
	if !s.typed {
		data, unterminated, kind := s.core.next()
		switch kind {
		case payloadDone:
			s.core.finish(s.last)
			return "", nil, false, false
		case payloadEnd:
			return "", nil, false, false
		}
		return "", data, unterminated, true
	}
	for !s.core.ended {
		ev, err := s.core.dec.Next()
		if err != nil {
			s.core.fail(s.core.readError(err))
			break
		}
		if len(ev.Data) == 0 {
			continue
		}
		if string(ev.Data) == "[DONE]" {
			s.core.finish(s.last)
			break
		}
		return string(ev.Type), ev.Data, ev.Unterminated, true
	}
	return "", nil, false, false
}

// next advances to the next event and reports whether there is one; after it
// returns false, failure tells why the stream ended (nil for a complete
// stream).
func (s *eventStream[E]) next() bool {
	if s.core.cancelled() || !s.core.enter() {
		return false
	}
	ok := s.advance()
	s.core.leave()
	return ok
}

// advance is next inside enter and leave: a Close from another goroutine
// meanwhile leaves the probe's report (and the summary of what was read) to
// leave, on this goroutine.
func (s *eventStream[E]) advance() bool {
	typ, data, unterminated, ok := s.payload()
	if !ok {
		return false
	}
	out, done, err := s.decode(typ, data)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			s.core.fail(&StreamError{Kind: KindErrorEvent, API: ae, Events: s.core.delivered})
		} else {
			de := newDecodeError(s.what, data, err)
			kind := KindMalformed
			if unterminated {
				kind = KindUnexpectedEOF
			}
			s.core.fail(&StreamError{Kind: kind, Events: s.core.delivered, Err: de})
		}
		return false
	}
	s.cur = out
	if u := s.usage(out); u != nil {
		s.last = u
	}
	s.core.event(s.token(out))
	if done {
		s.core.finish(s.last)
	}
	return true
}

// events is the stream as an iterator; a failure is yielded last with a
// zero event. Leaving the loop early closes the stream.
func (s *eventStream[E]) events() iter.Seq2[E, error] {
	return func(yield func(E, error) bool) {
		for s.next() {
			if !yield(s.cur, nil) {
				s.core.close()
				return
			}
		}
		if err := s.core.failure(); err != nil {
			var zero E
			yield(zero, err)
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
