package vllm

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"
	"strings"
)

// EventType says what a stream event carries.
type EventType uint8

// The types of stream events.
const (
	// EventContent carries a piece of the answer in Text.
	EventContent EventType = iota + 1
	// EventReasoning carries a piece of the reasoning ("thinking") in
	// Text, read from "reasoning" or, from older vLLM, "reasoning_content".
	EventReasoning
	// EventToolCallDelta carries a piece of a tool call in ToolCall (its
	// position in ToolIndex): the ID, Type and Name known so far, and an
	// Arguments fragment.
	EventToolCallDelta
	// EventToolCallDone carries a complete tool call in ToolCall, with the
	// whole Arguments; it comes once per call, when the call's choice
	// finishes (or at the end of the stream), in index order.
	EventToolCallDone
	// EventUsage carries token counts in Usage: the final usage, or with
	// stream_options.continuous_usage_stats the usage so far, per chunk.
	EventUsage
	// EventFinish says a choice finished: FinishReason and (vLLM)
	// StopReason.
	EventFinish
	// EventDone is the last event: the server sent "data: [DONE]".
	EventDone
)

var eventTypeNames = [...]string{
	EventContent:       "content",
	EventReasoning:     "reasoning",
	EventToolCallDelta: "tool_call_delta",
	EventToolCallDone:  "tool_call_done",
	EventUsage:         "usage",
	EventFinish:        "finish",
	EventDone:          "done",
}

// String names the event type.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && eventTypeNames[t] != "" {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// ChatEvent is one event of a chat stream. Which fields are set depends on
// Type; one chunk sent by the server may yield several events (a delta with
// reasoning and content, parallel tool calls, a finish reason, usage).
type ChatEvent struct {
	Type EventType // what the event carries; which fields are set depends on it
	// Choice is the index of the choice (n > 1) the event belongs to; -1
	// for events of the whole stream (EventUsage, EventDone).
	Choice int
	// Text is the content or reasoning fragment (EventContent,
	// EventReasoning). It is the caller's to keep; the short texts of one
	// stream share 4 KiB blocks of memory, so keeping one keeps its block
	// alive (never more than the stream's own texts).
	Text string
	// ToolCall is set for EventToolCallDelta and EventToolCallDone: for a
	// completed call, the call as a response holds it, ready for
	// DecodeArguments and ToolResult; for a delta, the argument fragment in
	// Arguments, with the ID, Type and Name as far as the server has sent
	// them (vLLM sends them in the call's first delta only; the stream
	// repeats them in every later event of the call).
	ToolCall ToolCall
	// ToolIndex is the call's position among the choice's tool calls, for
	// EventToolCallDelta and EventToolCallDone.
	ToolIndex int
	// Usage is set for EventUsage.
	Usage *Usage
	// FinishReason and StopReason are set for EventFinish.
	FinishReason string
	StopReason   *StopReason // the stop string or token (vLLM), for EventFinish
	// Raw is the JSON of the chunk the event came from, for fields not
	// typed here. It borrows the stream's buffer: it is valid until the
	// next call of Next (or the next iteration); copy it to keep it. It is
	// nil for events not tied to a chunk (EventDone, and tool calls
	// completed at the end of the stream).
	Raw json.RawMessage
}

// queuedEvent is an event waiting to be handed out; its text stays a
// borrowed byte slice until the caller asks for the event.
type queuedEvent struct {
	ev   ChatEvent
	text []byte
	// str, when set, is the text as a string already (think splitting).
	str    string
	hasStr bool
	// built reports that ev holds its text as a string (currentBuilt).
	built bool
}

// ChatStream is a streaming chat completion. Read it with Events, or with
// Next, Event and Err; Close it when done (Events closes it for you).
// Response returns what has been accumulated.
//
// A ChatStream is not safe for concurrent use, except that Close may be
// called from another goroutine to abort a read in progress.
type ChatStream struct {
	r   eventReader
	acc chatAccumulator
}

// accumulator folds chunks into a response and turns them into events.
type accumulator interface {
	apply(c *chunk, raw []byte, q *[]queuedEvent) error
	finishAll(q *[]queuedEvent)
	finalUsage() *Usage
}

// eventReader turns a stream's payloads into queued events.
type eventReader struct {
	core  streamCore
	chunk chunk
	acc   accumulator
	what  string // "chat stream chunk", for errors
	queue []queuedEvent
	pos   int // queue[pos-1] is the current event
	// texts is the block the events' short texts are cut from (eventText).
	texts strings.Builder
}

// Sizes of the blocks eventText cuts texts from, and of the longest text it
// cuts from one (a longer one gets a string of its own).
const (
	textBlockSize = 4096
	maxBlockText  = 256
)

// eventText returns q's text as a string for the caller. A stream's texts
// are mostly a token or a few long: each a string allocated on its own
// would be one allocation per event. So short texts are appended to a block
// of textBlockSize bytes and handed out as substrings of it, which
// strings.Builder allows without a copy: it never changes the bytes it has
// written, and a full block is left as it is for a new one. A text kept by
// the caller keeps its block alive, at most textBlockSize bytes of the
// stream's own texts.
func (r *eventReader) eventText(q *queuedEvent) string {
	if q.hasStr {
		return q.str
	}
	n := len(q.text)
	if n == 0 || n > maxBlockText {
		return string(q.text)
	}
	if r.texts.Cap()-r.texts.Len() < n {
		r.texts = strings.Builder{}
		r.texts.Grow(textBlockSize)
	}
	at := r.texts.Len()
	r.texts.Write(q.text)
	return r.texts.String()[at:]
}

// defaultStreamOptions is sent when a stream request sets no StreamOptions.
var defaultStreamOptions = &StreamOptions{IncludeUsage: Ptr(true)}

// Stream sends a streaming chat completion request ("stream": true) and
// returns the stream once the server has answered with its headers. Unless
// req.StreamOptions is set, it asks for the usage at the end
// (stream_options.include_usage). req is not modified.
//
// HTTP errors before the stream starts are returned here (*APIError,
// *TransportError), as is a response that is not an event stream (see
// docs/streaming.md); failures after that come from the stream as
// *StreamError.
func (s *ChatService) Stream(ctx context.Context, req *ChatRequest, opts ...Option) (*ChatStream, error) {
	if req == nil {
		return nil, missing("request")
	}
	r := *req
	if r.StreamOptions == nil {
		r.StreamOptions = defaultStreamOptions
	}
	ar, err := s.request(&r, true, opts)
	if err != nil {
		return nil, err
	}
	st := &ChatStream{}
	st.r.acc, st.r.what = &st.acc, "chat stream chunk"
	rs, err := s.c.openStream(ctx, ar, &st.r.core)
	if err != nil {
		return nil, err
	}
	st.acc.splitThink, st.acc.startInThink = rs.splitThink, rs.startInThink
	st.r.core.summarize, st.r.core.model = st.acc.summarize, st.acc.modelName
	return st, nil
}

// Next advances to the next event and reports whether there is one. It
// returns false at the end of the stream (after EventDone) or when it
// failed; Err tells which.
func (s *ChatStream) Next() bool { return s.r.next() }

func (r *eventReader) next() bool {
	if !r.core.enter() {
		return false
	}
	ok := r.advance()
	r.core.leave()
	return ok
}

func (r *eventReader) advance() bool {
	if r.pos < len(r.queue) {
		r.pos++
		r.handOut()
		return true
	}
	for !r.core.ended {
		r.queue, r.pos = r.queue[:0], 0
		data, unterminated, kind := r.core.next()
		switch kind {
		case payloadEnd:
			return false
		case payloadDone:
			r.acc.finishAll(&r.queue)
			r.queue = append(r.queue, queuedEvent{ev: ChatEvent{Type: EventDone, Choice: -1}})
			r.core.finishLater(r.acc.finalUsage())
		case payloadChunk:
			if !r.core.scan.parseChunk(data, &r.chunk) {
				r.core.fail(r.core.malformed(r.what, data, unterminated))
				return false
			}
			if r.chunk.isError {
				r.core.fail(r.core.errorEvent(data))
				return false
			}
			if err := r.acc.apply(&r.chunk, data, &r.queue); err != nil {
				r.core.fail(r.core.decodeFailure(r.what, data, 0, err, unterminated))
				return false
			}
		}
		if len(r.queue) > 0 {
			r.pos = 1
			r.handOut()
			return true
		}
	}
	r.queue, r.pos = r.queue[:0], 0
	return false
}

// handOut reports the current event to the probe, and the end of the
// stream with its last event.
func (r *eventReader) handOut() {
	t := r.queue[r.pos-1].ev.Type
	r.core.event(t.token())
	if t == EventDone {
		r.core.reportDone()
	}
}

// current returns the current queued event, or nil before the first Next.
func (r *eventReader) current() *queuedEvent {
	if r.pos == 0 || r.pos > len(r.queue) {
		return nil
	}
	return &r.queue[r.pos-1]
}

// currentBuilt returns the current queued event with its text given to the
// caller as a string (in Text, or in the arguments of a tool-call delta),
// or nil before the first Next. The text is made the first time, in place:
// asking again for the same event makes nothing new.
func (r *eventReader) currentBuilt() *queuedEvent {
	q := r.current()
	if q == nil || q.built {
		return q
	}
	switch q.ev.Type {
	case EventContent, EventReasoning:
		q.ev.Text = r.eventText(q)
	case EventToolCallDelta:
		q.ev.ToolCall.Arguments = r.eventText(q)
	}
	q.built = true
	return q
}

// token reports whether an event of type t carries generated text.
func (t EventType) token() bool {
	return t == EventContent || t == EventReasoning || t == EventToolCallDelta
}

// Event returns the current event (after Next returned true), or a zero
// event when there is none (before the first Next, or after the end). Its
// Text (or tool-call argument fragment) is a string made for the caller from
// the stream's buffer, valid after the next Next.
func (s *ChatStream) Event() ChatEvent {
	q := s.r.currentBuilt()
	if q == nil {
		return ChatEvent{}
	}
	return q.ev
}

// Err returns the error that ended the stream, or nil when it ended with
// "data: [DONE]". It is a *StreamError for failures of the stream itself,
// and ErrStreamClosed when the caller closed it before its end.
func (s *ChatStream) Err() error { return s.r.core.failure() }

// Close releases the stream's connection. It is idempotent, and safe to
// call from another goroutine to abort a Next in progress. Closing a stream
// before its end abandons the connection (it cannot be reused).
func (s *ChatStream) Close() error { return s.r.core.close() }

// Events returns an iterator over the stream's events:
//
//	for ev, err := range stream.Events() {
//		if err != nil { … }  // the stream failed; the loop ends
//		…
//	}
//
// A failure is yielded once, as the last element, with a zero event. The
// stream is closed when the loop ends, including by break: breaking out
// releases the connection at once.
func (s *ChatStream) Events() iter.Seq2[ChatEvent, error] {
	return events(s.Next, s.Event, s.Err, s.Close)
}

// events is the iterator of a stream read with next, event and err.
func events[E any](next func() bool, event func() E, errf func() error, closef func() error) iter.Seq2[E, error] {
	return func(yield func(E, error) bool) {
		defer closef()
		for next() {
			if !yield(event(), nil) {
				return
			}
		}
		if err := errf(); err != nil {
			var zero E
			yield(zero, err)
		}
	}
}

// readAll reads a stream to its end and closes it.
func readAll(next func() bool, closef func() error) {
	defer closef()
	for next() {
	}
}

// Collect reads the rest of the stream, closes it and returns the response
// accumulated from all its events: the same response a non-streaming
// request would have returned (content, reasoning, tool calls with whole
// arguments, finish and stop reasons, logprobs, usage). On failure it
// returns what was accumulated so far together with the error. After an
// Events loop or Next returned false, it reads nothing more: it is how to
// get the response of a stream read event by event.
func (s *ChatStream) Collect() (*ChatResponse, error) {
	readAll(s.Next, s.Close)
	return s.acc.response(), s.Err()
}
