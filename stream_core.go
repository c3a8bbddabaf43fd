package vllm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vllmgo/vllm/internal/sse"
)

// ErrStreamClosed is the error of a stream that its caller closed before it
// ended (Close, or leaving an Events loop early); it is also what the
// production layer's stream probe is told in that case.
var ErrStreamClosed = errors.New("vllm: stream closed before its end")

// drainTimeout bounds the wait for the end of the response after
// "data: [DONE]": reading it lets the connection be reused.
const drainTimeout = time.Second

// drainLimit bounds the bytes read after "data: [DONE]".
const drainLimit = 64 << 10

// streamCore is what chat and completion streams share: the HTTP response,
// the SSE decoder, the idle timer, the end-of-stream bookkeeping and the
// production probe. Its fields are set when the stream opens; afterwards
// only the goroutine reading the stream changes them, except for the
// atomics, which Close may set from any goroutine.
type streamCore struct {
	c      *Client
	ar     *apiRequest
	ctx    context.Context
	cancel context.CancelCauseFunc
	body   io.ReadCloser
	dec    sse.Decoder
	scan   jscan
	idle   time.Duration
	timer  *time.Timer // idle timer, stopped between reads; nil when disabled
	probe  streamProbe
	// summarize, when set, adds what the stream read of the response (id,
	// model, finish reasons) to the result reported to the probe.
	summarize func(*CallResult)
	// model, when set, returns the model the stream's chunks have named
	// so far, for the probe's events.
	model func() string

	idleFired atomic.Bool
	closed    atomic.Bool
	// busy is set while the reading goroutine is inside Next (tracked only
	// when a probe listens), so that a concurrent Close leaves the probe's
	// end to the reader instead of racing with its events.
	busy    atomic.Bool
	endOnce sync.Once

	ended bool // no more payloads will be read
	// endPending: the stream reached [DONE] and released its connection,
	// but the probe hears of the end only when the caller gets EventDone
	// (or closes the stream), so that it sees every event first.
	endPending bool
	doneUsage  *Usage
	draining   bool  // reading the rest of the response after [DONE]
	err        error // why the stream failed, nil after [DONE]
	// delivered counts the events handed to the caller: the Events of
	// a StreamError.
	delivered int
	// parent is the caller's context: once it is done, Next stops
	// handing out events, buffered or not.
	parent context.Context
}

// payloadKind says what streamCore.next found.
type payloadKind int

const (
	payloadEnd   payloadKind = iota // the stream ended; err says why
	payloadChunk                    // a JSON chunk
	payloadDone                     // data: [DONE]
)

// openStream sends ar (a streaming request) and prepares s to read the
// response. Errors before the stream starts (HTTP errors, a response that is
// not an event stream) are returned here.
func (c *Client) openStream(ctx context.Context, ar *apiRequest, s *streamCore) (streamRequestSettings, error) {
	if err := ar.resolve(); err != nil {
		return streamRequestSettings{}, err
	}
	idle, maxEvent, rs := c.cfg.stream.resolve(&ar.rc)
	sctx, cancel := context.WithCancelCause(ctx)
	resp, err := c.send(sctx, ar)
	if err != nil {
		cancel(nil)
		return rs, err
	}
	probe := c.cfg.prod.startStream(sctx, ar)
	if err := checkEventStream(resp); err != nil {
		if probe != nil {
			probe.end(&CallResult{Err: err})
		}
		resp.Body.Close()
		cancel(nil)
		return rs, err
	}
	s.c, s.ar, s.ctx, s.cancel, s.body, s.idle, s.probe = c, ar, sctx, cancel, resp.Body, idle, probe
	s.parent = ctx
	if idle > 0 {
		s.timer = time.AfterFunc(time.Hour, s.onIdle)
		s.timer.Stop()
	}
	s.dec.Reset(s, maxEvent)
	return rs, nil
}

// checkEventStream accepts a response announced as text/event-stream (or
// without a content type). Any other content type is read as an error body:
// a vLLM error object gives an *APIError with the response's status;
// anything else a *StreamError of KindMalformed quoting the body.
func checkEventStream(resp *http.Response) error {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "text/event-stream" {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	ae := &APIError{StatusCode: resp.StatusCode, Body: body, RequestID: resp.Header.Get("X-Request-Id")}
	if ae.parseBody(body) {
		if n, ok := httpStatus(ae.Code); ok && n >= 400 && resp.StatusCode < 400 {
			ae.StatusCode = n // a 200 whose body is an error object: its code
		}
		return ae
	}
	return &StreamError{Kind: KindMalformed, Err: &DecodeError{
		What: "stream response", Offset: -1, Snippet: snippet(body),
		Err: fmt.Errorf("content type %q is not text/event-stream (did the server ignore \"stream\": true?)", ct),
	}}
}

// Read reads the response body for the SSE decoder, running the idle timer
// only while the read waits.
func (s *streamCore) Read(p []byte) (int, error) {
	if s.timer == nil || s.draining {
		return s.body.Read(p)
	}
	s.timer.Reset(s.idle)
	n, err := s.body.Read(p)
	s.timer.Stop()
	return n, err
}

func (s *streamCore) onIdle() {
	s.idleFired.Store(true)
	s.cancel(fmt.Errorf("%w: no data from the server for %v (stream idle timeout)", ErrTimeout, s.idle))
}

// next returns the next data payload, borrowed until the next call.
func (s *streamCore) next() (data []byte, unterminated bool, kind payloadKind) {
	for !s.ended {
		ev, err := s.dec.Next()
		if err != nil {
			s.fail(s.readError(err))
			break
		}
		if len(ev.Type) > 0 && string(ev.Type) != "message" {
			if string(ev.Type) == "error" {
				s.fail(s.errorEvent(ev.Data))
				break
			}
			continue // an event type nobody listens to
		}
		if len(ev.Data) == 0 {
			continue
		}
		if string(ev.Data) == "[DONE]" {
			return nil, false, payloadDone
		}
		return ev.Data, ev.Unterminated, payloadChunk
	}
	return nil, false, payloadEnd
}

// readError classifies a failure to read the next event.
func (s *streamCore) readError(err error) error {
	if s.closed.Load() {
		return ErrStreamClosed
	}
	var tl *sse.TooLargeError
	switch {
	case err == io.EOF:
		return &StreamError{Kind: KindUnexpectedEOF, Events: s.delivered, Err: io.ErrUnexpectedEOF}
	case errors.As(err, &tl):
		return &StreamError{Kind: KindTooLarge, Events: s.delivered,
			Err: fmt.Errorf("an event exceeds %d bytes (see WithMaxEventSize)", tl.Limit)}
	case s.idleFired.Load():
		return &StreamError{Kind: KindIdleTimeout, Events: s.delivered, Err: context.Cause(s.ctx)}
	}
	if cause := context.Cause(s.ctx); cause != nil {
		err = cause // the caller's cancellation or deadline
	}
	return &StreamError{Kind: KindTransport, Events: s.delivered, Err: &TransportError{
		Op: "read stream", Method: s.ar.method, URL: redactURL(s.c.url(s.ar)), Err: err,
	}}
}

// errorEvent turns an error object sent inside the stream into a
// *StreamError of KindErrorEvent.
func (s *streamCore) errorEvent(data []byte) error {
	ae := &APIError{Body: append([]byte(nil), data...)}
	ae.parseBody(data)
	if n, ok := httpStatus(ae.Code); ok {
		ae.StatusCode = n
	}
	return &StreamError{Kind: KindErrorEvent, API: ae, Events: s.delivered}
}

// httpStatus reads an error code that is an HTTP status.
func httpStatus(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(code) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 100
}

// malformed describes a payload that failed to decode: KindMalformed, or
// KindUnexpectedEOF when the stream ended inside it.
func (s *streamCore) malformed(what string, data []byte, unterminated bool) error {
	off := 0
	var err error = errors.New("invalid JSON")
	if e := s.scan.Err(); e != nil {
		off, err = e.Off, e
	}
	return s.decodeFailure(what, data, off, err, unterminated)
}

func (s *streamCore) decodeFailure(what string, data []byte, off int, err error, unterminated bool) error {
	start := max(0, min(off-snippetLen/2, len(data)))
	de := &DecodeError{What: what, Offset: int64(off), Snippet: snippet(data[start:]), Err: err}
	kind := KindMalformed
	if unterminated {
		kind = KindUnexpectedEOF
	}
	return &StreamError{Kind: kind, Events: s.delivered, Err: de}
}

// fail ends the stream with err and releases the connection.
func (s *streamCore) fail(err error) {
	if s.ended {
		return
	}
	s.ended, s.err = true, err
	s.endProbe(nil, err)
	s.release(err)
}

// finish ends the stream after [DONE]: it reads the rest of the response
// (briefly) so that the connection can be reused, then releases it and
// reports the end to the probe.
func (s *streamCore) finish(usage *Usage) {
	if s.finishLater(usage) {
		s.reportDone()
	}
}

// finishLater is finish leaving the probe's report to reportDone, for
// streams that still hand out queued events. It reports whether it ended
// the stream.
func (s *streamCore) finishLater(usage *Usage) bool {
	if s.ended {
		return false
	}
	s.ended = true
	s.draining = true
	t := time.AfterFunc(drainTimeout, func() { s.cancel(errors.New("vllm: response did not end after [DONE]")) })
	_ = s.dec.Drain(drainLimit)
	t.Stop()
	s.endPending, s.doneUsage = true, usage
	s.release(nil)
	return true
}

// reportDone tells the probe that the stream ended with [DONE].
func (s *streamCore) reportDone() {
	if s.endPending {
		s.endPending = false
		s.endProbe(s.doneUsage, nil)
	}
}

// closedEnd reports the end of a stream its caller closed: a success when
// it had reached [DONE], ErrStreamClosed otherwise.
func (s *streamCore) closedEnd() {
	if s.endPending {
		s.reportDone()
		return
	}
	s.endProbe(nil, ErrStreamClosed)
}

func (s *streamCore) release(cause error) {
	if s.timer != nil {
		s.timer.Stop()
	}
	// Nothing borrowed from the decoder outlives the Next that ends the
	// stream: its buffer can serve the next stream.
	s.dec.Release()
	s.body.Close()
	if cause == nil {
		cause = context.Canceled
	}
	s.cancel(cause)
}

func (s *streamCore) endProbe(usage *Usage, err error) {
	if s.probe != nil {
		s.endOnce.Do(func() {
			res := &CallResult{Usage: usage, Err: err}
			if s.summarize != nil {
				s.summarize(res)
			}
			s.probe.end(res)
		})
	}
}

// close is Close of the streams: idempotent, safe to call from another
// goroutine while the stream is being read (the read then ends).
func (s *streamCore) close() error {
	if s.closed.Swap(true) || s.body == nil {
		return nil
	}
	if s.probe != nil && !s.busy.Load() {
		s.closedEnd()
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.cancel(ErrStreamClosed)
	s.body.Close()
	return nil
}

// enter and leave bracket a Next; they report the end of a stream closed
// by another goroutine, and end a stream whose context is done.
func (s *streamCore) enter() bool {
	if s.probe == nil {
		return !s.closed.Load() && !s.cancelled()
	}
	s.busy.Store(true)
	if s.closed.Load() || s.cancelled() {
		s.leave()
		return false
	}
	return true
}

// cancelled reports whether the caller's context is done, and then ends the
// stream with a *StreamError of KindTransport matching the context's error
// (the events still buffered or queued are not handed out). A stream whose
// last event (EventDone) was already handed out stays a success.
func (s *streamCore) cancelled() bool {
	if s.parent == nil || s.parent.Err() == nil {
		return false
	}
	if s.err != nil {
		return true
	}
	if s.ended && !s.endPending {
		return false // EventDone was handed out: the stream is complete
	}
	err := &StreamError{Kind: KindTransport, Events: s.delivered, Err: &TransportError{
		Op: "read stream", Method: s.ar.method, URL: redactURL(s.c.url(s.ar)), Err: context.Cause(s.parent),
	}}
	if !s.ended {
		s.fail(err)
		return true
	}
	// [DONE] was read but its events are still queued: the connection is
	// released already; the stream now ends with the cancellation.
	s.err, s.endPending = err, false
	s.endProbe(nil, err)
	return true
}

func (s *streamCore) leave() {
	if s.probe == nil {
		return
	}
	s.busy.Store(false)
	if s.closed.Load() {
		s.closedEnd()
	}
}

// event counts an event handed to the caller and reports it to the
// production probe.
func (s *streamCore) event(token bool) {
	s.delivered++
	if s.probe != nil {
		model := ""
		if s.model != nil {
			model = s.model()
		}
		s.probe.event(token, model)
	}
}

// failure returns the stream's error for Err: nil after [DONE]; for a
// stream the caller closed early, ErrStreamClosed.
func (s *streamCore) failure() error {
	if s.err == nil && !s.ended && s.closed.Load() {
		return ErrStreamClosed
	}
	return s.err
}

// internString returns b as a string, reusing cur when equal (no allocation).
func internString(cur string, b []byte) string {
	if string(b) == cur {
		return cur
	}
	return string(b)
}

// finishReason returns the finish reason without allocating for the
// common ones.
func finishReason(b []byte) string {
	switch string(b) {
	case FinishStop:
		return FinishStop
	case FinishLength:
		return FinishLength
	case FinishToolCalls:
		return FinishToolCalls
	case FinishAbort:
		return FinishAbort
	case FinishError:
		return FinishError
	}
	return string(b)
}
