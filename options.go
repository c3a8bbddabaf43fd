package vllm

import (
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file holds every option. Each option's doc comment states where it
// applies and the default that applies when it is not given.

// Option configures a Client, given to New or FromEnv, or one call, given to
// a service method: c.Chat.Create(ctx, req, vllm.WithTimeout(time.Minute)).
// WithHeader, WithTimeout and WithStreamIdleTimeout apply at both levels, a
// call's value taking the place of the client's for that call;
// WithAffinityKey and WithThinkSplit apply to calls; every other option
// configures the Client and applies to New only. Options are applied in
// order. An option given an invalid value, or given where it does not
// apply, is a *ParamError naming it: New fails, or the call fails before
// anything is sent.
type Option func(*optionTarget) error

// optionTarget is what an Option sets: a Client's configuration, when given
// to New, or one call's, when given to a service method. Exactly one of the
// two is set.
type optionTarget struct {
	client *config
	call   *requestConfig
}

// clientOption makes an option that configures a Client, refused by calls.
func clientOption(name string, set func(*config) error) Option {
	return func(t *optionTarget) error {
		if t.client == nil {
			return invalid(name, "configures a Client: give it to New, not to a call")
		}
		return set(t.client)
	}
}

// callOption makes an option that adjusts one call, refused by New.
func callOption(name string, set func(*requestConfig) error) Option {
	return func(t *optionTarget) error {
		if t.call == nil {
			return invalid(name, "adjusts one call: give it to the call, not to New")
		}
		return set(t.call)
	}
}

// WithAPIKey sets the key sent as "Authorization: Bearer <key>". The key never
// appears in errors, logs or formatted output of the Client.
//
// By default no key is sent.
func WithAPIKey(key string) Option {
	return clientOption("WithAPIKey", func(c *config) error {
		if strings.ContainsAny(key, "\r\n") {
			return invalid("WithAPIKey", "contains a line break")
		}
		c.apiKey = key
		return nil
	})
}

// WithTimeout bounds each request. For non-streaming requests it covers the
// whole exchange, body included. For streams it covers only the wait for the
// response headers, so that a long generation is never cut off by it; a
// stream's progress is bounded by its idle timeout instead. Zero disables the
// timeout (the context still applies). Given to New it bounds every call;
// given to a call it replaces the client's timeout for that call.
//
// The client's timeout of a non-streaming call whose context can never be
// canceled (context.Background, or values only) is shared with the calls
// that start in the same 1/256 of the timeout, which spares each call a
// timer and context of its own: such a call is cut after at least the
// timeout and at most 1/256 of it more. Every other call (a context that
// can be canceled, a timeout given to the call) is cut after exactly the
// timeout.
//
// The default is 10 minutes.
func WithTimeout(d time.Duration) Option {
	return func(t *optionTarget) error {
		if d < 0 {
			return invalid("WithTimeout", "must not be negative, got %v", d)
		}
		if t.call != nil {
			t.call.timeout = &d
			return nil
		}
		t.client.timeout = d
		return nil
	}
}

// WithHeader adds a header. Given to New, it is sent with every request of
// the Client; given to a call, with that call's requests only, replacing a
// client header of the same name. It may be given several times. Setting
// "Authorization" overrides WithAPIKey. A client "User-Agent" replaces the
// default "vllm-go/<Version>" everywhere the client sends it, health checks
// included (the last one given wins).
//
// By default no extra header is sent.
func WithHeader(name, value string) Option {
	return func(t *optionTarget) error {
		if err := checkHeader("WithHeader", name, value); err != nil {
			return err
		}
		if t.call != nil {
			if t.call.headers == nil {
				t.call.headers = make(http.Header)
			}
			t.call.headers.Add(name, value)
			return nil
		}
		t.client.headers.Add(name, value)
		return nil
	}
}

// WithHTTPClient makes the Client send requests with hc, for custom TLS
// (self-signed certificates), proxies or transports. The client's own Timeout
// field is left as it is; prefer WithTimeout, which does not cut streams off.
//
// The default is a client whose transport keeps up to 512 idle connections
// per host, so that hundreds of concurrent calls to one server reuse their
// connections (Go's own default of 2 churns them), with compression off so
// that streams are not buffered. For more concurrent calls than that, give a
// client whose transport keeps more.
func WithHTTPClient(hc *http.Client) Option {
	return clientOption("WithHTTPClient", func(c *config) error {
		if hc == nil {
			return invalid("WithHTTPClient", "is nil")
		}
		c.http = hc
		c.ownHTTP = false
		return nil
	})
}

// defaultMaxResponseSize is the bound of a non-streaming response body when
// WithMaxResponseSize is not given (its doc states it).
const defaultMaxResponseSize = 256 << 20

// WithMaxResponseSize bounds a non-streaming response body to n bytes
// (default 256 MiB). A larger body fails the call with a
// *ResponseTooLargeError, which is not retried: the same request would get
// the same body. An announced Content-Length over the bound fails before
// anything is read; otherwise the body is read into one buffer that never
// grows past the bound. Streams are bounded per event instead
// (WithMaxEventSize).
func WithMaxResponseSize(n int64) Option {
	return clientOption("WithMaxResponseSize", func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxResponseSize", "must be positive, got %d", n)
		}
		c.maxResponse = n
		return nil
	})
}

// WithRetry sets the retry policy (see RetryPolicy); it is the one retry
// option. WithRetry(RetryPolicy{MaxAttempts: 3}) retries a failed call up to
// twice with the default backoff.
//
// By default a call is attempted once.
func WithRetry(p RetryPolicy) Option {
	return clientOption("WithRetry", func(c *config) error {
		if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxElapsed < 0 {
			return invalid("WithRetry", "must not have negative values")
		}
		c.prod.retry = p
		return nil
	})
}

// WithMaxInFlight limits the calls of the Client in flight at once to n. A
// call holds its place from its start, across its retries, until its
// response body is closed (for a stream: until the stream ends or is
// closed). A call that finds no place waits, as long as its context allows;
// if the context ends first, the call fails with a *TransportError (Op "wait
// for a request slot") matching the context's error. Zero means no limit.
//
// The default is no limit.
func WithMaxInFlight(n int) Option {
	return clientOption("WithMaxInFlight", func(c *config) error {
		if n < 0 {
			return invalid("WithMaxInFlight", "must not be negative, got %d", n)
		}
		c.prod.maxFlight = n
		return nil
	})
}

// WithRateLimit limits the requests the Client sends to perSecond on average,
// with bursts of up to burst requests (at least 1). Every attempt counts,
// retries included. A request over the limit waits for its turn as long as its
// context allows; if the context ends first, the call fails with a
// *TransportError (Op "wait for the rate limit") matching the context's error.
// A perSecond of zero removes the limit.
//
// The default is no limit.
func WithRateLimit(perSecond float64, burst int) Option {
	return clientOption("WithRateLimit", func(c *config) error {
		if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
			return invalid("WithRateLimit", "rate must be a non-negative number, got %v", perSecond)
		}
		if burst < 1 {
			burst = 1
		}
		if perSecond == 0 {
			c.prod.rate = nil
			return nil
		}
		c.prod.rate = &tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now()}
		return nil
	})
}

// WithCircuitBreaker gives every endpoint a circuit breaker with policy p
// (see BreakerPolicy). While the breakers of all endpoints are open, calls
// fail at once with a *CircuitOpenError (test with errors.As).
//
// By default there is no breaker; with several endpoints, passive ejection
// applies (3 failures, 5s cool-down; see WithEndpoints).
func WithCircuitBreaker(p BreakerPolicy) Option {
	return clientOption("WithCircuitBreaker", func(c *config) error {
		if p.Failures < 0 || p.CoolDown < 0 || p.HalfOpenRequests < 0 {
			return invalid("WithCircuitBreaker", "must not have negative values")
		}
		if p.Failures == 0 {
			p.Failures = defaultBreaker.Failures
		}
		if p.CoolDown == 0 {
			p.CoolDown = defaultBreaker.CoolDown
		}
		if p.HalfOpenRequests == 0 {
			p.HalfOpenRequests = defaultBreaker.HalfOpenRequests
		}
		c.prod.breaker = &p
		return nil
	})
}

// WithEndpoints adds replicas of the server: the base URL given to New is the
// first, these are the others. Calls are spread over all of them (see
// WithBalance); a retry goes to another endpoint than the attempts before it
// when one is available; an endpoint that keeps failing is ejected for a
// cool-down and then re-admitted on trial (passive ejection: 3 consecutive failures eject an endpoint for 5s,
// or the policy of WithCircuitBreaker). Each URL is a base URL like New's,
// e.g. "http://10.0.0.2:8000/v1".
//
// By default the client has one endpoint, the base URL.
func WithEndpoints(baseURLs ...string) Option {
	return clientOption("WithEndpoints", func(c *config) error {
		if err := checkURLs("WithEndpoints", baseURLs); err != nil {
			return err
		}
		c.prod.extraURLs = append(c.prod.extraURLs, baseURLs...)
		return nil
	})
}

// WithFallback adds fallback servers, used only while no primary endpoint
// (the base URL and WithEndpoints) can take a call: all ejected, their
// breakers open or their health checks failing. Among themselves fallbacks
// are balanced like primaries.
//
// By default there is no fallback.
func WithFallback(baseURLs ...string) Option {
	return clientOption("WithFallback", func(c *config) error {
		if err := checkURLs("WithFallback", baseURLs); err != nil {
			return err
		}
		c.prod.fallbackURLs = append(c.prod.fallbackURLs, baseURLs...)
		return nil
	})
}

// WithAffinityIndex bounds the memory of the PrefixAffinity balance: the
// index remembers at most blocks prompt blocks of 256 bytes (about 100 bytes
// of memory each), evicting the least recently used. Default
// 65 536 blocks (64 MiB of prompts).
func WithAffinityIndex(blocks int) Option {
	return clientOption("WithAffinityIndex", func(c *config) error {
		if blocks <= 0 {
			return invalid("WithAffinityIndex", "must be positive, got %d", blocks)
		}
		c.prod.affinitySize = blocks
		return nil
	})
}

// WithBalance sets how calls are spread over the endpoints (default
// RoundRobin).
func WithBalance(b Balance) Option {
	return clientOption("WithBalance", func(c *config) error {
		if b != RoundRobin && b != LeastOutstanding && b != PrefixAffinity {
			return invalid("WithBalance", "unknown strategy %d", int(b))
		}
		c.prod.balance = b
		return nil
	})
}

// WithHealthCheck checks every endpoint actively: every interval, a GET of
// /health at the server root (e.g. http://host:8000/health). An endpoint that
// does not answer 2xx gets no calls until a check succeeds again, which also
// re-admits it at once if it had been ejected. A check carries the client's
// headers (WithHeader given to New, the API key), as its calls do. The checks run on a goroutine
// that Client.Close stops; a Client with health checks must be closed.
//
// By default no health checks run; zero turns them off.
func WithHealthCheck(interval time.Duration) Option {
	return clientOption("WithHealthCheck", func(c *config) error {
		if interval < 0 {
			return invalid("WithHealthCheck", "must not be negative, got %v", interval)
		}
		c.prod.healthEvery = interval
		return nil
	})
}

// WithLogger logs the Client's calls to l (nothing is logged by default).
// Every record keeps the library's attributes in a group named "vllm", so
// that they do not collide with the application's:
//
//   - one record per finished call ("vllm call"): method, path, model,
//     status, attempts, endpoint, latency_ms, request id, token counts, and
//     for streams ttft_ms and the event count (a stream its caller closed
//     early is not a failure: it is logged with closed_early=true); at
//     slog.LevelDebug unless WithLogPolicy sets another level, and at Warn,
//     with the error as an error value, when the call failed;
//   - each retry ("vllm retry") with the error and wait_ms, at the level of
//     the call records;
//   - at Debug, each attempt ("vllm attempt") with its URL and headers, and
//     when LogPolicy.Bodies asks for them the request body and the response
//     body of non-streaming calls ("vllm response"), truncated to 2 KiB.
//
// Credentials never appear: header values are logged only for headers known
// to be safe (Content-Type, Accept, User-Agent, X-Request-Id, and those
// LogPolicy.SafeHeaders adds); every other value, the API key's
// Authorization header and any gateway key included, is logged as
// "[REDACTED]". URLs are logged without user info.
func WithLogger(l *slog.Logger) Option {
	return clientOption("WithLogger", func(c *config) error {
		c.prod.logger = l
		return nil
	})
}

// LogPolicy sets what a Client given WithLogger logs (see WithLogPolicy).
// The zero LogPolicy is the default.
type LogPolicy struct {
	// Level is the level of the call and retry records; nil means
	// slog.LevelDebug, so that a library's records stay out of an
	// application's Info logs until it asks for them. A failed call is
	// logged at slog.LevelWarn, or at Level when that is higher.
	Level slog.Leveler
	// SafeHeaders names headers whose values may be logged, beside those
	// always logged (Content-Type, Accept, User-Agent, X-Request-Id). It
	// can only add: the headers that carry credentials by definition
	// (Authorization, Proxy-Authorization, Cookie, X-Api-Key, Api-Key) are
	// refused.
	SafeHeaders []string
	// Bodies logs the request bodies and the response bodies of
	// non-streaming calls at Debug. They hold the prompts and the model's
	// answers, so they are logged only when asked for.
	Bodies bool
}

// WithLogPolicy sets what WithLogger logs: the level of the call records,
// more headers whose values are safe to log, and whether bodies are logged.
// It is a setting of its own, rather than arguments of WithLogger, so that
// the common case stays WithLogger(l).
func WithLogPolicy(p LogPolicy) Option {
	return clientOption("WithLogPolicy", func(c *config) error {
		for _, h := range p.SafeHeaders {
			if slices.Contains(credentialHeaders, http.CanonicalHeaderKey(h)) {
				return invalid("LogPolicy.SafeHeaders", "names %s, which carries credentials", http.CanonicalHeaderKey(h))
			}
		}
		p.SafeHeaders = append([]string(nil), p.SafeHeaders...)
		c.prod.logPolicy = p
		return nil
	})
}

// WithMiddleware adds middleware around every attempt of every call (see
// Middleware). It may be given several times; the middleware run in the
// order given.
//
// By default there is none.
func WithMiddleware(mw ...Middleware) Option {
	return clientOption("WithMiddleware", func(c *config) error {
		for _, m := range mw {
			if m == nil {
				return invalid("WithMiddleware", "is nil")
			}
		}
		c.prod.middleware = append(c.prod.middleware, mw...)
		return nil
	})
}

// WithHooks adds hooks observing every call (see Hooks). It may be given
// several times; the hooks run in the order given.
//
// By default there are none.
func WithHooks(h Hooks) Option {
	return clientOption("WithHooks", func(c *config) error {
		c.prod.hooks = append(c.prod.hooks, h)
		return nil
	})
}

// WithRequestIDFunc sets how a request id is made for a call that has none:
// unless the call or the client already sets X-Request-Id (WithHeader), newID is called once per call and the id is sent with every
// attempt of it, reported to hooks and logs, and kept in *APIError.RequestID.
// The default makes 32 random hex digits; nil sends no generated id.
func WithRequestIDFunc(newID func() string) Option {
	return clientOption("WithRequestIDFunc", func(c *config) error {
		c.prod.newID = newID
		c.prod.newIDSet = true
		return nil
	})
}

// WithStreamIdleTimeout bounds how long a stream may wait for its next bytes
// (the idle timeout; 5 minutes when not set). The clock runs
// only while the stream waits for the server, never while the caller handles
// an event, and it is restarted by every read that returns data; when it
// fires, the stream fails with a *StreamError of KindIdleTimeout that
// matches ErrTimeout. Zero disables it. It is independent of WithTimeout,
// which for streams covers only the wait for the response headers. Given to
// New it applies to every stream; given to a call, to that stream only (it
// has no effect on calls that do not stream).
func WithStreamIdleTimeout(d time.Duration) Option {
	return func(t *optionTarget) error {
		if d < 0 {
			return invalid("WithStreamIdleTimeout", "must not be negative, got %v", d)
		}
		if t.call != nil {
			t.call.stream.idleTimeout = &d
			return nil
		}
		t.client.stream.idleTimeout, t.client.stream.idleTimeoutSet = d, true
		return nil
	}
}

// WithMaxEventSize bounds the size of one server-sent event of a stream
// (64 MiB when not set, so that very long tool arguments or logprob lines
// work out of the box). A larger event fails the stream with a
// *StreamError of KindTooLarge; the event decoder never buffers more than about
// twice this size for a stream.
func WithMaxEventSize(n int) Option {
	return clientOption("WithMaxEventSize", func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxEventSize", "must be positive, got %d", n)
		}
		c.stream.maxEventSize = n
		return nil
	})
}

// WithAffinityKey routes a call, under the PrefixAffinity balance, by key
// (a session, conversation or user id) instead of by its prompt: calls with
// the same key go to the same replica while it is available and not loaded
// beyond the bound. Without PrefixAffinity it has no effect. The key is not
// sent; behind a gateway that routes by session, send it as the header the
// gateway reads (WithHeader on the call) instead. It applies to calls only.
func WithAffinityKey(key string) Option {
	return callOption("WithAffinityKey", func(rc *requestConfig) error {
		rc.affinityKey = key
		return nil
	})
}

// WithThinkSplit moves the text a model writes between <think> and </think>
// in its content into the reasoning, for servers that run without a
// reasoning parser (vLLM's --reasoning-parser): a chat response's
// Message.Reasoning (appended to any reasoning the server sent), and on a
// chat stream EventReasoning events and the accumulated reasoning. Text
// outside think blocks stays content; whitespace at both ends of the
// reasoning and right after each tag is dropped; a think block left open
// (the generation hit its length limit) is reasoning to the end.
//
// Set startInThink when the chat template opens the think block in the
// prompt (DeepSeek-R1, Qwen3 thinking templates), so that the output starts
// as reasoning up to the first </think>. A whole response detects that
// case by itself (a </think> with no <think> before it); a stream cannot
// look ahead and needs to be told. A stream recognises tags split across
// chunks, and its accumulated response equals the whole response split the
// same way. It applies to Chat.Create, Chat.Stream and Chat.CreateMany, and
// has no effect on other calls. It applies to calls only.
//
// By default the content is left as the server sent it.
func WithThinkSplit(startInThink bool) Option {
	return callOption("WithThinkSplit", func(rc *requestConfig) error {
		rc.stream.splitThink, rc.stream.startInThink = true, startInThink
		return nil
	})
}
