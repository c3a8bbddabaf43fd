package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

type requestConfig struct {
	headers http.Header
	timeout *time.Duration
	// affinityKey routes the call under the PrefixAffinity balance
	// (WithAffinityKey).
	affinityKey string
	stream      streamRequestSettings
}

// checkHeader rejects a header that net/http would refuse, as the caller's
// mistake rather than a transport failure; field names where it came from.
func checkHeader(field, name string, values ...string) error {
	if name == "" || strings.ContainsAny(name, " :\r\n\t") {
		return invalid(field, "invalid header name %q", name)
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n\x00") {
			return invalid(field, "invalid value for header %q", name)
		}
	}
	return nil
}

// apiRequest describes one call to the server. Every method of the library
// goes through Client.send, so that retries, logging and metrics hook in once.
type apiRequest struct {
	method string
	path   string // e.g. "/chat/completions", relative to the base (or root) URL
	root   bool   // path is relative to the server root, not to the /v1 base URL
	// op names the operation for errors and logs, e.g. "chat completion".
	op string
	// model is the requested model, for logs and metrics.
	model string
	// body is the request body; replayable bodies are sent again on retry.
	body []byte
	// newBody, when set, produces a fresh body for each attempt (multipart
	// uploads streamed from a reader); it is used instead of body.
	newBody func() (io.Reader, error)
	// once marks a body that can be sent only once (an upload streamed from
	// a one-shot reader): the production layer does not retry the request
	// and returns the first attempt's error.
	once        bool
	contentType string
	// stream marks a response read incrementally: the timeout covers only
	// the wait for the headers.
	stream bool
	// passthrough marks a request of Client.RoundTripper: its response
	// body is returned unread for the caller to read, the timeout covering
	// only the wait for the headers, and no Accept header is added.
	passthrough bool
	opts        []Option
	// rc is opts resolved once per call by resolve (resolved says it was);
	// every later step reads rc instead of applying opts again.
	rc       requestConfig
	resolved bool
	// requestID is the X-Request-Id the library generated for this call
	// (empty when the caller set one or none is generated).
	requestID string
	// attemptHeader holds the headers of one attempt set by hooks and
	// middleware (RequestInfo.Header); they replace any of the same name.
	attemptHeader http.Header
	// whole is the body of a non-streaming response, read by attempt.
	whole wholeBody
	// fast, when set, is the value the response is decoded into: attempt
	// decodes the body on the fast path as soon as it is read (doJSON then
	// has nothing left to do), and skips the check for an error object
	// when the decoded body is a success object.
	fast fastDecoder

	// ep is the endpoint (replica) this request goes to, chosen by the
	// production layer; nil means the client's base URL.
	ep *endpoint
	// call is the production layer's record of this call (hooks, logging,
	// the stream probe); nil when nobody observes calls.
	call *call
}

// resolve applies the request's options once and checks them, so that a
// bad option fails before any slot, rate limit or hook is taken. It is
// idempotent: the stream path resolves before send, send resolves again.
func (r *apiRequest) resolve() error {
	if r.resolved {
		return nil
	}
	if len(r.opts) > 0 {
		target := &optionTarget{call: &r.rc}
		for _, o := range r.opts {
			if o == nil {
				continue
			}
			if err := o(target); err != nil {
				return err
			}
		}
	}
	r.resolved = true
	return nil
}

// url returns the absolute URL of the request.
func (c *Client) url(r *apiRequest) string {
	if r.ep != nil {
		return r.ep.url(r)
	}
	if r.root {
		return c.cfg.wire.root + r.path
	}
	return c.cfg.wire.base + r.path
}

// wireConstants are the parts of every request computed once per client:
// the base URLs as strings and the header values that never change. The
// header slices are shared by all requests; they have len == cap, so an
// append by anyone downstream copies instead of writing into them.
type wireConstants struct {
	base, root string
	auth       []string // "Bearer <key>", nil without a key
	userAgent  []string
	acceptJSON []string
	acceptSSE  []string
	// timeoutErr is the cause of a request cut by the client's timeout.
	timeoutErr error
	// deadlines are the deadlines of the client's timeout shared by calls
	// whose context can never be canceled (deadline.go).
	deadlines *sharedDeadlines
}

func newWireConstants(cfg *config) wireConstants {
	w := wireConstants{
		base:       cfg.baseURL.String(),
		root:       cfg.rootURL.String(),
		userAgent:  []string{cfg.userAgent},
		acceptJSON: []string{"application/json"},
		acceptSSE:  []string{"text/event-stream"},
		timeoutErr: timeoutError(cfg.timeout),
	}
	w.deadlines = newSharedDeadlines(cfg.timeout, w.timeoutErr)
	if cfg.apiKey != "" {
		w.auth = []string{"Bearer " + cfg.apiKey}
	}
	return w
}

func timeoutError(d time.Duration) error {
	return fmt.Errorf("%w: no response within %v", ErrTimeout, d)
}

// contentTypeJSON is the Content-Type header of JSON bodies, shared (len ==
// cap) by every request.
var contentTypeJSON = []string{"application/json"}

// jsonRequest builds a POST of v as JSON.
func jsonRequest(op, path string, v any, opts []Option) (*apiRequest, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, &ParamError{Field: op + " request", Reason: "cannot be encoded as JSON: " + err.Error()}
	}
	return &apiRequest{method: http.MethodPost, path: path, op: op, body: body, contentType: "application/json", opts: opts}, nil
}

// send performs the request and returns the response once its headers have
// arrived with a status below 400. An error status becomes an *APIError; a
// failure to get a response becomes a *TransportError. The caller must close
// the returned body; closing it releases the request's timer and context.
func (c *Client) send(ctx context.Context, r *apiRequest) (*http.Response, error) {
	return c.cfg.prod.do(ctx, c, r)
}

// attempt sends r exactly once. It is the innermost step of send, below the
// production layer (retries, limits, middleware).
func (c *Client) attempt(ctx context.Context, r *apiRequest) (*http.Response, error) {
	if err := r.resolve(); err != nil {
		return nil, err
	}
	timeout, timeoutErr := c.cfg.timeout, c.cfg.wire.timeoutErr
	if r.rc.timeout != nil && *r.rc.timeout != timeout {
		timeout, timeoutErr = *r.rc.timeout, timeoutError(*r.rc.timeout)
	}

	var release func()
	switch {
	case !r.stream && !r.passthrough && timeout > 0:
		// The timeout covers the whole exchange: a deadline on the context
		// (deadline.go).
		ctx, release = c.withDeadline(ctx, timeout, timeoutErr, r.rc.timeout != nil)
	case !r.stream && !r.passthrough:
		// No timeout and a body read within the attempt: nothing of the
		// client's can end the call, so it goes with the caller's context
		// as it is.
		release = noRelease
	default:
		// A stream's timeout covers only the wait for the headers, so it is
		// a timer stopped once they arrive.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		var timer *time.Timer
		if timeout > 0 {
			timer = time.AfterFunc(timeout, func() { cancel(timeoutErr) })
		}
		release = func() {
			if timer != nil {
				timer.Stop()
			}
			cancel(context.Canceled)
		}
		if timer != nil {
			defer timer.Stop() // the headers are in (or the attempt failed)
		}
	}

	var body io.Reader
	if r.newBody != nil {
		b, err := r.newBody()
		if err != nil {
			release()
			return nil, err
		}
		body = b
	} else if r.body != nil {
		// NewRequestWithContext sets ContentLength and GetBody (for
		// redirects) from a *bytes.Reader.
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r), body)
	if err != nil {
		release()
		return nil, &ParamError{Field: "request", Reason: err.Error()}
	}
	c.setHeaders(req, r)

	resp, err := c.cfg.http.Do(req)
	if err != nil {
		cause := context.Cause(ctx)
		release()
		return nil, c.transportError("send", r, err, cause)
	}
	if resp.StatusCode >= 400 {
		apiErr := readAPIError(resp, req)
		// Drain a bounded rest so that the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, maxErrorDrain)
		resp.Body.Close()
		release()
		return nil, apiErr
	}
	if r.stream || r.passthrough {
		// The timer of the headers is stopped on return; the stream's
		// progress is bounded by its idle timeout from here on.
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: release, ctx: ctx}
		return resp, nil
	}
	// A non-streaming body is read within the attempt, so that a failure
	// to read it is the attempt's failure: retried like any other.
	data, err := readBody(resp, c.cfg.maxResponse)
	cause := context.Cause(ctx)
	resp.Body.Close()
	release()
	if err != nil {
		return nil, c.readFailure(r, err, cause)
	}
	// A body the fast path decodes to a success object cannot be an error
	// object: the check, a scan of the whole body, is left out.
	decoded := r.fast != nil && r.fast.decodeFast(data)
	if !decoded || !r.fast.successObject() {
		if ae := okStatusError(resp, req, data); ae != nil {
			return nil, ae
		}
	}
	// The body lives in the attempt's own apiRequest (already on the heap):
	// one allocation fewer per call.
	r.whole = wholeBody{data: data, decoded: decoded}
	resp.Body = &r.whole
	return resp, nil
}

// wholeBody is a non-streaming response body read whole by the attempt.
type wholeBody struct {
	data []byte
	off  int
	// decoded says that the request's fast decoder has decoded data.
	decoded bool
}

func (b *wholeBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *wholeBody) Close() error { return nil }

// readFailure is the error of a response body that could not be read: a
// *ResponseTooLargeError naming the request, or else a transport error.
func (c *Client) readFailure(r *apiRequest, err, cause error) error {
	var tl *ResponseTooLargeError
	if errors.As(err, &tl) {
		tl.Method, tl.URL = r.method, redactURL(c.url(r))
		return tl
	}
	return c.transportError("read response", r, err, cause)
}

// responseBytes returns the body of a non-streaming response, and whether
// r.fast has decoded it already. The attempt has read it whole (and decoded
// it), unless a middleware replaced it.
func (c *Client) responseBytes(resp *http.Response, r *apiRequest) ([]byte, bool, error) {
	rc := resp.Body
	cb, _ := rc.(*callBody)
	if cb != nil {
		rc = cb.ReadCloser
	}
	if wb, ok := rc.(*wholeBody); ok && wb.off == 0 {
		wb.off = len(wb.data)
		if cb != nil {
			cb.captured(wb.data)
		}
		return wb.data, wb == &r.whole && wb.decoded, nil
	}
	data, err := readBody(resp, c.cfg.maxResponse)
	if err != nil {
		return nil, false, c.readFailure(r, err, nil)
	}
	return data, false, nil
}

// okStatusError returns the *APIError of a success response whose body is
// an error object: vLLM's routers answer 200 with {"error":{…}} when a model
// does not serve the API, and proxies do so with the flat
// {"object":"error",…}. A success object that merely has an "error" member
// (a Responses API object, "object": "response") is not one. StatusCode is
// the body's code when that is an HTTP error status, the response's status
// otherwise.
func okStatusError(resp *http.Response, req *http.Request, body []byte) *APIError {
	if !bytes.Contains(body, []byte(`"error"`)) {
		return nil // cheap test first: most bodies never have the word
	}
	var probe struct {
		Error  json.RawMessage `json:"error"`
		Object *string         `json:"object"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return nil
	}
	inner := bytes.TrimSpace(probe.Error)
	switch {
	case probe.Object != nil && *probe.Object == "error":
	case probe.Object == nil && len(inner) > 0 && inner[0] == '{':
	default:
		return nil
	}
	ae := &APIError{StatusCode: resp.StatusCode, Body: bytes.Clone(body[:min(len(body), maxErrorBody)]),
		RequestID: resp.Header.Get("X-Request-Id")}
	if ae.RequestID == "" {
		ae.RequestID = req.Header.Get("X-Request-Id")
	}
	if !ae.parseBody(body) {
		return nil
	}
	if n, ok := httpStatus(ae.Code); ok && n >= 400 {
		ae.StatusCode = n
	}
	return ae
}

// setHeaders sets the headers of one attempt, from the least to the most
// specific: the library's, the client's (WithHeader given to New), the
// call's (WithHeader given to the call), the generated request id, the attempt's (hooks and
// middleware). Constant values are shared slices from wireConstants.
func (c *Client) setHeaders(req *http.Request, r *apiRequest) {
	h := req.Header
	w := &c.cfg.wire
	if r.contentType == "application/json" {
		h["Content-Type"] = contentTypeJSON
	} else if r.contentType != "" {
		h.Set("Content-Type", r.contentType)
	}
	if r.stream {
		h["Accept"] = w.acceptSSE
	} else if !r.passthrough {
		h["Accept"] = w.acceptJSON
	}
	h["User-Agent"] = w.userAgent
	if w.auth != nil {
		h["Authorization"] = w.auth
	}
	for k, vs := range c.cfg.headers {
		h[k] = vs[:len(vs):len(vs)]
	}
	for k, vs := range r.rc.headers {
		h[k] = vs[:len(vs):len(vs)]
	}
	if r.requestID != "" {
		h[headerRequestID] = []string{r.requestID}
	}
	for k, vs := range r.attemptHeader {
		h[k] = vs[:len(vs):len(vs)]
	}
}

// transportError wraps a failure to complete the exchange; cause is the
// request context's cause, which tells the client's own timeout apart from the
// caller's cancellation.
func (c *Client) transportError(op string, r *apiRequest, err, cause error) error {
	switch {
	case errors.Is(cause, ErrTimeout):
		err = cause
	case cause != nil && !errors.Is(cause, context.Canceled):
		err = cause // the caller's deadline: context.DeadlineExceeded
	default:
		var ue *url.Error
		if errors.As(err, &ue) && ue.Err != nil {
			// *url.Error repeats method and URL; keep only its cause.
			err = ue.Err
		}
	}
	return &TransportError{Op: op, Method: r.method, URL: redactURL(c.url(r)), Err: err}
}

// releasingBody releases the request's timer and context when closed, and
// turns a read cut by the client's own timeout into ErrTimeout.
type releasingBody struct {
	io.ReadCloser
	ctx     context.Context
	release func()
	once    sync.Once
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// readAPIError turns an error response into an *APIError, reading at most
// maxErrorBody bytes of its body.
func readAPIError(resp *http.Response, req *http.Request) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{
		StatusCode: resp.StatusCode,
		Body:       body,
		RequestID:  resp.Header.Get("X-Request-Id"),
		RetryAfter: resp.Header.Get("Retry-After"),
	}
	if e.RequestID == "" {
		e.RequestID = req.Header.Get("X-Request-Id")
	}
	e.parseBody(body)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// maxErrorDrain bounds how much of an error body beyond maxErrorBody is read
// and discarded to keep the connection for reuse.
const maxErrorDrain = 256 << 10

// rawKeeper is implemented by responses that keep their raw JSON.
type rawKeeper interface{ setRaw(json.RawMessage) }

// doJSON sends r and decodes the JSON response into out. Responses that keep
// their raw JSON (rawKeeper) get the exact body bytes.
func (c *Client) doJSON(ctx context.Context, r *apiRequest, out any) error {
	f, _ := out.(fastDecoder)
	r.fast = f
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, decoded, err := c.responseBytes(resp, r)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if !decoded && (f == nil || !f.decodeFast(body)) {
		if err := json.Unmarshal(body, out); err != nil {
			de := newDecodeError(r.op+" response", body, err)
			r.call.failed(de) // the hooks hear of it when the body is closed
			return de
		}
	}
	if k, ok := out.(rawKeeper); ok {
		k.setRaw(body)
	}
	return nil
}

// readBody reads a whole response body, failing with a
// *ResponseTooLargeError beyond limit bytes. With a Content-Length it reads
// into one buffer of that size (and fails at once when the length is over the
// limit); without, it grows its buffer by doubling, never past the limit.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	size := resp.ContentLength
	if size > limit {
		return nil, &ResponseTooLargeError{Limit: limit, ContentLength: size}
	}
	if size < 0 {
		size = min(4096, limit)
	}
	// One byte beyond Content-Length lets the EOF be read without growing.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= limit {
				// Full at the limit: anything more is too much.
				var one [1]byte
				n, err := io.ReadFull(resp.Body, one[:])
				if n > 0 {
					return nil, &ResponseTooLargeError{Limit: limit, ContentLength: resp.ContentLength}
				}
				if err == io.EOF {
					return buf, nil
				}
				return nil, err
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &ResponseTooLargeError{Limit: limit, ContentLength: resp.ContentLength}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// route names where a request goes: a path relative to the base URL (the
// /v1 routes) or, with root set, to the server root (/tokenize, /health, …).
type route struct {
	method string
	path   string
	root   bool
	op     string
}

// newRequest builds the request of rt with no body.
func (rt route) newRequest(model string, opts []Option) *apiRequest {
	return &apiRequest{method: rt.method, path: rt.path, root: rt.root, op: rt.op, model: model, opts: opts}
}

// jsonBody builds the request of rt with in encoded as JSON, merging extra
// into the top-level object (extra wins over typed fields of the same name).
// in must be a struct without a MarshalJSON method of its own.
func (rt route) jsonBody(model string, in any, extra map[string]any, opts []Option) (*apiRequest, error) {
	body, err := marshalWithExtra(in, extra)
	if err != nil {
		if _, ok := err.(*ParamError); ok {
			return nil, err
		}
		return nil, &ParamError{Field: rt.op + " request", Reason: "cannot be encoded as JSON: " + err.Error()}
	}
	r := rt.newRequest(model, opts)
	r.body = body
	r.contentType = "application/json"
	return r, nil
}

// callJSON sends in (nil for no body) to rt and decodes the JSON answer into
// out (nil to discard it).
func (c *Client) callJSON(ctx context.Context, rt route, model string, in any, extra map[string]any, out any, opts []Option) error {
	r := rt.newRequest(model, opts)
	if in != nil {
		var err error
		if r, err = rt.jsonBody(model, in, extra, opts); err != nil {
			return err
		}
	}
	return c.doJSON(ctx, r, out)
}

// callFor is callJSON decoding into a new T, for the many calls that return
// their response as it is.
func callFor[T any](ctx context.Context, c *Client, rt route, model string, in any, extra map[string]any, opts []Option) (*T, error) {
	var out T
	if err := c.callJSON(ctx, rt, model, in, extra, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// doRaw sends r and returns the whole response body with its Content-Type.
func (c *Client) doRaw(ctx context.Context, r *apiRequest) ([]byte, string, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, _, err := c.responseBytes(resp, r)
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// get and post shorten route literals.
func get(path, op string, root bool) route  { return route{http.MethodGet, path, root, op} }
func post(path, op string, root bool) route { return route{http.MethodPost, path, root, op} }

// sortStrings sorts ss in place.
func sortStrings(ss []string) { slices.Sort(ss) }
