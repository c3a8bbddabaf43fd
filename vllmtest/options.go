package vllmtest

import (
	"time"
)

// DefaultModel is the model served when no WithModel option is given.
const DefaultModel = "vllmtest-model"

// DefaultMaxModelLen is the context length reported for models served
// without WithMaxModelLen.
const DefaultMaxModelLen = 8192

// DefaultTokens is the number of tokens the default generator produces when
// the request sets no smaller max_tokens.
const DefaultTokens = 16

// DefaultVersion is the version reported by /version.
const DefaultVersion = "0.11.0"

// Option configures a Server.
type Option func(*config)

// model is one served model or LoRA adapter.
type model struct {
	name        string
	root        string // the base model's path, or the adapter's path
	parent      string // the base model's name for a LoRA adapter, "" otherwise
	maxModelLen int
}

type config struct {
	models         []model
	apiKeys        []string
	tokens         int
	reasoning      bool
	reasoningToks  int
	reasoningField string
	toolCalls      bool
	ttft, itl      time.Duration
	handler        Handler
	faults         []Fault
	version        string
	maxModelLen    int
	maxBody        int64
	fingerprint    string
	inMemory       bool

	cacheBlocks, blockSize int           // the prefix cache (WithPrefixCaching)
	promptDetails          bool          // WithPromptTokensDetails
	prefillPerToken        time.Duration // WithPrefillTime
}

func defaultConfig() config {
	return config{
		tokens:         DefaultTokens,
		reasoningToks:  8,
		reasoningField: "reasoning",
		toolCalls:      true,
		version:        DefaultVersion,
		maxModelLen:    DefaultMaxModelLen,
		maxBody:        32 << 20,
		cacheBlocks:    DefaultGPUBlocks,
		blockSize:      DefaultBlockSize,
	}
}

// WithModel adds a served model. Give it several times to serve several
// models; the first is the default. Without it the server serves DefaultModel.
func WithModel(name string) Option {
	return func(c *config) {
		c.models = append(c.models, model{name: name, root: name})
	}
}

// WithLoRA adds a LoRA adapter named name on top of the served model base:
// /v1/models lists it with "parent" set to base and "root" set to path, and
// requests may name it as their model.
func WithLoRA(name, base, path string) Option {
	return func(c *config) {
		c.models = append(c.models, model{name: name, root: path, parent: base})
	}
}

// WithMaxModelLen sets the context length reported by /v1/models and
// /tokenize (default DefaultMaxModelLen).
func WithMaxModelLen(n int) Option {
	return func(c *config) { c.maxModelLen = n }
}

// WithAPIKey makes the server require "Authorization: Bearer <key>" on every
// path under /v1, as vLLM's --api-key does. It may be given several times;
// any of the keys is accepted.
func WithAPIKey(key string) Option {
	return func(c *config) { c.apiKeys = append(c.apiKeys, key) }
}

// WithTokens sets how many tokens the default generator produces for a
// request that does not ask for fewer with max_tokens (default
// DefaultTokens). Generation ends with finish_reason "stop" after them, or
// "length" when max_tokens cut it short.
func WithTokens(n int) Option {
	return func(c *config) { c.tokens = n }
}

// WithReasoning makes the default generator think before it answers: chat
// responses carry n tokens of reasoning (in the field named by
// WithReasoningField) before their content. A request turns it off with
// "chat_template_kwargs": {"enable_thinking": false} or
// "include_reasoning": false.
func WithReasoning(n int) Option {
	return func(c *config) { c.reasoning, c.reasoningToks = n > 0, n }
}

// WithReasoningField sets the name of the reasoning field in responses:
// "reasoning" (the default, as current vLLM) or "reasoning_content" (as vLLM
// before late 2025).
func WithReasoningField(name string) Option {
	return func(c *config) { c.reasoningField = name }
}

// WithoutToolCalls stops the default generator from calling a tool when the
// request offers tools; it answers with text instead.
func WithoutToolCalls() Option {
	return func(c *config) { c.toolCalls = false }
}

// WithTTFT delays the first token of every generation by d (time to first
// token). For streams the delay comes before the first event; for other
// requests before the response.
func WithTTFT(d time.Duration) Option {
	return func(c *config) { c.ttft = d }
}

// WithITL waits d between consecutive tokens of every generation
// (inter-token latency).
func WithITL(d time.Duration) Option {
	return func(c *config) { c.itl = d }
}

// WithTokensPerSecond paces generation at r tokens per second: it sets the
// inter-token latency to 1/r seconds.
func WithTokensPerSecond(r float64) Option {
	return func(c *config) {
		if r > 0 {
			c.itl = time.Duration(float64(time.Second) / r)
		}
	}
}

// WithHandler makes h decide the reply of every chat and completion request;
// h returning nil falls back to the queue and the default generator.
func WithHandler(h Handler) Option {
	return func(c *config) { c.handler = h }
}

// WithFault applies f to every request it matches (see Fault.Path), after
// any fault queued with FailNext.
func WithFault(f Fault) Option {
	return func(c *config) { c.faults = append(c.faults, f) }
}

// WithVersion sets the version reported by /version (default DefaultVersion).
func WithVersion(v string) Option {
	return func(c *config) { c.version = v }
}

// WithSystemFingerprint makes responses carry system_fingerprint fp, as
// vLLM does when it is set ("vllm-<version>-<hash>"): in every non-streaming
// response, and in a stream on the final chunk (the usage chunk when usage is
// requested, else each choice's finish chunk). Without it the field is null
// and absent from streams.
func WithSystemFingerprint(fp string) Option {
	return func(c *config) { c.fingerprint = fp }
}

// WithInMemoryNetwork makes NewServer serve over an in-memory network
// instead of a loopback port: no port is opened, URL names a host that does
// not resolve ("vllmtest-<n>.invalid"), and only clients from Server.Client
// reach the server.
// It is for tests in a testing/synctest bubble: a goroutine waiting on a real
// socket is not durably blocked, so a bubble whose client and server talk over
// loopback never advances its fake clock, while over this network timeouts,
// TTFT, inter-token latency and stalls take exactly their simulated time.
// Create the server inside the bubble:
//
//	synctest.Test(t, func(t *testing.T) {
//		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithTTFT(time.Second))
//		defer srv.Close()
//		c, _ := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()))
//		// ...
//	})
func WithInMemoryNetwork() Option {
	return func(c *config) { c.inMemory = true }
}
