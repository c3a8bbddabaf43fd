package vllm

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the base URL used when none is given: a vLLM server on
// this machine at its default port.
const DefaultBaseURL = "http://localhost:8000/v1"

// DefaultTimeout bounds a request when no timeout is configured. For a
// non-streaming request it covers the whole exchange; for a stream it covers
// the wait for the response headers only (see WithTimeout).
const DefaultTimeout = 10 * time.Minute

// Version is this library's version, sent in the default User-Agent.
const Version = "0.1.0"

// Environment variables read by FromEnv.
const (
	EnvBaseURL = "VLLM_BASE_URL"
	EnvAPIKey  = "VLLM_API_KEY"
	EnvTimeout = "VLLM_TIMEOUT"
)

// Client is a client for one vLLM server (or one set of replicas). It is safe
// for concurrent use by many goroutines; create it once and share it.
//
// The services group the API by route: Chat for /v1/chat/completions,
// Completions for /v1/completions, and so on.
type Client struct {
	// Chat calls /v1/chat/completions.
	Chat *ChatService
	// Completions calls /v1/completions (legacy text completions).
	Completions *CompletionsService

	apiServices

	cfg *config
}

// config is the immutable configuration of a Client.
type config struct {
	baseURL   *url.URL // without trailing slash, e.g. http://host:8000/v1
	rootURL   *url.URL // the server root: baseURL without a trailing /v1
	apiKey    string
	timeout   time.Duration
	headers   http.Header
	userAgent string
	http      *http.Client
	ownHTTP   bool // the http.Client was created by us
	// maxResponse bounds a non-streaming response body (WithMaxResponseSize).
	maxResponse int64

	prod   productionConfig
	stream streamSettings
	wire   wireConstants // computed by New from the fields above
}

// Option configures a Client. Options are applied in order; an option given an
// invalid value makes New fail with a *ParamError naming the option.
type Option func(*config) error

// WithAPIKey sets the key sent as "Authorization: Bearer <key>". The key never
// appears in errors, logs or formatted output of the Client.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.ContainsAny(key, "\r\n") {
			return invalid("WithAPIKey", "contains a line break")
		}
		c.apiKey = key
		return nil
	}
}

// WithTimeout bounds each request. For non-streaming requests it covers the
// whole exchange, body included. For streams it covers only the wait for the
// response headers, so that a long generation is never cut off by it; a
// stream's progress is bounded by its idle timeout instead. Zero disables the
// timeout (the context still applies).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("WithTimeout", "must not be negative, got %v", d)
		}
		c.timeout = d
		return nil
	}
}

// WithHeader adds a header sent with every request. It may be given several
// times; a per-request header (WithRequestHeader) replaces a client header of
// the same name. Setting "Authorization" here overrides WithAPIKey.
func WithHeader(name, value string) Option {
	return func(c *config) error {
		if name == "" || strings.ContainsAny(name, " :\r\n") || strings.ContainsAny(value, "\r\n") {
			return invalid("WithHeader", "invalid header %q", name)
		}
		c.headers.Add(name, value)
		return nil
	}
}

// WithHTTPClient makes the Client send requests with hc, for custom TLS
// (self-signed certificates), proxies or transports. The client's own Timeout
// field is left as it is; prefer WithTimeout, which does not cut streams off.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return invalid("WithHTTPClient", "is nil")
		}
		c.http = hc
		c.ownHTTP = false
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default "vllm-go/<Version>").
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.ContainsAny(ua, "\r\n") {
			return invalid("WithUserAgent", "contains a line break")
		}
		c.userAgent = ua
		return nil
	}
}

// DefaultMaxResponseSize is the default bound of a non-streaming response
// body: 256 MiB.
const DefaultMaxResponseSize = 256 << 20

// WithMaxResponseSize bounds a non-streaming response body to n bytes
// (default DefaultMaxResponseSize). A larger body fails the call with a
// *ResponseTooLargeError, which is not retried: the same request would get
// the same body. An announced Content-Length over the bound fails before
// anything is read; otherwise the body is read into one buffer that never
// grows past the bound. Streams are bounded per event instead
// (WithMaxEventSize).
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxResponseSize", "must be positive, got %d", n)
		}
		c.maxResponse = n
		return nil
	}
}

// WithMaxConnsPerHost tunes the default transport for n concurrent requests to
// one host: up to n idle connections are kept for reuse. The default is 512.
// It has no effect together with WithHTTPClient.
func WithMaxConnsPerHost(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxConnsPerHost", "must be positive, got %d", n)
		}
		if c.ownHTTP {
			c.http = newHTTPClient(n)
		}
		return nil
	}
}

// defaultIdlePerHost is the number of idle connections per host the default
// transport keeps; Go's own default of 2 churns TCP connections under load.
const defaultIdlePerHost = 512

// newHTTPClient returns an http.Client whose transport keeps enough idle
// connections for many concurrent requests to one host. TLS verification is on.
func newHTTPClient(idlePerHost int) *http.Client {
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // no global limit
		MaxIdleConnsPerHost:   idlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		// Responses are read as they arrive; asking for gzip would make
		// the server (or a proxy) buffer a stream.
		DisableCompression: true,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// New returns a Client for the server at baseURL (e.g.
// "http://localhost:8000/v1"); an empty baseURL means DefaultBaseURL. Trailing
// slashes are removed. A base URL that is not an absolute http or https URL is
// an error naming the value.
func New(baseURL string, opts ...Option) (*Client, error) {
	cfg := &config{
		timeout:   DefaultTimeout,
		headers:   make(http.Header),
		userAgent: "vllm-go/" + Version,
		http:      newHTTPClient(defaultIdlePerHost),
		ownHTTP:   true,

		maxResponse: DefaultMaxResponseSize,
	}
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg.baseURL = u
	root := *u
	root.Path = strings.TrimSuffix(u.Path, "/v1")
	root.RawPath = ""
	cfg.rootURL = &root
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	cfg.wire = newWireConstants(cfg)
	if err := cfg.prod.finish(cfg); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg}
	c.Chat = &ChatService{c: c}
	c.Completions = &CompletionsService{c: c}
	c.initAPIServices()
	return c, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &ParamError{Field: "base URL", Reason: fmt.Sprintf("%q is not an absolute http(s) URL", redactURL(s))}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, &ParamError{Field: "base URL", Reason: fmt.Sprintf("%q must not have a query or fragment", redactURL(s))}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL hides the password of a URL given with user info.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// FromEnv returns a Client configured from the environment: VLLM_BASE_URL
// (default DefaultBaseURL), VLLM_API_KEY and VLLM_TIMEOUT (in seconds,
// fractions allowed; 0 disables the timeout). Options given here are applied
// after the environment and override it. An unparsable VLLM_TIMEOUT or
// VLLM_BASE_URL is an error naming the variable and its value.
func FromEnv(opts ...Option) (*Client, error) {
	var envOpts []Option
	if key := os.Getenv(EnvAPIKey); key != "" {
		envOpts = append(envOpts, WithAPIKey(key))
	}
	if t := strings.TrimSpace(os.Getenv(EnvTimeout)); t != "" {
		secs, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > 1e9 {
			return nil, &ParamError{Field: EnvTimeout, Reason: fmt.Sprintf("%q is not a number of seconds", t)}
		}
		envOpts = append(envOpts, WithTimeout(time.Duration(secs*float64(time.Second))))
	}
	base := os.Getenv(EnvBaseURL)
	if base != "" {
		if _, err := parseBaseURL(base); err != nil {
			return nil, &ParamError{Field: EnvBaseURL, Reason: fmt.Sprintf("%q is not an absolute http(s) URL", redactURL(base))}
		}
	}
	return New(base, append(envOpts, opts...)...)
}

// BaseURL returns the normalised base URL, e.g. "http://localhost:8000/v1".
func (c *Client) BaseURL() string { return c.cfg.baseURL.String() }

// APIKey returns the configured API key, or "" when none is set.
func (c *Client) APIKey() string { return c.cfg.apiKey }

// Timeout returns the configured request timeout (see WithTimeout).
func (c *Client) Timeout() time.Duration { return c.cfg.timeout }

// HTTPClient returns the *http.Client the Client sends requests with.
func (c *Client) HTTPClient() *http.Client { return c.cfg.http }

// String describes the client without revealing its API key. It has a value
// receiver so that a Client value, too, prints this way.
func (c Client) String() string {
	if c.cfg == nil {
		return "vllm.Client{}"
	}
	key := "none"
	if c.cfg.apiKey != "" {
		key = "[REDACTED]"
	}
	return "vllm.Client{BaseURL: " + redactURL(c.BaseURL()) + ", APIKey: " + key + "}"
}

// GoString is String, so that %#v does not reveal the API key either.
func (c Client) GoString() string { return c.String() }

// Format prints the client as String for every verb (%v, %+v, %#v, %s), so the
// API key never leaks through fmt.
func (c Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// Ptr returns a pointer to v. It makes optional fields easy to set:
// Temperature: vllm.Ptr(0.0) sends an explicit 0 where nil sends nothing.
func Ptr[T any](v T) *T { return &v }
