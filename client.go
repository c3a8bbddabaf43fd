package vllm

import (
	"context"
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

// defaultTimeout bounds a request when no timeout is configured (see
// WithTimeout, whose doc states it).
const defaultTimeout = 10 * time.Minute

// Version is this library's version, sent in the default User-Agent.
const Version = "0.1.0"

// The environment variables read by FromEnv (named in its doc comment).
const (
	envBaseURL = "VLLM_BASE_URL"
	envAPIKey  = "VLLM_API_KEY"
	envTimeout = "VLLM_TIMEOUT"
)

// Client is a client for one vLLM server (or one set of replicas). It is safe
// for concurrent use by many goroutines; create it once and share it.
//
// Its fields are the services, one per group of routes. The OpenAI-compatible
// routes under /v1 have a service each (Chat, Completions, Responses, Models,
// Embeddings, Audio); vLLM's own routes are grouped the way vLLM's serving
// modules group them (Tokenizer, Pooling, Server, LoRA, Dev). The fields are
// set by New and must not be changed.
type Client struct {
	// Chat calls /v1/chat/completions.
	Chat *ChatService
	// Completions calls /v1/completions (legacy text completions).
	Completions *CompletionsService
	// Responses calls the Responses API (/v1/responses).
	Responses *ResponsesService
	// Models lists the served models (GET /v1/models) and resolves a
	// model name against them.
	Models *ModelsService
	// Embeddings calls POST /v1/embeddings.
	Embeddings *EmbeddingsService
	// Audio calls /v1/audio/transcriptions and /v1/audio/translations.
	Audio *AudioService
	// LoRA loads and unloads LoRA adapters at run time
	// (/v1/load_lora_adapter, /v1/unload_lora_adapter).
	LoRA *LoRAService
	// Tokenizer calls /tokenize, /detokenize and /tokenizer_info.
	Tokenizer *TokenizerService
	// Pooling calls the pooling-model routes other than embeddings:
	// /pooling, /classify, /score and the rerank routes.
	Pooling *PoolingService
	// Server asks about the server itself: /health, /version and /load
	// (its /metrics are read by package metrics).
	Server *ServerService
	// Dev calls the development endpoints (sleep, wake up, cache resets)
	// that vLLM serves only with VLLM_SERVER_DEV_MODE=1.
	Dev *DevService

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

// defaultIdlePerHost is the number of idle connections per host the default
// transport keeps; Go's own default of 2 churns TCP connections under load.
const defaultIdlePerHost = 512

// newHTTPClient returns an http.Client whose transport keeps enough idle
// connections for many concurrent requests to one host. TLS verification is on.
func newHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // no global limit
		MaxIdleConnsPerHost:   defaultIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		// Responses are read as they arrive; asking for gzip would make
		// the server (or a proxy) buffer a stream.
		DisableCompression: true,
		// Go reports a proxy's refusal of CONNECT with its status phrase
		// only; keep the status, so that 407 is not retried and 502 is.
		OnProxyConnectResponse: proxyRefusal,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// proxyRefusal turns a proxy's refusal of CONNECT into an *APIError with
// its status (the send's *TransportError wraps it). The proxy's URL, which
// may hold credentials, is not named.
func proxyRefusal(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &APIError{StatusCode: resp.StatusCode, Message: "the proxy refused CONNECT",
		RetryAfter: resp.Header.Get("Retry-After")}
}

// New returns a Client for the server at baseURL (e.g.
// "http://localhost:8000/v1"); an empty baseURL means DefaultBaseURL. Trailing
// slashes are removed. A base URL that is not an absolute http or https URL is
// an error naming the value.
func New(baseURL string, opts ...Option) (*Client, error) {
	cfg := &config{
		timeout:   defaultTimeout,
		headers:   make(http.Header),
		userAgent: "vllm-go/" + Version,
		http:      newHTTPClient(),
		ownHTTP:   true,

		maxResponse: defaultMaxResponseSize,
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
	target := &optionTarget{client: cfg}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(target); err != nil {
			return nil, err
		}
	}
	// A User-Agent given with WithHeader replaces the default wherever the
	// client sends one, health checks included.
	if uas := cfg.headers.Values("User-Agent"); len(uas) > 0 {
		cfg.userAgent = uas[len(uas)-1]
		cfg.headers.Del("User-Agent")
	}
	cfg.wire = newWireConstants(cfg)
	if err := cfg.prod.finish(cfg); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg}
	c.Chat = &ChatService{c: c}
	c.Completions = &CompletionsService{c: c}
	c.Responses = &ResponsesService{c: c}
	c.Models = &ModelsService{c: c}
	c.Embeddings = &EmbeddingsService{c: c}
	c.Audio = &AudioService{c: c}
	c.LoRA = &LoRAService{c: c}
	c.Tokenizer = &TokenizerService{c: c}
	c.Pooling = &PoolingService{c: c}
	c.Server = &ServerService{c: c}
	c.Dev = &DevService{c: c}
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
	if key := os.Getenv(envAPIKey); key != "" {
		envOpts = append(envOpts, WithAPIKey(key))
	}
	if t := strings.TrimSpace(os.Getenv(envTimeout)); t != "" {
		secs, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > 1e9 {
			return nil, &ParamError{Field: envTimeout, Reason: fmt.Sprintf("%q is not a number of seconds", t)}
		}
		envOpts = append(envOpts, WithTimeout(time.Duration(secs*float64(time.Second))))
	}
	base := os.Getenv(envBaseURL)
	if base != "" {
		if _, err := parseBaseURL(base); err != nil {
			return nil, &ParamError{Field: envBaseURL, Reason: fmt.Sprintf("%q is not an absolute http(s) URL", redactURL(base))}
		}
	}
	return New(base, append(envOpts, opts...)...)
}

// BaseURL returns the normalised base URL, e.g. "http://localhost:8000/v1".
func (c *Client) BaseURL() string { return c.cfg.baseURL.String() }

// Format prints the client for every verb (%v, %+v, %#v, %s, …) as its base
// URL and whether it has an API key, never the key itself, so that the key
// cannot leak through fmt or a logger that formats values. It has a value
// receiver so that a Client value, too, prints this way.
func (c Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.describe())) }

// describe is the text Format prints.
func (c Client) describe() string {
	if c.cfg == nil {
		return "vllm.Client{}"
	}
	key := "none"
	if c.cfg.apiKey != "" {
		key = "[REDACTED]"
	}
	return "vllm.Client{BaseURL: " + redactURL(c.BaseURL()) + ", APIKey: " + key + "}"
}

// Ptr returns a pointer to v. It makes optional fields easy to set:
// Temperature: vllm.Ptr(0.0) sends an explicit 0 where nil sends nothing.
func Ptr[T any](v T) *T { return &v }
