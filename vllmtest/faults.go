package vllmtest

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/sleep"
)

// FaultKind selects what a Fault does.
type FaultKind int

// The kinds of fault. Timing (HeaderDelay, TTFT, ITL) applies with every
// kind, FaultNone included.
const (
	// FaultNone changes only the timing of the response.
	FaultNone FaultKind = iota
	// FaultStatus answers Status (default 500) with vLLM's error body built
	// from Type, Message and Param (or with Body verbatim when set), and a
	// Retry-After header when RetryAfter is set.
	FaultStatus
	// FaultDrop closes the connection without finishing the response: a
	// stream after After events (or after Bytes bytes of body when Bytes is
	// positive); another response after Bytes bytes of body (0: before the
	// headers). A negative After drops any request before the headers.
	FaultDrop
	// FaultTruncate cuts a JSON payload in half: the body of a non-streaming
	// response (sent complete, with a matching Content-Length), or the event
	// at index After of a stream, which then goes on to "data: [DONE]".
	FaultTruncate
	// FaultNoDone ends a stream cleanly after its last event but without
	// "data: [DONE]". Non-streaming responses are unaffected.
	FaultNoDone
	// FaultErrorEvent sends, after After events of a stream, vLLM's error
	// event data: {"error": {…}} (Status default 500, Type, Message) and then
	// "data: [DONE]". A non-streaming request gets the same error as an HTTP
	// status instead, as vLLM does when it fails before answering.
	FaultErrorEvent
	// FaultGarbage sends Data (default: bytes that are neither SSE nor JSON)
	// after After events of a stream, which then goes on; a non-streaming
	// response is answered 200 with Data as its body.
	FaultGarbage
	// FaultHugeEvent sends, after After events of a stream, one content
	// event whose text is Bytes bytes long (default 1 MiB); a non-streaming
	// response gets that text appended to its content.
	FaultHugeEvent
	// FaultStall sends nothing for Duration: in a stream after After events,
	// in another response after its headers and the first Bytes bytes of its
	// body; then it goes on normally.
	FaultStall
	// FaultReset resets the TCP connection (RST, through SO_LINGER 0): in a
	// stream after After events (before the headers when After is
	// negative), otherwise before any response.
	FaultReset
	// FaultOKError answers 200 with vLLM's error body
	// {"error":{"message","type","param","code"}} built from Status
	// (default 500, the body's code), Type, Message and Param, as vLLM's
	// routers do when a model does not serve the API (vLLM issue #16831),
	// whether or not the request streams.
	FaultOKError
	// FaultOKErrorFlat is FaultOKError with the flat body
	// {"object":"error","message",…,"code"} that proxies and older vLLM
	// send.
	FaultOKErrorFlat
)

var faultNames = [...]string{
	FaultNone: "none", FaultStatus: "status", FaultDrop: "drop", FaultTruncate: "truncate",
	FaultNoDone: "no-done", FaultErrorEvent: "error-event", FaultGarbage: "garbage",
	FaultHugeEvent: "huge-event", FaultStall: "stall", FaultReset: "reset",
	FaultOKError: "ok-error", FaultOKErrorFlat: "ok-error-flat",
}

// String names the kind.
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes a failure or a timing the server inflicts on a response.
// Give it with WithFault (every request), Server.Fail or Server.FailNext
// (the next requests), or Reply.Fault (one request, from a handler).
type Fault struct {
	// Kind selects the fault.
	Kind FaultKind
	// Path restricts the fault to requests for that path, given with or
	// without the "/v1" prefix ("/chat/completions" matches
	// "/v1/chat/completions"; "/health" matches "/health"); empty matches
	// every request.
	Path string

	// Status, Type, Message and Param make the error of FaultStatus and
	// FaultErrorEvent; Type defaults to vLLM's type for the status and
	// Message to a fixed text.
	Status               int
	Type, Message, Param string
	// RetryAfter is sent as the Retry-After header of FaultStatus.
	RetryAfter string
	// Body, when set, replaces the JSON error body of FaultStatus (a proxy's
	// HTML page, say); it is sent with Content-Type text/html when it does
	// not start with '{'.
	Body []byte

	// After is the number of stream events sent before the fault strikes.
	After int
	// Bytes is a byte count: see each kind.
	Bytes int
	// Duration is how long FaultStall stalls.
	Duration time.Duration
	// Data is what FaultGarbage sends.
	Data []byte

	// HeaderDelay delays the response headers.
	HeaderDelay time.Duration
	// TTFT and ITL override the server's time to first token and
	// inter-token latency for this response when positive.
	TTFT, ITL time.Duration
}

func (f *Fault) matches(path string) bool {
	return f.Path == "" || path == f.Path || path == "/v1"+f.Path
}

func (f *Fault) status() int {
	if f.Status == 0 {
		return http.StatusInternalServerError
	}
	return f.Status
}

func (f *Fault) message() string {
	if f.Message != "" {
		return f.Message
	}
	return "vllmtest: injected " + f.Kind.String() + " fault"
}

// defaultGarbage is what FaultGarbage sends by default: no "data:" field,
// invalid UTF-8, a NUL byte, then a blank line.
var defaultGarbage = []byte("<html>\x00\xff\xfe not an event stream</html>\n\n")

func (f *Fault) garbage() []byte {
	if f.Data != nil {
		return f.Data
	}
	return defaultGarbage
}

func (f *Fault) hugeSize() int {
	if f.Bytes > 0 {
		return f.Bytes
	}
	return 1 << 20
}

// isStream reports whether the request asked for a stream.
func isStream(x *exchange) bool {
	if x == nil || x.rec.JSON == nil {
		return false
	}
	v, _ := x.rec.JSON["stream"].(bool)
	return v
}

// beforeHeaders applies the part of f that strikes before the route runs.
// It reports whether the response is finished.
func (f *Fault) beforeHeaders(w http.ResponseWriter, x *exchange) bool {
	stream := isStream(x)
	switch f.Kind {
	case FaultStatus:
		writeFaultStatus(w, f)
		return true
	case FaultOKError:
		writeJSONBytes(w, http.StatusOK, ErrorBody(f.status(), f.Type, f.message(), f.Param))
		return true
	case FaultOKErrorFlat:
		writeJSONBytes(w, http.StatusOK, flatErrorBody(f.status(), f.Type, f.message(), f.Param))
		return true
	case FaultErrorEvent:
		if !stream {
			writeError(w, f.status(), f.Type, f.message(), f.Param)
			return true
		}
	case FaultReset:
		if !stream || f.After < 0 {
			resetConn(w)
			return true
		}
	case FaultDrop:
		if !stream && f.Bytes <= 0 || f.After < 0 {
			panic(http.ErrAbortHandler)
		}
	}
	return false
}

func writeFaultStatus(w http.ResponseWriter, f *Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body != nil {
		ct := "text/html; charset=utf-8"
		if bytes.HasPrefix(bytes.TrimSpace(f.Body), []byte("{")) {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(f.status())
		_, _ = w.Write(f.Body)
		return
	}
	writeError(w, f.status(), f.Type, f.message(), f.Param)
}

// resetConn takes the connection over and closes it with SO_LINGER 0, so
// that the peer gets a TCP RST instead of an orderly close.
func resetConn(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, buf, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if buf != nil && buf.Writer.Buffered() > 0 {
		_ = buf.Flush()
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// respond writes a 200 JSON response body, applying the request's fault:
// truncation, garbage, a huge payload, a stall or a drop part-way through.
// Every route's successful JSON answer goes through it.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, body []byte) {
	x := exchangeOf(r)
	var f *Fault
	if x != nil {
		f = x.fault
	}
	if f == nil {
		writeJSONBytes(w, http.StatusOK, body)
		return
	}
	switch f.Kind {
	case FaultTruncate:
		body = body[:len(body)/2]
	case FaultGarbage:
		body = f.garbage()
	case FaultHugeEvent:
		body = padContent(body, f.hugeSize())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	switch f.Kind {
	case FaultDrop:
		n := min(f.Bytes, len(body)-1)
		_, _ = w.Write(body[:n])
		_ = rc.Flush()
		panic(http.ErrAbortHandler)
	case FaultStall:
		n := min(f.Bytes, len(body))
		_, _ = w.Write(body[:n])
		_ = rc.Flush()
		if !sleep.For(r.Context(), f.Duration) {
			return
		}
		body = body[n:]
	}
	_, _ = w.Write(body)
}

// padContent inserts size bytes of text at the start of the first "content"
// or "text" string of a response body, keeping it valid JSON.
func padContent(body []byte, size int) []byte {
	for _, key := range []string{`"content":"`, `"text":"`, `"content":null`} {
		i := bytes.Index(body, []byte(key))
		if i < 0 {
			continue
		}
		pad := bytes.Repeat([]byte("x"), size)
		if strings.HasSuffix(key, "null") {
			out := append([]byte(nil), body[:i]...)
			out = append(out, `"content":"`...)
			out = append(out, pad...)
			out = append(out, '"')
			return append(out, body[i+len(key):]...)
		}
		j := i + len(key)
		out := append([]byte(nil), body[:j]...)
		out = append(out, pad...)
		return append(out, body[j:]...)
	}
	return body
}

// flatErrorBody is ErrorBody in the flat shape of older vLLM and proxies:
// {"object":"error","message",…,"code"}.
func flatErrorBody(status int, typ, message, param string) []byte {
	nested := ErrorBody(status, typ, message, param)
	// {"error":{…}} → {"object":"error",…}
	inner := nested[len(`{"error":{`) : len(nested)-1]
	return append([]byte(`{"object":"error",`), inner...)
}
