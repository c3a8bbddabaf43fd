package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Backends are the request formats Run speaks, named as vLLM names them:
// "openai" and "vllm" send legacy completions, "openai-chat" chat
// completions.
var Backends = []string{"openai", "vllm", "openai-chat"}

// Config describes a run.
type Config struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8000" (without
	// /v1).
	BaseURL string
	// Endpoint is the API path appended to BaseURL. Defaults to
	// "/v1/completions", or "/v1/chat/completions" for the openai-chat
	// backend.
	Endpoint string
	// Backend is the request format (see Backends). Defaults to "openai".
	Backend string
	// Model is the model sent with every request.
	Model string
	// Requests is the workload; it must not be empty unless Conversations
	// is set instead.
	Requests []Request
	// Conversations, instead of Requests, is a workload of multi-turn chat
	// conversations (PrefixConversations): each turn is one measured
	// request, sent once the previous turn's answer is in (and its pause
	// over) with the history so far. The arrival schedule and
	// MaxConcurrency then apply to conversations: a conversation holds its
	// slot from its first turn to its last pause. It needs the openai-chat
	// backend.
	Conversations []Conversation
	// Replicas, when set, are the root URLs of the servers HTTPClient
	// spreads the requests over (its transport chooses, as the one of
	// vllm.Client.RoundTripper does): each response is counted for the
	// replica its resp.Request.URL names, each replica's /metrics is read
	// before and after the run for the prefix-cache counters, and the
	// result carries Routing.
	Replicas []string
	// MetricsClient reads the replicas' /metrics. Defaults to a client of
	// its own with a 10-second timeout (not HTTPClient, whose transport may
	// send the request to another replica).
	MetricsClient *http.Client
	// Arrival is when the requests are sent.
	Arrival Arrival
	// Seed makes the arrival schedule reproducible.
	Seed int64
	// MaxConcurrency limits the requests in flight; 0 is no limit.
	MaxConcurrency int
	// IgnoreEOS asks the server to generate exactly OutputLen tokens.
	IgnoreEOS bool
	// Logprobs, when set, asks for that many log probabilities per token
	// (legacy completions only).
	Logprobs *int
	// ExtraBody is merged into every request body, replacing fields of the
	// same name (sampling parameters, --extra-body).
	ExtraBody map[string]any
	// Header is added to every request.
	Header http.Header
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// NumWarmups requests (copies of the first one) are sent and not
	// measured before the run.
	NumWarmups int
	// ReadyTimeout, when positive, repeats the first request until it
	// succeeds or the time is up before anything else is sent.
	ReadyTimeout time.Duration
	// Goodput holds the SLOs of request_goodput; zero reports no goodput.
	Goodput SLO
	// Metrics selects the metrics to summarise (see the Metric constants).
	// Defaults to ttft, tpot and itl, as in vLLM.
	Metrics []string
	// Percentiles are the percentiles reported for each metric. Defaults
	// to 99.
	Percentiles []float64
	// HTTPClient sends the requests. Defaults to a client with no timeout
	// that keeps up to MaxConcurrency (or len(Requests)) connections open.
	HTTPClient *http.Client
	// Progress, when set, is called after each measured request with the
	// number finished so far; it must be safe for concurrent use.
	Progress func(done, total int)
}

func (c *Config) defaults() error {
	if c.Backend == "" {
		c.Backend = "openai"
	}
	chat := c.Backend == "openai-chat"
	switch {
	case c.Backend != "openai" && c.Backend != "vllm" && !chat:
		return fmt.Errorf("backend %q is not supported (want openai, vllm or openai-chat)", c.Backend)
	case len(c.Requests) == 0 && len(c.Conversations) == 0:
		return errors.New("the workload holds no request")
	case len(c.Requests) > 0 && len(c.Conversations) > 0:
		return errors.New("a workload is either requests or conversations, not both")
	case len(c.Conversations) > 0 && !chat:
		return fmt.Errorf("conversations are sent as chat requests: they need the openai-chat backend, not %s", c.Backend)
	case c.MaxConcurrency < 0:
		return errors.New("--max-concurrency must be greater than 0")
	case c.NumWarmups < 0:
		return errors.New("--num-warmups must not be negative")
	case c.BaseURL == "":
		return errors.New("no server URL")
	}
	if c.Endpoint == "" {
		c.Endpoint = "/v1/completions"
		if chat {
			c.Endpoint = "/v1/chat/completions"
		}
	}
	want := "completions"
	if chat {
		want = "chat/completions"
	}
	if !strings.HasSuffix(c.Endpoint, want) || (!chat && strings.HasSuffix(c.Endpoint, "chat/completions")) {
		return fmt.Errorf("--endpoint %s does not match --backend %s (its URL must end with %s)", c.Endpoint, c.Backend, want)
	}
	if c.Metrics == nil {
		c.Metrics = []string{MetricTTFT, MetricTPOT, MetricITL}
	}
	for _, m := range c.Metrics {
		if !knownMetric(m) {
			return fmt.Errorf("--percentile-metrics: unknown metric %q (ttft, tpot, itl, e2el, client_queue_time, e2el_including_client_queue)", m)
		}
	}
	if c.Percentiles == nil {
		c.Percentiles = []float64{99}
	}
	for _, p := range c.Percentiles {
		if !(p >= 0 && p <= 100) {
			return fmt.Errorf("--metric-percentiles: %g is not between 0 and 100", p)
		}
	}
	return nil
}

// Run sends the workload and measures it. It returns an error only when
// the run could not take place (bad configuration, the ready check or
// every warm-up failed, ctx ended); failed requests are counted in the
// result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	arrivals := len(cfg.Requests)
	starts, total := conversationStarts(cfg.Conversations)
	if len(cfg.Conversations) > 0 {
		arrivals = len(cfg.Conversations)
	} else {
		total = len(cfg.Requests)
	}
	offsets, rates, err := cfg.Arrival.Schedule(arrivals, cfg.Seed)
	if err != nil {
		return nil, err
	}
	s, err := newSender(&cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	before := s.scrapeReplicas(ctx)

	if cfg.ReadyTimeout > 0 {
		if err := s.waitReady(ctx, cfg.ReadyTimeout); err != nil {
			return nil, err
		}
	}
	if cfg.NumWarmups > 0 {
		if err := s.warmUp(ctx, cfg.NumWarmups, cfg.MaxConcurrency); err != nil {
			return nil, err
		}
	}

	outputs := make([]Output, total)
	var sem chan struct{}
	if cfg.MaxConcurrency > 0 {
		sem = make(chan struct{}, cfg.MaxConcurrency)
	}
	var done atomic.Int64
	var wg sync.WaitGroup
	var rpsChanges []RPSChange
	lastRPS := -1
	if cfg.Arrival.RampUp != "" {
		lastRPS = int(cfg.Arrival.RampUpStartRPS)
		rpsChanges = append(rpsChanges, RPSChange{RPS: lastRPS, Timestamp: time.Now().Format("2006-01-02T15:04:05.000000")})
	}
	start := time.Now()
	dispatch(ctx, start, offsets, func(i int, arrival time.Time) {
		if cfg.Arrival.RampUp != "" {
			if cur := int(rates[i]); cur > lastRPS {
				ts := time.Now().Format("2006-01-02T15:04:05.000000")
				for v := lastRPS + 1; v <= cur; v++ {
					rpsChanges = append(rpsChanges, RPSChange{RPS: v, Timestamp: ts})
				}
				lastRPS = cur
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sem != nil {
				select {
				case sem <- struct{}{}:
					defer func() { <-sem }()
				case <-ctx.Done():
					if len(cfg.Conversations) > 0 {
						for j := range cfg.Conversations[i].Questions {
							outputs[starts[i]+j] = Output{Error: ctx.Err().Error()}
						}
					} else {
						outputs[i] = Output{Error: ctx.Err().Error(), PromptLen: cfg.Requests[i].PromptLen}
					}
					return
				}
			}
			if len(cfg.Conversations) > 0 {
				c := &cfg.Conversations[i]
				s.converse(ctx, c, outputs[starts[i]:starts[i]+len(c.Questions)], start, arrival)
				if cfg.Progress != nil {
					cfg.Progress(int(done.Add(int64(len(c.Questions)))), len(outputs))
				}
				return
			}
			o := &outputs[i]
			s.do(ctx, i, o, start)
			o.QueueTime = o.StartTime - arrival.Sub(start).Seconds()
			if cfg.Progress != nil {
				cfg.Progress(int(done.Add(1)), len(outputs))
			}
		}()
	})
	wg.Wait()
	dur := time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &Result{
		Date:           time.Now().Format("20060102-150405"),
		Backend:        cfg.Backend,
		ModelID:        cfg.Model,
		NumPrompts:     len(cfg.Requests),
		RequestRate:    cfg.Arrival.Rate,
		Burstiness:     cfg.Arrival.burstiness(),
		MaxConcurrency: cfg.MaxConcurrency,
		RampUpStrategy: cfg.Arrival.RampUp,
		RPSChanges:     rpsChanges,
	}
	if cfg.Arrival.unlimited() {
		res.RequestRate = math.Inf(1)
	}
	if res.RampUpStrategy != "" {
		res.RampUpStartRPS, res.RampUpEndRPS = cfg.Arrival.RampUpStartRPS, cfg.Arrival.RampUpEndRPS
	}
	if len(cfg.Conversations) > 0 {
		res.NumPrompts = len(outputs)
	}
	computeMetrics(res, outputs, dur, metricsOptions{
		metrics: cfg.Metrics, percentiles: cfg.Percentiles, goodput: cfg.Goodput,
		maxConcurrency: cfg.MaxConcurrency, rateLimited: !cfg.Arrival.unlimited() || cfg.Arrival.RampUp != "",
	})
	if len(cfg.Replicas) > 0 || len(cfg.Conversations) > 0 {
		res.Routing = s.routing(outputs, before, s.scrapeReplicas(ctx))
	}
	return res, nil
}

// sender sends the workload's requests, with their bodies encoded before
// the run so that encoding does not count in the measurements.
type sender struct {
	cfg    *Config
	url    string
	client *http.Client
	own    *http.Transport // the transport Run made, closed at the end
	// items are the encoded requests; of a workload of conversations, only
	// the first turn of the first (for the ready check and the warm-ups).
	items  []item
	header http.Header
	chat   bool
	// replicas are Config.Replicas parsed, to tell which one answered.
	replicas []*url.URL
}

// item is one request ready to send.
type item struct {
	body      []byte
	id        string // x-request-id; empty sends none
	promptLen int    // the estimate, until the server's usage says
}

func newSender(cfg *Config) (*sender, error) {
	s := &sender{cfg: cfg, url: strings.TrimSuffix(cfg.BaseURL, "/") + cfg.Endpoint, chat: cfg.Backend == "openai-chat", client: cfg.HTTPClient}
	if s.client == nil {
		conns := cfg.MaxConcurrency
		if conns == 0 {
			conns = len(cfg.Requests) + len(cfg.Conversations)
		}
		s.own = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns + 16,
			MaxIdleConnsPerHost: conns + 16,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			WriteBufferSize:     64 << 10,
			ReadBufferSize:      64 << 10,
		}
		s.client = &http.Client{Transport: s.own}
	}
	s.header = http.Header{"Content-Type": {"application/json"}}
	if cfg.APIKey != "" {
		s.header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	for k, v := range cfg.Header {
		s.header[http.CanonicalHeaderKey(k)] = v
	}
	for _, r := range cfg.Replicas {
		u, err := url.Parse(strings.TrimSuffix(r, "/"))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("replica %q is not an absolute URL", r)
		}
		s.replicas = append(s.replicas, u)
	}
	if len(cfg.Conversations) > 0 {
		c := &cfg.Conversations[0]
		if len(c.Questions) == 0 || len(c.Pauses) != len(c.Questions) {
			return nil, errors.New("conversation 0 has no turn, or not one pause per turn")
		}
		it, err := s.firstTurn(c)
		if err != nil {
			return nil, err
		}
		s.items = []item{it}
		return s, nil
	}
	s.items = make([]item, len(cfg.Requests))
	for i := range cfg.Requests {
		r := &cfg.Requests[i]
		b, err := s.body(r)
		if err != nil {
			return nil, err
		}
		s.items[i] = item{body: b, id: r.ID, promptLen: r.PromptLen}
	}
	return s, nil
}

func (s *sender) close() {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
}

// body encodes the JSON body vLLM's benchmark sends for r.
func (s *sender) body(r *Request) ([]byte, error) {
	model := s.cfg.Model
	if r.Model != "" {
		model = r.Model
	}
	p := map[string]any{
		"model":          model,
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	if s.chat {
		p["messages"] = []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": r.Prompt}}}}
		if r.OutputLen > 0 {
			p["max_completion_tokens"] = r.OutputLen
		}
	} else {
		p["prompt"] = r.Prompt
		p["repetition_penalty"] = 1.0
		if r.OutputLen > 0 {
			p["max_tokens"] = r.OutputLen
		}
		p["logprobs"] = s.cfg.Logprobs
	}
	return s.encode(p)
}

// encode adds ignore_eos and the extra body to the fields p of a request
// and encodes it.
func (s *sender) encode(p map[string]any) ([]byte, error) {
	if s.cfg.IgnoreEOS {
		p["ignore_eos"] = true
	}
	for k, v := range s.cfg.ExtraBody {
		p[k] = v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("--extra-body: %w", err)
	}
	return b.Bytes(), nil
}

// waitReady repeats the first request until it succeeds.
func (s *sender) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var o Output
	for {
		o = Output{}
		s.do(ctx, 0, &o, time.Now())
		if o.Success {
			return nil
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("the server did not answer within %s: %s", timeout, o.Error)
		case <-t.C:
		}
	}
}

// warmUp sends n copies of the first request, at most limit at once.
func (s *sender) warmUp(ctx context.Context, n, limit int) error {
	if limit <= 0 {
		limit = n
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var ok atomic.Bool
	var firstErr atomic.Value
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var o Output
			s.do(ctx, 0, &o, time.Now())
			if o.Success {
				ok.Store(true)
			} else {
				firstErr.CompareAndSwap(nil, o.Error)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ok.Load() {
		return fmt.Errorf("every warm-up request failed: %v", firstErr.Load())
	}
	return nil
}

// errorBodyLimit bounds how much of an error response is kept.
const errorBodyLimit = 512

// do sends request i and measures it into o, with times relative to start.
func (s *sender) do(ctx context.Context, i int, o *Output, start time.Time) {
	s.send(ctx, s.items[i], o, start)
}

// send sends it and measures it into o, with times relative to start.
func (s *sender) send(ctx context.Context, it item, o *Output, start time.Time) {
	o.PromptLen = it.promptLen
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(it.body))
	if err != nil {
		o.Error = err.Error()
		return
	}
	req.Header = s.header.Clone()
	if it.id != "" {
		req.Header.Set("X-Request-Id", it.id)
	}
	st := time.Now()
	o.StartTime = st.Sub(start).Seconds()
	resp, err := s.client.Do(req)
	if err != nil {
		o.Error = err.Error()
		return
	}
	defer resp.Body.Close()
	if len(s.replicas) > 0 && resp.Request != nil {
		o.Server = s.replicaOf(resp.Request.URL)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
		o.Error = strings.TrimSpace(resp.Status + ": " + errorMessage(b))
		return
	}
	last := st
	var text strings.Builder
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	var ev chunk
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A longer line than the buffer: gather it.
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if len(line) > 0 {
			data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:"))
			data = bytes.TrimLeft(data, " ")
			if ok && len(data) > 0 && !bytes.Equal(data, []byte("[DONE]")) {
				now := time.Now()
				tokenText, isChoice := scanChoiceChunk(data)
				if !isChoice {
					ev.reset()
					if jerr := json.Unmarshal(data, &ev); jerr != nil {
						o.Error = "bad stream chunk: " + jerr.Error()
						return
					}
					if ev.Error != nil {
						o.Error = "error event: " + strings.TrimSpace(string(ev.Error))
						return
					}
					if isChoice = len(ev.Choices) > 0; isChoice {
						tokenText = ev.Choices[0].Text + ev.Choices[0].Delta.Content
					} else if ev.Usage != nil {
						o.OutputTokens = ev.Usage.CompletionTokens
						if ev.Usage.PromptTokens != nil {
							o.PromptLen = *ev.Usage.PromptTokens
						}
						if d := ev.Usage.PromptTokensDetails; d != nil {
							o.CachedTokens = d.CachedTokens
						}
					}
				}
				if isChoice {
					if o.Chunks == 0 {
						o.TTFT = now.Sub(st).Seconds()
					} else {
						o.ITL = append(o.ITL, now.Sub(last).Seconds())
					}
					o.Chunks++
					last = now
					text.WriteString(tokenText)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			o.Error = err.Error()
			return
		}
	}
	o.GeneratedText = text.String()
	o.Latency = last.Sub(st).Seconds()
	if o.Chunks == 0 {
		o.Error = "the stream carried no token"
		return
	}
	o.Success = true
}

// chunk is the part of a streamed chunk the benchmark reads.
type chunk struct {
	Choices []struct {
		Text  string `json:"text"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        *int `json:"prompt_tokens"`
		CompletionTokens    int  `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func (c *chunk) reset() {
	clear(c.Choices[:cap(c.Choices)])
	c.Choices = c.Choices[:0]
	c.Usage = nil
	c.Error = nil
}

// errorMessage is the message of a vLLM error body, or the body itself.
func errorMessage(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		if e.Error.Message != "" {
			return e.Error.Message
		}
		if e.Message != "" {
			return e.Message
		}
	}
	return string(bytes.TrimSpace(b))
}

// scanChoiceChunk reads a chunk carrying a choice in vLLM's compact layout
// ({...,"choices":[{"index":0,"text":"..."...}]} or
// {...,"choices":[{"index":0,"delta":{["role":"assistant",]"content":"..."...}]})
// without decoding it whole, and returns the choice's text. Any chunk it is
// not sure of (usage, error, another layout, a key twice) gives ok false,
// and the caller decodes it with encoding/json: FuzzScanChoiceChunk checks
// that both agree.
func scanChoiceChunk(data []byte) (text string, ok bool) {
	const head = `"choices":[{"index":`
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' ||
		bytes.Count(data, []byte(`"choices"`)) != 1 || bytes.Contains(data, []byte(`"error"`)) {
		return "", false
	}
	i := bytes.Index(data, []byte(head))
	if i < 0 || bytes.ContainsAny(data[1:i], "{[") {
		return "", false // "choices" is not a key of the top-level object
	}
	rest := data[i+len(head):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n >= len(rest) || rest[n] != ',' {
		return "", false
	}
	rest = rest[n+1:]
	var key []byte
	for _, k := range []string{`"text":`, `"delta":{"content":`, `"delta":{"role":"assistant","content":`} {
		if bytes.HasPrefix(rest, []byte(k)) {
			key = []byte(k)
			break
		}
	}
	if key == nil {
		return "", false
	}
	v := rest[len(key):]
	var after []byte
	switch {
	case bytes.HasPrefix(v, []byte("null")):
		after = v[len("null"):]
	case len(v) > 0 && v[0] == '"':
		end := 1
		for end < len(v) && v[end] != '"' {
			if v[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(v) {
			return "", false
		}
		raw := v[:end+1]
		if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			text = string(raw[1:end])
		} else if json.Unmarshal(raw, &text) != nil {
			return "", false
		}
		after = v[end+1:]
	default:
		return "", false
	}
	name := key[:len(key)-1]                                  // `"text"`, `..."content"`
	name = key[bytes.LastIndexByte(name[:len(name)-1], '"'):] // the last key, with its colon
	if len(after) == 0 || (after[0] != ',' && after[0] != '}') || bytes.Contains(after, name) {
		return "", false
	}
	return text, true
}
