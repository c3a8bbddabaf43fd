package vllmtest

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/sleep"
)

// eventStream writes one SSE response the way vLLM does ("data: <json>\n\n"
// per event, "data: [DONE]\n\n" at the end), pacing it and applying the
// request's fault.
type eventStream struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	rc     *http.ResponseController
	fault  *Fault
	ttft   time.Duration
	itl    time.Duration
	events int // events written
	bytes  int // body bytes written
	tokens int // token-carrying events written
	dead   bool
	// flushEach sends every event as soon as it is written. Without pacing
	// or a fault, events are written back to back and leave in batches as
	// the response buffer fills, which is what a client sees from a fast
	// server anyway; every stream still ends flushed.
	flushEach bool
	buf       []byte
	prefix    []byte // the first event's data up to its choices, for hugeEvent
	timer     sleep.Timer
}

// wait waits d, one timer serving every wait of the stream, or until the
// client goes away or the server closes. It reports whether the whole of d
// passed.
func (es *eventStream) wait(d time.Duration) bool {
	return es.timer.For(es.r.Context(), d)
}

// newEventStream starts an SSE response: it sends the headers vLLM sends.
func (s *Server) newEventStream(w http.ResponseWriter, r *http.Request) *eventStream {
	x := exchangeOf(r)
	es := &eventStream{s: s, w: w, r: r, rc: http.NewResponseController(w), ttft: s.cfg.ttft, itl: s.cfg.itl}
	if x != nil && x.fault != nil {
		es.fault = x.fault
		if x.fault.TTFT > 0 {
			es.ttft = x.fault.TTFT
		}
		if x.fault.ITL > 0 {
			es.itl = x.fault.ITL
		}
	}
	if x != nil {
		es.ttft += x.prefill
	}
	es.flushEach = es.ttft > 0 || es.itl > 0 || es.fault != nil
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = es.rc.Flush()
	return es
}

// send writes one event whose payload is the JSON data; token says whether
// it carries generated text (for pacing). It reports whether the stream goes
// on; false means the client is gone or a fault ended the stream, and the
// handler must return.
func (es *eventStream) send(data []byte, token bool) bool {
	if es.dead {
		return false
	}
	if es.events == 0 {
		if !es.wait(es.ttft) {
			es.dead = true
			return false
		}
	} else if token && es.tokens > 0 {
		if !es.wait(es.itl) {
			es.dead = true
			return false
		}
	}
	if es.prefix == nil {
		if i := bytes.Index(data, []byte(`"choices":[`)); i >= 0 {
			es.prefix = append([]byte(nil), data[:i]...)
		}
	}
	if f := es.fault; f != nil && es.events == f.After {
		if !es.strike(f, data) {
			es.dead = true
			return false
		}
		if f.Kind == FaultTruncate {
			// The truncated event replaced this one.
			es.events++
			return true
		}
	}
	if token {
		es.tokens++
	}
	es.events++
	es.buf = append(es.buf[:0], "data: "...)
	es.buf = append(es.buf, data...)
	es.buf = append(es.buf, "\n\n"...)
	return es.write(es.buf)
}

// write writes raw bytes of the body and flushes them, applying a byte-count
// drop.
func (es *eventStream) write(b []byte) bool {
	if f := es.fault; f != nil && f.Kind == FaultDrop && f.Bytes > 0 && es.bytes+len(b) >= f.Bytes {
		_, _ = es.w.Write(b[:f.Bytes-es.bytes])
		_ = es.rc.Flush()
		panic(http.ErrAbortHandler)
	}
	if _, err := es.w.Write(b); err != nil {
		es.dead = true
		return false
	}
	es.bytes += len(b)
	if !es.flushEach {
		return true
	}
	if err := es.rc.Flush(); err != nil {
		es.dead = true
		return false
	}
	return true
}

// strike applies the fault due before the event data. It reports whether
// the stream goes on.
func (es *eventStream) strike(f *Fault, data []byte) bool {
	switch f.Kind {
	case FaultDrop:
		if f.Bytes <= 0 {
			_ = es.rc.Flush()
			panic(http.ErrAbortHandler)
		}
	case FaultReset:
		resetConn(es.w)
		return false
	case FaultTruncate:
		cut := append([]byte("data: "), data[:len(data)/2]...)
		return es.write(append(cut, "\n\n"...))
	case FaultErrorEvent:
		ev := append([]byte("data: "), streamErrorJSON(f.status(), f.Type, f.message())...)
		ev = append(ev, "\n\ndata: [DONE]\n\n"...)
		es.write(ev)
		return false
	case FaultGarbage:
		return es.write(f.garbage())
	case FaultHugeEvent:
		return es.write(es.hugeEvent(f.hugeSize()))
	case FaultStall:
		if !es.wait(f.Duration) {
			return false
		}
	}
	return true
}

// hugeEvent builds one content event of size bytes of text, shaped like the
// chunk data (same id, model, choice 0).
func (es *eventStream) hugeEvent(size int) []byte {
	b := append([]byte("data: "), es.prefix...)
	if bytes.Contains(es.prefix, []byte(`"object":"text_completion"`)) {
		b = append(b, `"choices":[{"index":0,"text":"`...)
		b = append(b, strings.Repeat("x", size)...)
		b = append(b, `","logprobs":null,"finish_reason":null,"stop_reason":null,"prompt_token_ids":null,"token_ids":null}]}`...)
	} else {
		b = append(b, `"choices":[{"index":0,"delta":{"content":"`...)
		b = append(b, strings.Repeat("x", size)...)
		b = append(b, `"},"logprobs":null,"finish_reason":null}]}`...)
	}
	return append(b, "\n\n"...)
}

// done ends the stream with "data: [DONE]", unless the fault says otherwise.
func (es *eventStream) done() {
	if es.dead {
		return
	}
	if f := es.fault; f != nil && f.After >= es.events {
		// A fault due after the last event strikes at the end.
		switch f.Kind {
		case FaultDrop, FaultReset, FaultErrorEvent, FaultGarbage, FaultHugeEvent, FaultStall:
			if !es.strike(f, nil) {
				return
			}
		}
	}
	if es.fault != nil && es.fault.Kind == FaultNoDone {
		return
	}
	// Unpaced, the events are flushed first and "[DONE]" stays buffered, so
	// that it leaves in one write with the end of the chunked body when the
	// handler returns: a client that drains the body after [DONE] finds the
	// end at once, however busy the machine. Paced, "[DONE]" is flushed on
	// its own, as vLLM's server sends it.
	if !es.flushEach {
		_ = es.rc.Flush()
	}
	es.write([]byte("data: [DONE]\n\n"))
}

// streamErrorJSON renders the error event vLLM sends inside a stream. vLLM
// builds it with Python's json.dumps, so unlike its other bodies it has
// spaces after ':' and ',' and escapes non-ASCII text.
func streamErrorJSON(status int, typ, message string) []byte {
	if typ == "" {
		typ = errorType(status)
	}
	b := []byte(`{"error": {"message": `)
	b = appendPyString(b, message)
	b = append(b, `, "type": `...)
	b = appendPyString(b, typ)
	b = append(b, `, "param": null, "code": `...)
	b = strconv.AppendInt(b, int64(status), 10)
	return append(b, "}}"...)
}

// appendPyString appends s as Python's json.dumps writes it (ASCII only).
func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			b = append(b, `\u`...)
			b = append(b, hex4(r)...)
		case r >= 0x10000:
			r -= 0x10000
			b = append(b, `\u`...)
			b = append(b, hex4(0xd800+(r>>10))...)
			b = append(b, `\u`...)
			b = append(b, hex4(0xdc00+(r&0x3ff))...)
		default:
			b = append(b, byte(r))
		}
	}
	return append(b, '"')
}

func hex4(r rune) []byte {
	return []byte{hexDigit[r>>12&0xf], hexDigit[r>>8&0xf], hexDigit[r>>4&0xf], hexDigit[r&0xf]}
}

const hexDigit = "0123456789abcdef"
