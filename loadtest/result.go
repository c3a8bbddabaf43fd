package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Result is the outcome of a run, with the keys of vLLM's result files:
// Result marshals to the same flat JSON object (keys in the same order) and
// unmarshals from vLLM's own files. Times in the per-request arrays are in
// seconds; the statistics in Stats are in milliseconds, as in vLLM.
type Result struct {
	// Date is when the run ended, as "20060102-150405" (local time).
	Date string
	// Backend is the request format: "openai", "vllm" or "openai-chat"
	// (written as both "endpoint_type" and "backend").
	Backend string
	// Label names the run (--label); empty is written as null.
	Label string
	// ModelID is the model benchmarked.
	ModelID string
	// TokenizerID is the tokenizer vLLM counted with; empty (null) here,
	// where token counts come from the server.
	TokenizerID string
	// NumPrompts is the number of prompts asked for (--num-prompts).
	NumPrompts int
	// Metadata holds the --metadata KEY=VALUE pairs, in order. Decoding a
	// file puts every unknown key with a string value here.
	Metadata []KeyValue
	// RequestRate is the configured rate in requests per second; +Inf
	// (written "inf") sends all at once.
	RequestRate float64
	// Burstiness is the gamma shape of the arrivals.
	Burstiness float64
	// MaxConcurrency is the limit of requests in flight; 0 (null) is none.
	MaxConcurrency int
	// RampUpStrategy is "linear" or "exponential" when the rate ramped up.
	RampUpStrategy string
	// RampUpStartRPS is the ramp-up's first rate.
	RampUpStartRPS float64
	// RampUpEndRPS is the ramp-up's last rate.
	RampUpEndRPS float64

	// Duration is the run's length in seconds.
	Duration float64
	// Completed counts the successful requests.
	Completed int
	// Failed counts the failed requests.
	Failed int
	// TotalInputTokens sums the prompt tokens of the successful requests.
	TotalInputTokens int
	// TotalOutputTokens sums the output tokens of the successful requests.
	TotalOutputTokens int
	// RequestThroughput is Completed per second.
	RequestThroughput float64
	// RequestGoodput is the good requests per second; nil (null) when no
	// SLO was given.
	RequestGoodput *float64
	// OutputThroughput is output tokens per second.
	OutputThroughput float64
	// TotalTokenThroughput is prompt and output tokens per second.
	TotalTokenThroughput float64

	// InputLens holds each request's prompt tokens (--save-detailed).
	InputLens []int
	// OutputLens holds each request's output tokens, 0 if it failed
	// (--save-detailed).
	OutputLens []int
	// TTFTs holds each request's time to first token (--save-detailed).
	TTFTs []float64
	// ITLs holds each request's inter-token latencies (--save-detailed).
	ITLs [][]float64
	// Latencies holds each request's end-to-end latency.
	Latencies []float64
	// StartTimes holds when each request was sent, in seconds since the
	// run's start (vLLM writes a monotonic clock reading)
	// (--save-detailed).
	StartTimes []float64
	// QueueTimes holds how long each request waited for a slot under
	// MaxConcurrency.
	QueueTimes []float64
	// GeneratedTexts holds each request's output text (--save-detailed).
	GeneratedTexts []string
	// Errors holds each request's error, empty if it succeeded
	// (--save-detailed).
	Errors []string

	// MaxOutputTokensPerS is the most tokens received in one second.
	MaxOutputTokensPerS float64
	// MaxConcurrentRequests is the most requests in flight at once.
	MaxConcurrentRequests int
	// RTFx is vLLM's inverse real-time factor of audio benchmarks; 0 here.
	RTFx float64
	// RPSChanges records when a ramp-up reached each whole rate.
	RPSChanges []RPSChange

	// Stats holds the statistics of the selected metrics, in vLLM's order
	// (ttft, tpot, itl, e2el, client_queue_time,
	// e2el_including_client_queue).
	Stats []MetricStats

	// Routing describes the spread over several servers and their prefix
	// caches; nil (and not written) for a run of one server with a vLLM
	// dataset.
	Routing *Routing
}

// KeyValue is one metadata entry.
type KeyValue struct {
	// Key is the entry's name.
	Key string
	// Value is the entry's value.
	Value string
}

// RPSChange is one step of a ramp-up.
type RPSChange struct {
	// RPS is the whole rate reached.
	RPS int `json:"rps"`
	// Timestamp is when, in ISO 8601 local time.
	Timestamp string `json:"timestamp"`
}

// Stat returns the statistics of a metric ("ttft", ...), or nil when they
// were not computed.
func (r *Result) Stat(metric string) *MetricStats {
	for i := range r.Stats {
		if r.Stats[i].Metric == metric {
			return &r.Stats[i]
		}
	}
	return nil
}

// DropDetails removes the per-request arrays that vLLM writes only with
// --save-detailed (it keeps latencies and queue times, as vLLM does).
func (r *Result) DropDetails() {
	r.InputLens, r.OutputLens, r.StartTimes, r.TTFTs, r.ITLs, r.GeneratedTexts, r.Errors = nil, nil, nil, nil, nil, nil, nil
}

// Outputs rebuilds the per-request measurements from the arrays; it
// returns nil when the result was saved without details. A request counts
// as successful when its error is empty.
func (r *Result) Outputs() []Output {
	n := len(r.TTFTs)
	if n == 0 || len(r.ITLs) != n || len(r.StartTimes) != n || len(r.Latencies) != n {
		return nil
	}
	out := make([]Output, n)
	for i := range out {
		o := &out[i]
		o.TTFT, o.ITL, o.StartTime, o.Latency = r.TTFTs[i], r.ITLs[i], r.StartTimes[i], r.Latencies[i]
		o.Chunks = len(o.ITL) + 1
		o.Success = true
		if i < len(r.Errors) && r.Errors[i] != "" {
			o.Success = false
			o.Error = r.Errors[i]
		}
		if i < len(r.OutputLens) {
			o.OutputTokens = r.OutputLens[i]
		}
		if i < len(r.InputLens) {
			o.PromptLen = r.InputLens[i]
		}
		if i < len(r.QueueTimes) {
			o.QueueTime = r.QueueTimes[i]
		}
	}
	return out
}

// Timeline returns the run's tokens per second and requests in flight over
// time; it is empty when the result was saved without details.
func (r *Result) Timeline() TimelineSeries { return timeline(r.Outputs()) }

// FirstErrors returns the errors of the first n failed requests, in
// request order.
func (r *Result) FirstErrors(n int) []string {
	var out []string
	for _, e := range r.Errors {
		if e != "" && len(out) < n {
			out = append(out, e)
		}
	}
	return out
}

// ReadResult reads a result file written by this package or by vLLM.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := new(Result)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteFile writes the result to path as vLLM writes its result files
// (MarshalJSON's output, which json.Marshal would compact).
func (r *Result) WriteFile(path string) error {
	b, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// objectWriter writes a JSON object's members in order, formatted as
// Python's json.dump formats them (", " and ": " separators).
type objectWriter struct {
	buf bytes.Buffer
	err error
}

func (w *objectWriter) key(k string) {
	if w.buf.Len() == 0 {
		w.buf.WriteByte('{')
	} else {
		w.buf.WriteString(", ")
	}
	w.str(k)
	w.buf.WriteString(": ")
}

func (w *objectWriter) str(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil && w.err == nil {
		w.err = err
	}
	w.buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func (w *objectWriter) String(k, v string) { w.key(k); w.str(v) }

func (w *objectWriter) NullString(k, v string) {
	if v == "" {
		w.Raw(k, "null")
		return
	}
	w.String(k, v)
}

func (w *objectWriter) Int(k string, v int) { w.Raw(k, strconv.Itoa(v)) }

func (w *objectWriter) Float(k string, v float64) { w.Raw(k, pyFloat(v)) }

func (w *objectWriter) Raw(k, v string) { w.key(k); w.buf.WriteString(v) }

func (w *objectWriter) Value(k string, v any) {
	b, err := json.Marshal(v)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.Raw(k, string(b))
}

func (w *objectWriter) Floats(k string, vs []float64) {
	w.key(k)
	writeFloats(&w.buf, vs)
}

// Strings writes k and a list of JSON strings.
func (w *objectWriter) Strings(k string, vs []string) {
	w.List(k, len(vs), func(i int) { w.str(vs[i]) })
}

// List writes k and a list of n items, item writing the i-th, separated
// as Python's json.dumps separates them.
func (w *objectWriter) List(k string, n int, item func(i int)) {
	w.key(k)
	w.buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			w.buf.WriteString(", ")
		}
		item(i)
	}
	w.buf.WriteByte(']')
}

func writeFloats(b *bytes.Buffer, vs []float64) {
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyFloat(v))
	}
	b.WriteByte(']')
}

// pyFloat formats a float as Python's repr does (5.0, 0.0001, 1e-05,
// 1e+16); non-finite values become null.
func pyFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// MarshalJSON writes vLLM's flat result object. Per-request arrays that
// are nil are left out (see DropDetails).
func (r *Result) MarshalJSON() ([]byte, error) {
	w := &objectWriter{}
	w.String("date", r.Date)
	w.String("endpoint_type", r.Backend)
	w.String("backend", r.Backend)
	w.NullString("label", r.Label)
	w.String("model_id", r.ModelID)
	w.NullString("tokenizer_id", r.TokenizerID)
	w.Int("num_prompts", r.NumPrompts)
	for _, kv := range r.Metadata {
		w.String(kv.Key, kv.Value)
	}
	if math.IsInf(r.RequestRate, 1) || r.RequestRate == 0 {
		w.String("request_rate", "inf")
	} else {
		w.Float("request_rate", r.RequestRate)
	}
	w.Float("burstiness", r.Burstiness)
	if r.MaxConcurrency > 0 {
		w.Int("max_concurrency", r.MaxConcurrency)
	} else {
		w.Raw("max_concurrency", "null")
	}
	if r.RampUpStrategy != "" {
		w.String("ramp_up_strategy", r.RampUpStrategy)
		w.Raw("ramp_up_start_rps", rpsText(r.RampUpStartRPS))
		w.Raw("ramp_up_end_rps", rpsText(r.RampUpEndRPS))
	}
	w.Float("duration", r.Duration)
	w.Int("completed", r.Completed)
	w.Int("failed", r.Failed)
	w.Int("total_input_tokens", r.TotalInputTokens)
	w.Int("total_output_tokens", r.TotalOutputTokens)
	w.Float("request_throughput", r.RequestThroughput)
	if r.RequestGoodput != nil {
		w.Float("request_goodput", *r.RequestGoodput)
	} else {
		w.Raw("request_goodput", "null")
	}
	w.Float("output_throughput", r.OutputThroughput)
	w.Float("total_token_throughput", r.TotalTokenThroughput)
	if r.InputLens != nil {
		w.Value("input_lens", r.InputLens)
	}
	if r.OutputLens != nil {
		w.Value("output_lens", r.OutputLens)
	}
	if r.TTFTs != nil {
		w.Floats("ttfts", r.TTFTs)
	}
	if r.ITLs != nil {
		w.List("itls", len(r.ITLs), func(i int) { writeFloats(&w.buf, r.ITLs[i]) })
	}
	if r.Latencies != nil {
		w.Floats("latencies", r.Latencies)
	}
	if r.StartTimes != nil {
		w.Floats("start_times", r.StartTimes)
	}
	if r.QueueTimes != nil {
		w.Floats("queue_times", r.QueueTimes)
	}
	if r.GeneratedTexts != nil {
		w.Strings("generated_texts", r.GeneratedTexts)
	}
	if r.Errors != nil {
		w.Strings("errors", r.Errors)
	}
	w.Float("max_output_tokens_per_s", r.MaxOutputTokensPerS)
	w.Int("max_concurrent_requests", r.MaxConcurrentRequests)
	w.Float("rtfx", r.RTFx)
	if len(r.RPSChanges) > 0 {
		w.Value("rps_change_events", r.RPSChanges)
	}
	for _, s := range r.Stats {
		w.Float("mean_"+s.Metric+"_ms", s.Mean)
		w.Float("median_"+s.Metric+"_ms", s.Median)
		w.Float("std_"+s.Metric+"_ms", s.Std)
		for _, p := range s.Percentiles {
			w.Float("p"+percentileWord(p.P)+"_"+s.Metric+"_ms", p.Value)
		}
	}
	if g := r.Routing; g != nil {
		w.NullString("balance", g.Balance)
		w.Int("total_cached_tokens", g.CachedTokens)
		w.Int("total_uncached_tokens", g.UncachedTokens)
		w.Float("prefix_cache_hit_rate", g.HitRate())
		if rate, ok := g.MetricsHitRate(); ok {
			w.Float("metrics_prefix_cache_hit_rate", rate)
		} else {
			w.Raw("metrics_prefix_cache_hit_rate", "null")
		}
		if len(g.Replicas) > 0 {
			w.Float("replica_requests_max_mean", g.LoadImbalance())
			w.key("replicas")
			w.buf.WriteByte('[')
			for i, rep := range g.Replicas {
				if i > 0 {
					w.buf.WriteString(", ")
				}
				w.buf.WriteString(`{"url": `)
				w.str(rep.URL)
				fmt.Fprintf(&w.buf, `, "requests": %d, "prefix_cache_queries": %s, "prefix_cache_hits": %s}`,
					rep.Requests, pyFloat(rep.PrefixCacheQueries), pyFloat(rep.PrefixCacheHits))
			}
			w.buf.WriteByte(']')
		}
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), w.err
}

func rpsText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return pyFloat(v)
}

// UnmarshalJSON reads a result file of this package or of vLLM.
func (r *Result) UnmarshalJSON(b []byte) error {
	*r = Result{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("a benchmark result is a JSON object")
	}
	stats := map[string]*MetricStats{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := r.setField(key, raw, stats); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
	}
	for _, m := range metricInfo {
		if s, ok := stats[m.name]; ok {
			r.Stats = append(r.Stats, *s)
		}
	}
	return nil
}

func (r *Result) setField(key string, raw json.RawMessage, stats map[string]*MetricStats) error {
	null := string(raw) == "null"
	var err error
	num := func(dst *float64) {
		if !null {
			err = json.Unmarshal(raw, dst)
		}
	}
	integer := func(dst *int) {
		if null {
			return
		}
		var f float64
		if err = json.Unmarshal(raw, &f); err == nil {
			*dst = int(f)
		}
	}
	text := func(dst *string) {
		if !null {
			err = json.Unmarshal(raw, dst)
		}
	}
	switch key {
	case "date":
		text(&r.Date)
	case "backend":
		text(&r.Backend)
	case "endpoint_type":
		if r.Backend == "" {
			text(&r.Backend)
		}
	case "label":
		text(&r.Label)
	case "model_id":
		text(&r.ModelID)
	case "tokenizer_id":
		text(&r.TokenizerID)
	case "num_prompts":
		integer(&r.NumPrompts)
	case "request_rate":
		if string(raw) == `"inf"` || null {
			r.RequestRate = math.Inf(1)
		} else {
			num(&r.RequestRate)
		}
	case "burstiness":
		num(&r.Burstiness)
	case "max_concurrency":
		integer(&r.MaxConcurrency)
	case "ramp_up_strategy":
		text(&r.RampUpStrategy)
	case "ramp_up_start_rps":
		num(&r.RampUpStartRPS)
	case "ramp_up_end_rps":
		num(&r.RampUpEndRPS)
	case "duration":
		num(&r.Duration)
	case "completed":
		integer(&r.Completed)
	case "failed":
		integer(&r.Failed)
	case "total_input_tokens":
		integer(&r.TotalInputTokens)
	case "total_output_tokens":
		integer(&r.TotalOutputTokens)
	case "request_throughput":
		num(&r.RequestThroughput)
	case "request_goodput":
		if !null {
			var g float64
			num(&g)
			r.RequestGoodput = &g
		}
	case "output_throughput":
		num(&r.OutputThroughput)
	case "total_token_throughput":
		num(&r.TotalTokenThroughput)
	case "max_output_tokens_per_s":
		num(&r.MaxOutputTokensPerS)
	case "max_concurrent_requests":
		integer(&r.MaxConcurrentRequests)
	case "rtfx":
		num(&r.RTFx)
	case "input_lens":
		err = json.Unmarshal(raw, &r.InputLens)
	case "output_lens":
		err = json.Unmarshal(raw, &r.OutputLens)
	case "ttfts":
		err = json.Unmarshal(raw, &r.TTFTs)
	case "itls":
		err = json.Unmarshal(raw, &r.ITLs)
	case "latencies":
		err = json.Unmarshal(raw, &r.Latencies)
	case "start_times":
		err = json.Unmarshal(raw, &r.StartTimes)
	case "queue_times":
		err = json.Unmarshal(raw, &r.QueueTimes)
	case "generated_texts":
		err = json.Unmarshal(raw, &r.GeneratedTexts)
	case "errors":
		err = json.Unmarshal(raw, &r.Errors)
	case "rps_change_events":
		err = json.Unmarshal(raw, &r.RPSChanges)
	case "balance", "total_cached_tokens", "total_uncached_tokens", "replicas":
		if r.Routing == nil {
			r.Routing = &Routing{}
		}
		g := r.Routing
		switch key {
		case "balance":
			text(&g.Balance)
		case "total_cached_tokens":
			integer(&g.CachedTokens)
		case "total_uncached_tokens":
			integer(&g.UncachedTokens)
		default:
			var reps []struct {
				URL      string  `json:"url"`
				Requests int     `json:"requests"`
				Queries  float64 `json:"prefix_cache_queries"`
				Hits     float64 `json:"prefix_cache_hits"`
			}
			if err = json.Unmarshal(raw, &reps); err == nil {
				for _, x := range reps {
					g.Replicas = append(g.Replicas, Replica{URL: x.URL, Requests: x.Requests, PrefixCacheQueries: x.Queries, PrefixCacheHits: x.Hits})
				}
			}
		}
	case "prefix_cache_hit_rate", "metrics_prefix_cache_hit_rate", "replica_requests_max_mean":
		// computed from the fields above
	default:
		if r.setStat(key, raw, stats) {
			return nil
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			r.Metadata = append(r.Metadata, KeyValue{key, s})
		}
	}
	return err
}

// setStat reads a key of the form mean_ttft_ms, p99_ttft_ms, ...
func (r *Result) setStat(key string, raw json.RawMessage, stats map[string]*MetricStats) bool {
	rest, ok := strings.CutSuffix(key, "_ms")
	if !ok {
		return false
	}
	kind, metric, ok := strings.Cut(rest, "_")
	if !ok || !knownMetric(metric) {
		return false
	}
	var v float64
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	s := stats[metric]
	if s == nil {
		s = &MetricStats{Metric: metric}
	}
	switch {
	case kind == "mean":
		s.Mean = v
	case kind == "median":
		s.Median = v
	case kind == "std":
		s.Std = v
	case strings.HasPrefix(kind, "p"):
		p, err := strconv.ParseFloat(kind[1:], 64)
		if err != nil {
			return false
		}
		s.Percentiles = append(s.Percentiles, Percentile{P: p, Value: v})
	default:
		return false
	}
	stats[metric] = s
	return true
}
