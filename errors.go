package vllm

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/vllmgo/vllm/internal/textcut"
)

// Sentinel errors classify failures with errors.Is. The concrete error values
// returned by the library (*APIError, *TransportError, …) match the sentinels
// that describe them. A condition that has its own error type and nothing
// else (*ParamError, *StreamError) is tested with errors.As, not doubled by a
// sentinel.
var (
	// ErrTimeout matches every failure caused by a timeout: the client's
	// request timeout, a stream's idle timeout, a context deadline, or a
	// network timeout.
	ErrTimeout = errors.New("vllm: timeout")
	// ErrModelNotFound matches an *APIError in which the server said the
	// requested model is not served (HTTP 404).
	ErrModelNotFound = errors.New("vllm: model not found")
	// ErrNoContent is returned where a caller asked for content and the
	// response holds none (no choices, or a null content).
	ErrNoContent = errors.New("vllm: response has no content")
	// ErrInvalidResponse matches a *DecodeError: the server answered with a
	// body this client could not decode.
	ErrInvalidResponse = errors.New("vllm: invalid response")
	// ErrUnauthorized matches an *APIError with HTTP status 401 or 403.
	ErrUnauthorized = errors.New("vllm: unauthorized")
	// ErrRateLimited matches an *APIError with HTTP status 429.
	ErrRateLimited = errors.New("vllm: rate limited")
)

// maxErrorBody bounds how much of an error response body is read and kept.
const maxErrorBody = 64 << 10

// snippetLen bounds the body excerpts quoted in error messages.
const snippetLen = 256

// APIError is an HTTP error answered by the server: a status of 400 or more,
// with vLLM's error object decoded from the body when there is one.
//
// vLLM has sent two body shapes — {"error":{"message","type","param","code"}}
// in current versions and the flat {"object":"error","message",…} in older
// ones — and proxies in front of it send HTML or plain text; all of them yield
// an APIError, with Message taken from the body where it could be read.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 400, 404, 429, 503.
	StatusCode int
	// Message is the server's error message (at most 4 KiB of it), or a
	// 256-byte excerpt of a body that is not a JSON error.
	Message string
	// Type is vLLM's error type, e.g. "BadRequestError", "NotFoundError".
	Type string
	// Param names the offending request parameter, when the server said.
	Param string
	// Code is vLLM's error code as sent (usually the status as a number);
	// empty when absent or null.
	Code string
	// RequestID is the X-Request-Id of the response, or of the request when
	// the response carried none.
	RequestID string
	// RetryAfter is the raw Retry-After header value, when present.
	RetryAfter string
	// Body is the raw response body, at most 64 KiB of it.
	Body []byte
}

// Error reports the status and the server's message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("vllm: HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	writeIfSet(&b, " (", e.Type, ")")
	writeIfSet(&b, ": ", e.Message, "")
	writeIfSet(&b, " [param ", e.Param, "]")
	writeIfSet(&b, " [request ", e.RequestID, "]")
	return b.String()
}

// writeIfSet writes v between before and after, when v is not empty.
func writeIfSet(b *strings.Builder, before, v, after string) {
	if v != "" {
		b.WriteString(before)
		b.WriteString(v)
		b.WriteString(after)
	}
}

// Is reports whether the error matches one of the sentinel errors:
// ErrModelNotFound, ErrUnauthorized, ErrRateLimited.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrModelNotFound:
		return e.StatusCode == http.StatusNotFound && strings.Contains(strings.ToLower(e.Message), "model")
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// retryable reports whether the status is one a retry may cure:
// 408, 429, 500, 502, 503 and 504.
func (e *APIError) retryable() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errorObject is vLLM's error object, in both its nested and its flat form.
type errorObject struct {
	Message json.RawMessage `json:"message"`
	Type    string          `json:"type"`
	Param   json.RawMessage `json:"param"`
	Code    json.RawMessage `json:"code"`
}

type errorEnvelope struct {
	// Error is vLLM's error object, or a plain string from some proxies.
	Error  json.RawMessage `json:"error"`
	Object string          `json:"object"`
	Detail json.RawMessage `json:"detail"`
	errorObject
}

// parseBody fills e's Message, Type, Param and Code from an error body of any
// shape vLLM (or a proxy, or FastAPI) is known to send: the nested
// {"error":{…}}, the flat {"object":"error",…}, {"error":"text"}, and
// FastAPI's {"detail":…}. Any other body gives a bounded excerpt as Message.
// It reports whether the body was a recognised JSON error.
func (e *APIError) parseBody(body []byte) bool {
	var env errorEnvelope
	if err := json.Unmarshal(body, &env); err == nil {
		var obj *errorObject
		inner := bytes.TrimSpace(env.Error)
		switch {
		case len(inner) > 0 && inner[0] == '{':
			var o errorObject
			if json.Unmarshal(inner, &o) == nil {
				obj = &o
			}
		case len(inner) > 0 && inner[0] == '"':
			e.Message = excerpt([]byte(rawText(inner)), messageLen)
			return true
		case env.Object == "error" || len(env.errorObject.Message) > 0:
			obj = &env.errorObject
		}
		if obj != nil {
			e.Message = excerpt([]byte(rawText(obj.Message)), messageLen)
			e.Type = obj.Type
			e.Param = rawText(obj.Param)
			e.Code = rawText(obj.Code)
			return true
		}
		if len(env.Detail) > 0 && string(env.Detail) != "null" {
			e.Message = detailText(env.Detail)
			return true
		}
	}
	e.Message = snippet(body)
	return false
}

// detailText renders FastAPI's detail: a string, or a list of validation
// errors {"loc":[…],"msg":…} as "body.field: msg; …".
func detailText(d json.RawMessage) string {
	var items []struct {
		Loc []json.RawMessage `json:"loc"`
		Msg string            `json:"msg"`
	}
	if json.Unmarshal(d, &items) == nil && len(items) > 0 {
		var b strings.Builder
		for i, it := range items {
			if it.Msg == "" {
				return snippet(d)
			}
			if i > 0 {
				b.WriteString("; ")
			}
			for j, l := range it.Loc {
				if j > 0 {
					b.WriteByte('.')
				}
				b.WriteString(rawText(l))
			}
			if len(it.Loc) > 0 {
				b.WriteString(": ")
			}
			b.WriteString(it.Msg)
		}
		return excerpt([]byte(b.String()), messageLen)
	}
	return excerpt([]byte(rawText(d)), messageLen)
}

// rawText renders a JSON value as text: strings unquoted, null as empty,
// anything else as its compact JSON.
func rawText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// snippet returns a bounded, printable excerpt of b for error messages.
func snippet(b []byte) string { return excerpt(b, snippetLen) }

// messageLen bounds a server's error message kept in an APIError.
const messageLen = 4096

// excerpt returns b trimmed, made valid UTF-8 and cut to at most n bytes
// (marked with "…").
func excerpt(b []byte, n int) string {
	return textcut.Cut(bytes.TrimSpace(b), n, "…")
}

// ParamError is a request rejected by the client before anything was sent,
// because a field is missing or invalid. Field names the field as it appears
// in the JSON body (e.g. "model", "messages[2].tool_call_id"). Test for it
// with errors.As; Missing tells a required field left empty (no model, no
// messages, no prompt) from a rejected value.
type ParamError struct {
	Field   string // the JSON field (or option), e.g. "messages[2].tool_call_id"
	Reason  string // what is wrong with it
	Missing bool   // the field is required and was left empty
}

// Error names the field and what is wrong with it.
func (e *ParamError) Error() string {
	return "vllm: invalid request: " + e.Field + " " + e.Reason
}

func missing(field string) error {
	return &ParamError{Field: field, Reason: "is required", Missing: true}
}

func invalid(field, format string, args ...any) error {
	return &ParamError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// TransportError is a failure to complete the HTTP exchange: the server could
// not be reached, the connection broke, or a timeout or cancellation ended the
// request before a response arrived. The URL never carries credentials.
type TransportError struct {
	// Op is what was being done: "send" or "read response".
	Op string
	// Method is the request's HTTP method.
	Method string
	// URL is the request's URL, without credentials.
	URL string
	// Err is the underlying error, e.g. a *net.OpError, context.Canceled,
	// or ErrTimeout.
	Err error
}

// Error describes the failed operation and its cause.
func (e *TransportError) Error() string {
	return "vllm: " + e.Op + " " + e.Method + " " + e.URL + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Is matches ErrTimeout when the cause was any kind of timeout.
func (e *TransportError) Is(target error) bool {
	return target == ErrTimeout && isTimeout(e.Err)
}

// isCertificateError reports a TLS certificate that failed verification.
func isCertificateError(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
	)
	return errors.As(err, &unknownAuth) || errors.As(err, &hostname) ||
		errors.As(err, &invalidCert) || errors.As(err, &verify)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ResponseTooLargeError is a non-streaming response body larger than the
// client's bound (WithMaxResponseSize). It is not retryable: the same request
// would get the same body.
type ResponseTooLargeError struct {
	// Limit is the bound in bytes.
	Limit int64
	// ContentLength is the size the server announced, or -1 when it did
	// not (the body was then read until it passed Limit).
	ContentLength int64
	// Method is the request's HTTP method.
	Method string
	// URL is the request's URL, without credentials.
	URL string
}

// Error names the request, the size and the bound.
func (e *ResponseTooLargeError) Error() string {
	size := "more than " + strconv.FormatInt(e.Limit, 10)
	if e.ContentLength > e.Limit {
		size = strconv.FormatInt(e.ContentLength, 10)
	}
	return "vllm: response to " + e.Method + " " + e.URL + " has " + size +
		" bytes, over the limit of " + strconv.FormatInt(e.Limit, 10) + " (see WithMaxResponseSize)"
}

// DecodeError is a response body the client could not decode: not JSON, a
// truncated payload, or JSON of an unexpected shape.
type DecodeError struct {
	// What was being decoded, e.g. "chat completion response".
	What string
	// Offset is the byte offset in the body (or stream payload) where
	// decoding failed, when known; -1 otherwise.
	Offset int64
	// Snippet is a bounded excerpt of the offending bytes.
	Snippet string
	// Err is the underlying decoding error.
	Err error
}

// Error names what failed to decode, where, and shows an excerpt.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("vllm: cannot decode ")
	b.WriteString(e.What)
	if e.Offset >= 0 {
		b.WriteString(" at byte ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Snippet != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Snippet))
	}
	return b.String()
}

// Unwrap returns the underlying decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches ErrInvalidResponse.
func (e *DecodeError) Is(target error) bool { return target == ErrInvalidResponse }

// newDecodeError wraps a json error with the offset it reports and an excerpt
// of data around that offset.
func newDecodeError(what string, data []byte, err error) *DecodeError {
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	start := 0
	if off > snippetLen/2 {
		start = int(off) - snippetLen/2
		if start > len(data) {
			start = len(data)
		}
	}
	return &DecodeError{What: what, Offset: off, Snippet: snippet(data[start:]), Err: err}
}

// StreamError is a stream that failed after its HTTP response began: an error
// event sent by the server inside the stream, a connection that ended before
// "data: [DONE]", a malformed or oversized event, or an idle timeout.
type StreamError struct {
	// Kind says which failure this is.
	Kind StreamErrorKind
	// API is the server's error object for KindErrorEvent, with the status
	// taken from its code when present.
	API *APIError
	// Events is the number of events handed to the caller before the
	// failure (the times Next returned true); 0 means nothing was
	// delivered, so sending the request again repeats nothing.
	Events int
	// Err is the underlying cause (io.ErrUnexpectedEOF, a *DecodeError,
	// ErrTimeout, a network error, …).
	Err error
}

// StreamErrorKind classifies a StreamError.
type StreamErrorKind int

// The kinds of stream failure.
const (
	// KindErrorEvent: the server sent an error object inside the stream.
	KindErrorEvent StreamErrorKind = iota + 1
	// KindUnexpectedEOF: the stream ended without "data: [DONE]".
	KindUnexpectedEOF
	// KindMalformed: an event's payload was not valid JSON of the expected shape.
	KindMalformed
	// KindTooLarge: an event exceeded the configured maximum event size.
	KindTooLarge
	// KindIdleTimeout: no bytes arrived within the idle timeout.
	KindIdleTimeout
	// KindTransport: reading the stream failed (connection reset, cancellation).
	KindTransport
)

var streamKindNames = [...]string{
	KindErrorEvent:    "error event",
	KindUnexpectedEOF: "unexpected end of stream",
	KindMalformed:     "malformed event",
	KindTooLarge:      "event too large",
	KindIdleTimeout:   "idle timeout",
	KindTransport:     "transport failure",
}

// String names the kind.
func (k StreamErrorKind) String() string {
	if k > 0 && int(k) < len(streamKindNames) {
		return streamKindNames[k]
	}
	return "stream error " + strconv.Itoa(int(k))
}

// Error describes the failure and how far the stream got.
func (e *StreamError) Error() string {
	var b strings.Builder
	b.WriteString("vllm: stream failed after ")
	b.WriteString(strconv.Itoa(e.Events))
	b.WriteString(" events: ")
	b.WriteString(e.Kind.String())
	if e.API != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.API.Error(), "vllm: "))
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "vllm: "))
	}
	return b.String()
}

// Unwrap returns the underlying cause and, for an error event, the *APIError.
func (e *StreamError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.API != nil {
		errs = append(errs, e.API)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Is matches ErrTimeout for an idle timeout. A stream failure of any kind
// is tested with errors.As and *StreamError.
func (e *StreamError) Is(target error) bool {
	return target == ErrTimeout && e.Kind == KindIdleTimeout
}

// IsRetryable reports whether a request that failed with err may succeed if
// sent again. The rule: sending an inference request again is safe, so
// timeouts, connection failures (before the response or while its body was
// read) and HTTP 408, 429, 500, 502, 503 and 504 are retryable; a stream that
// handed an event to the caller is not, since sending it again would repeat
// what the caller already has. Not retryable either: caller mistakes
// (*ParamError), failures that the same request meets again (TLS certificates
// that fail verification, an https URL to a plain-HTTP server, a body over
// the bound: *ResponseTooLargeError), other HTTP statuses (400, 401, 403,
// 404, 407, 422, …), decoding failures and cancellation by the caller.
//
// The retry policy's default (RetryPolicy.Retryable nil) is this function,
// applied to every attempt of a non-streaming call, body included, and to a
// stream until its response headers arrive; the library never sends a stream
// again after that, though a caller may when IsRetryable says so (a
// *StreamError with Events == 0).
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var pe *ParamError
	if errors.As(err, &pe) {
		return false
	}
	var se *StreamError
	if errors.As(err, &se) {
		if se.Events > 0 {
			return false // re-sending would repeat delivered events
		}
		if se.Kind == KindErrorEvent && se.API != nil {
			return se.API.retryable()
		}
		return se.Kind == KindTransport || se.Kind == KindIdleTimeout || se.Kind == KindUnexpectedEOF
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return false
	}
	if isTimeout(err) {
		return true
	}
	if isCertificateError(err) || errors.Is(err, http.ErrSchemeMismatch) {
		return false // the same certificate (or plain-HTTP server) fails again
	}
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}
