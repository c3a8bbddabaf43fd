package vllm

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// headerRequestID is the header that carries a request's id. vLLM uses the
// id it receives there as the base of its own request id (so the id a client
// logs can be found in the server's logs), and with
// --enable-request-id-headers it echoes the header in its responses.
const headerRequestID = "X-Request-Id"

// CallInfo describes one call of the library — one method call such as
// Chat.Create or Chat.Stream — across all of its attempts. Hooks receive it;
// they must not modify it.
type CallInfo struct {
	// Op names the operation, e.g. "chat completion", "completion".
	Op string
	// Method is the HTTP method, e.g. "POST".
	Method string
	// Path is the URL path on the server, e.g. "/v1/chat/completions" (the
	// path of the first endpoint; replicas may have other path prefixes).
	Path string
	// Model is the requested model, when the request names one.
	Model string
	// Endpoint is the base URL, without credentials, of the client's first
	// endpoint: the server the call goes to unless a balancer, a retry or a
	// fallback sends it to another replica (RequestInfo.Endpoint and
	// CallResult.Endpoint say where it went). It is known when the call
	// begins so that a trace span can name its server from the start, as
	// samplers see only the attributes a span starts with.
	Endpoint string
	// Stream reports whether the response is a stream of events.
	Stream bool
	// RequestID is the X-Request-Id sent with every attempt of the call
	// (given by the caller, or generated; see WithRequestIDFunc), or "".
	RequestID string
	// Start is when the call began, before any waiting for limits.
	Start time.Time
}

// RequestInfo describes one attempt of a call: what a Middleware sees and
// passes on. Middleware may add headers to Header; everything else is
// read-only.
type RequestInfo struct {
	// Call is the call this attempt belongs to.
	Call *CallInfo
	// Attempt numbers the attempts of the call from 1.
	Attempt int
	// Endpoint is the base URL of the replica this attempt goes to, without
	// credentials.
	Endpoint string
	// URL is the absolute URL of the attempt, without credentials.
	URL string
	// Header holds headers this attempt adds to those of the client and the
	// request (it already carries X-Request-Id when the call has one).
	// A Middleware may set more, e.g. trace context; a value set here
	// replaces a client or request header of the same name.
	Header http.Header
	// Body is the request body; nil for uploads produced from a reader. It
	// must not be modified.
	Body []byte

	c  *Client
	r  *apiRequest
	ep *endpoint
}

// RoundTrip performs one attempt: it sends the request described by req and
// returns the response once its headers have arrived with a status below 400.
// Errors are the library's own: an HTTP error status is an *APIError, a
// failure to get a response a *TransportError.
type RoundTrip func(ctx context.Context, req *RequestInfo) (*http.Response, error)

// Middleware wraps each attempt of every call of a Client: it receives the
// next step and returns a step that does something around it. Middleware
// given to WithMiddleware run in order, the first outermost; retries, limits
// and endpoint choice happen outside them, so a middleware sees every attempt.
// A middleware must call next at most once per invocation and return what it
// returned (or an error of its own); it may replace the response body with a
// wrapper that closes the original.
type Middleware func(next RoundTrip) RoundTrip

// AttemptResult is the outcome of one attempt.
type AttemptResult struct {
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Err is the attempt's error, nil on success.
	Err error
	// Duration is the time until the response headers (or the failure).
	Duration time.Duration
}

// StreamProgress describes an event of a stream as it is handed to the caller.
type StreamProgress struct {
	// Token reports whether the event carried generated text (content,
	// reasoning, tool-call arguments).
	Token bool
	// Events counts the events so far, this one included.
	Events int
	// Tokens counts the events carrying text so far, this one included.
	Tokens int
	// Elapsed is the time since the call began; for the first token event
	// it is the time to first token.
	Elapsed time.Duration
	// Gap is the time since the previous event carrying text (0 for the
	// first): the inter-token latency.
	Gap time.Duration
	// Model is the model the stream's chunks name (the served model name
	// vLLM answers with), "" until one has named it. CallResult.ResponseModel
	// comes only at the end of the stream; this is for what is recorded per
	// event, such as the GenAI chunk metrics' gen_ai.response.model.
	Model string
}

// CallResult is the outcome of a whole call, reported once when it ends: for
// a non-streaming call when its response body is closed (the library closes
// it once decoded), for a stream when the stream ends.
type CallResult struct {
	// Attempts is the number of attempts made.
	Attempts int
	// Endpoint is the base URL of the replica of the last attempt, without
	// credentials; "" when no attempt was made.
	Endpoint string
	// StatusCode is the HTTP status of the last attempt, 0 when none arrived.
	StatusCode int
	// Err is the call's error; nil on success. For a stream it is the
	// stream's failure, if any. A response whose JSON body the library
	// fails to decode is reported with that *DecodeError; checks made
	// after the call ended (base64 embeddings, audio transcriptions) are
	// not seen here.
	Err error
	// Duration is the time from the start of the call to its end.
	Duration time.Duration
	// Usage is the token usage reported by the server, when it did; the
	// Responses API's input_tokens and output_tokens (and their details)
	// are reported as PromptTokens and CompletionTokens.
	Usage *Usage
	// ResponseID is the response's id. It, ResponseModel and FinishReasons
	// are read from the response: from a JSON body (non-streaming calls,
	// bodies up to 1 MiB), or from the events of a stream as far as it went
	// (a stream closed or failed before its end reports the finish reasons
	// it had seen).
	ResponseID string
	// ResponseModel is the model the response names.
	ResponseModel string
	// FinishReasons holds the finish reason of each choice that has one.
	FinishReasons []string
	// Events counts a stream's events.
	Events int
	// TokenEvents counts a stream's events carrying text.
	TokenEvents int
	// TimeToFirstToken is the time from the start of the call to a stream's
	// first event carrying text; 0 when there was none.
	TimeToFirstToken time.Duration
	// Body is the JSON response body of a non-streaming call (up to 1 MiB),
	// valid only during the hook. For a chat or completion stream it is the
	// response the stream accumulated, in the non-streaming shape (what
	// Collect returns), for a Responses stream the last response object it
	// carried, when that is at most 1 MiB; nil otherwise.
	Body []byte
}

// Hooks observe the calls of a Client. Every field is optional. Hooks run
// synchronously on the calling goroutine (stream hooks on the goroutine
// reading the stream), so they must be quick; they must be safe for
// concurrent use, since a Client serves many goroutines.
type Hooks struct {
	// OnCallStart is called once when a call begins. The context it returns
	// (derived from ctx, or ctx itself) is used for the call's attempts and
	// given to the other hooks of this call — e.g. to carry a trace span.
	OnCallStart func(ctx context.Context, call *CallInfo) context.Context
	// OnRequest is called before each attempt.
	OnRequest func(ctx context.Context, req *RequestInfo)
	// OnResponse is called after each attempt, when its headers arrived or
	// it failed.
	OnResponse func(ctx context.Context, req *RequestInfo, res AttemptResult)
	// OnRetry is called when a failed attempt will be retried after wait.
	OnRetry func(ctx context.Context, req *RequestInfo, err error, wait time.Duration)
	// OnStreamEvent is called for each event a stream hands to the caller,
	// before OnCallEnd.
	OnStreamEvent func(ctx context.Context, call *CallInfo, ev StreamProgress)
	// OnCallEnd is called once when the call ends (see CallResult).
	OnCallEnd func(ctx context.Context, call *CallInfo, res *CallResult)
}

// statusOf returns the HTTP status of an attempt's outcome.
func statusOf(resp *http.Response, err error) int {
	if resp != nil {
		return resp.StatusCode
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}
