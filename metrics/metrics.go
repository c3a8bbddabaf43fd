// Package metrics reads vLLM's Prometheus metrics: Scrape fetches and
// summarises a server's /metrics through a vllm.Client, and Parse reads the
// Prometheus text exposition format without a Prometheus dependency.
//
// The package uses only the public API of package vllm.
package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/internal/textcut"
)

// Scrape fetches the Prometheus metrics of the server c talks to (GET
// /metrics at the server root, through c's whole request path: headers,
// retries, hooks) and returns the figures operators watch, plus every parsed
// sample in Families. vLLM does not protect the endpoint with its API key.
func Scrape(ctx context.Context, c *vllm.Client, opts ...vllm.Option) (*Server, error) {
	body, err := c.RawRoot(ctx, http.MethodGet, "/metrics", nil, opts...)
	if err != nil {
		return nil, err
	}
	fams, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return summarize(fams), nil
}

// Server summarises a vLLM /metrics scrape. Series of several engines
// or models (label sets) are added up, except KVCacheUsage, which is their
// mean. A figure the server did not export is zero (a histogram, nil).
type Server struct {
	// RequestsRunning and RequestsWaiting are the requests being generated
	// and those queued (vllm:num_requests_running, vllm:num_requests_waiting).
	RequestsRunning float64
	RequestsWaiting float64 // requests queued (vllm:num_requests_waiting)
	// KVCacheUsage is the fraction of KV-cache blocks in use, 0 to 1
	// (vllm:kv_cache_usage_perc, or vllm:gpu_cache_usage_perc on older
	// servers).
	KVCacheUsage float64
	// PromptTokens and GenerationTokens count the tokens processed since
	// the server started (vllm:prompt_tokens_total,
	// vllm:generation_tokens_total).
	PromptTokens     float64
	GenerationTokens float64 // tokens generated since the start (vllm:generation_tokens_total)
	// Preemptions counts preempted requests (vllm:num_preemptions_total).
	Preemptions float64
	// PrefixCacheQueries and PrefixCacheHits count prefix-cache lookups in
	// tokens (vllm:prefix_cache_queries_total, vllm:prefix_cache_hits_total).
	PrefixCacheQueries float64
	PrefixCacheHits    float64 // prefix-cache hits, in tokens (vllm:prefix_cache_hits_total)
	// RequestsFinished counts finished requests by finish reason ("stop",
	// "length", "abort", …) (vllm:request_success_total, labelled
	// finished_reason by vLLM and finish_reason by some compatible servers).
	RequestsFinished map[string]float64
	// TimeToFirstToken, E2ELatency, InterTokenLatency and QueueTime are
	// latency histograms in seconds (vllm:time_to_first_token_seconds,
	// vllm:e2e_request_latency_seconds, vllm:inter_token_latency_seconds or
	// the older vllm:time_per_output_token_seconds,
	// vllm:request_queue_time_seconds).
	TimeToFirstToken  *Histogram
	E2ELatency        *Histogram // request latency in seconds (vllm:e2e_request_latency_seconds)
	InterTokenLatency *Histogram // time between tokens in seconds (vllm:inter_token_latency_seconds)
	QueueTime         *Histogram // time queued in seconds (vllm:request_queue_time_seconds)
	// Families holds every metric of the scrape by name.
	Families map[string]*Family
}

// PrefixCacheHitRate returns hits over queries, or 0 without queries.
func (m *Server) PrefixCacheHitRate() float64 {
	if m.PrefixCacheQueries == 0 {
		return 0
	}
	return m.PrefixCacheHits / m.PrefixCacheQueries
}

// Family is one metric of a scrape with all its samples.
type Family struct {
	Name string // the metric's name, e.g. "vllm:num_requests_running"
	// Type is the # TYPE of the metric: "counter", "gauge", "histogram",
	// "summary" or "untyped" (also when no # TYPE line was given).
	Type string
	Help string // the # HELP text
	// Samples are the family's samples in scrape order; for a histogram,
	// its _bucket, _sum and _count samples (and _created, if any).
	Samples []Sample
}

// Sample is one line of a scrape.
type Sample struct {
	// Name is the sample's name, e.g. "vllm:e2e_request_latency_seconds_bucket".
	Name   string
	Labels map[string]string // the sample's labels by name
	Value  float64           // the sample's value
	// Timestamp is the optional timestamp in milliseconds; 0 when absent.
	Timestamp int64
}

// Sum adds up the values of the samples named name (all label sets).
func (f *Family) Sum(name string) float64 {
	var s float64
	for _, smp := range f.Samples {
		if smp.Name == name {
			s += smp.Value
		}
	}
	return s
}

// Histogram is a Prometheus histogram: cumulative bucket counts by upper
// bound (the last bound is +Inf), the sum and the count of observations.
type Histogram struct {
	Buckets []Bucket // cumulative counts by upper bound, the last +Inf
	Sum     float64  // sum of the observations
	Count   float64  // number of observations
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	// UpperBound is the bucket's "le" label; +Inf for the last.
	UpperBound float64
	// Count is the number of observations at most UpperBound.
	Count float64
}

// Mean returns Sum/Count, or 0 without observations.
func (h *Histogram) Mean() float64 {
	if h == nil || h.Count == 0 {
		return 0
	}
	return h.Sum / h.Count
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) by linear interpolation
// inside the bucket that holds it, as Prometheus's histogram_quantile does.
// It returns NaN without observations; a quantile in the +Inf bucket is the
// highest finite bound.
func (h *Histogram) Quantile(q float64) float64 {
	if h == nil || len(h.Buckets) == 0 || q < 0 || q > 1 || math.IsNaN(q) {
		return math.NaN()
	}
	total := h.Buckets[len(h.Buckets)-1].Count
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	prevBound, prevCount := 0.0, 0.0
	for i, b := range h.Buckets {
		if b.Count >= rank {
			if math.IsInf(b.UpperBound, 1) {
				if i == 0 {
					return math.NaN()
				}
				return h.Buckets[i-1].UpperBound
			}
			if b.Count == prevCount {
				return b.UpperBound
			}
			if i == 0 && b.UpperBound < 0 {
				return b.UpperBound
			}
			return prevBound + (b.UpperBound-prevBound)*(rank-prevCount)/(b.Count-prevCount)
		}
		prevBound, prevCount = b.UpperBound, b.Count
	}
	return h.Buckets[len(h.Buckets)-1].UpperBound
}

// Histogram merges the family's buckets over all label sets (adding counts
// of equal bounds), or returns nil when the family has no bucket samples.
func (f *Family) Histogram() *Histogram {
	if f == nil {
		return nil
	}
	byBound := map[float64]float64{}
	h := &Histogram{}
	for _, s := range f.Samples {
		switch s.Name {
		case f.Name + "_bucket":
			le, err := parseFloat(s.Labels["le"])
			if err != nil {
				continue
			}
			byBound[le] += s.Value
		case f.Name + "_sum":
			h.Sum += s.Value
		case f.Name + "_count":
			h.Count += s.Value
		}
	}
	if len(byBound) == 0 {
		return nil
	}
	for le, n := range byBound {
		h.Buckets = append(h.Buckets, Bucket{UpperBound: le, Count: n})
	}
	sort.Slice(h.Buckets, func(i, j int) bool { return h.Buckets[i].UpperBound < h.Buckets[j].UpperBound })
	return h
}

// summarize picks vLLM's figures out of a parsed scrape.
func summarize(fams map[string]*Family) *Server {
	m := &Server{Families: fams}
	gauge := func(name string) float64 {
		if f := fams[name]; f != nil {
			return f.Sum(name)
		}
		return 0
	}
	// Counters are declared as name_total (text format 0.0.4, as vLLM's
	// Python client writes it) or as name (OpenMetrics); samples end in _total.
	counter := func(name string) float64 {
		for _, fn := range [...]string{name + "_total", name} {
			if f := fams[fn]; f != nil {
				return f.Sum(name + "_total")
			}
		}
		return 0
	}
	hist := func(names ...string) *Histogram {
		for _, n := range names {
			if h := fams[n].Histogram(); h != nil {
				return h
			}
		}
		return nil
	}
	m.RequestsRunning = gauge("vllm:num_requests_running")
	m.RequestsWaiting = gauge("vllm:num_requests_waiting")
	for _, n := range []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"} {
		if f := fams[n]; f != nil && len(f.Samples) > 0 {
			m.KVCacheUsage = f.Sum(n) / float64(len(f.Samples))
			break
		}
	}
	m.PromptTokens = counter("vllm:prompt_tokens")
	m.GenerationTokens = counter("vllm:generation_tokens")
	m.Preemptions = counter("vllm:num_preemptions")
	m.PrefixCacheQueries = counter("vllm:prefix_cache_queries")
	m.PrefixCacheHits = counter("vllm:prefix_cache_hits")
	for _, fn := range [...]string{"vllm:request_success_total", "vllm:request_success"} {
		f := fams[fn]
		if f == nil {
			continue
		}
		m.RequestsFinished = map[string]float64{}
		for _, s := range f.Samples {
			if s.Name == "vllm:request_success_total" {
				// vLLM labels finished_reason; other vLLM-compatible
				// servers finish_reason.
				reason, ok := s.Labels["finished_reason"]
				if !ok {
					reason = s.Labels["finish_reason"]
				}
				m.RequestsFinished[reason] += s.Value
			}
		}
		break
	}
	m.TimeToFirstToken = hist("vllm:time_to_first_token_seconds")
	m.E2ELatency = hist("vllm:e2e_request_latency_seconds")
	m.InterTokenLatency = hist("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds")
	m.QueueTime = hist("vllm:request_queue_time_seconds")
	return m
}

// ParseError is a line of a scrape that is not in the Prometheus text
// format. It matches vllm.ErrInvalidResponse.
type ParseError struct {
	// Line is the 1-based line number.
	Line int
	// Text is a bounded excerpt of the line.
	Text   string
	Reason string // what is wrong with the line
}

// Error names the line and the reason.
func (e *ParseError) Error() string {
	return fmt.Sprintf("metrics: cannot parse line %d: %s: %q", e.Line, e.Reason, e.Text)
}

// Is matches vllm.ErrInvalidResponse.
func (e *ParseError) Is(target error) bool { return target == vllm.ErrInvalidResponse }

// Parse parses the Prometheus text exposition format (version 0.0.4)
// into metric families by name. Samples are grouped under the family their
// # TYPE line names (a histogram's _bucket, _sum and _count samples and a
// counter's _total samples go to the family without the suffix); samples
// without a # TYPE line form untyped families of their own name.
func Parse(text []byte) (map[string]*Family, error) {
	fams := map[string]*Family{}
	family := func(name string) *Family {
		f := fams[name]
		if f == nil {
			f = &Family{Name: name, Type: "untyped"}
			fams[name] = f
		}
		return f
	}
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			kw, rest, _ := strings.Cut(strings.TrimLeft(string(line[1:]), " \t"), " ")
			name, text, _ := strings.Cut(strings.TrimLeft(rest, " \t"), " ")
			if (kw != "TYPE" && kw != "HELP") || name == "" {
				continue // a comment
			}
			f := family(name)
			if kw == "TYPE" {
				f.Type = strings.TrimSpace(text)
				switch f.Type {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					f.Type = "untyped"
				}
			} else {
				f.Help = text
			}
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, &ParseError{Line: lineNo, Text: snippet(line), Reason: err.Error()}
		}
		f := family(familyOf(fams, s.Name))
		f.Samples = append(f.Samples, s)
	}
	return fams, nil
}

// familyOf returns the family a sample belongs to: the declared family whose
// name is the sample's without a known suffix, else the sample's own name.
func familyOf(fams map[string]*Family, name string) string {
	if _, ok := fams[name]; ok {
		return name
	}
	for _, suf := range [...]string{"_total", "_bucket", "_sum", "_count", "_created"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if f, ok := fams[base]; ok && f.Type != "untyped" {
				return base
			}
		}
	}
	return name
}

var (
	errNoValue     = errors.New("no value")
	errBadLabels   = errors.New("malformed labels")
	errBadName     = errors.New("malformed metric name")
	errTrailingTok = errors.New("unexpected text after the timestamp")
)

// parseSample parses `name{label="value",…} value [timestamp]`.
func parseSample(line []byte) (Sample, error) {
	var s Sample
	i := 0
	for i < len(line) && isMetricNameByte(line[i], i == 0) {
		i++
	}
	if i == 0 {
		return s, errBadName
	}
	s.Name = string(line[:i])
	rest := line[i:]
	if len(rest) > 0 && rest[0] == '{' {
		labels, n, err := parseLabels(rest)
		if err != nil {
			return s, err
		}
		s.Labels = labels
		rest = rest[n:]
	}
	fields := strings.Fields(string(rest))
	switch len(fields) {
	case 0:
		return s, errNoValue
	case 1, 2:
	default:
		return s, errTrailingTok
	}
	v, err := parseFloat(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	if len(fields) == 2 {
		ts, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return s, fmt.Errorf("bad timestamp %q", fields[1])
		}
		s.Timestamp = ts
	}
	return s, nil
}

func isMetricNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// parseLabels parses `{a="x",b="y"}` at the start of b and returns the labels
// and the number of bytes consumed.
func parseLabels(b []byte) (map[string]string, int, error) {
	labels := map[string]string{}
	i := 1 // past '{'
	for {
		for i < len(b) && (b[i] == ' ' || b[i] == ',') {
			i++
		}
		if i >= len(b) {
			return nil, 0, errBadLabels
		}
		if b[i] == '}' {
			return labels, i + 1, nil
		}
		start := i
		for i < len(b) && isMetricNameByte(b[i], i == start) && b[i] != ':' {
			i++
		}
		if i == start {
			return nil, 0, errBadLabels
		}
		name := string(b[start:i])
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i+1 >= len(b) || b[i] != '=' {
			return nil, 0, errBadLabels
		}
		i++
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) || b[i] != '"' {
			return nil, 0, errBadLabels
		}
		i++
		var val strings.Builder
		for {
			if i >= len(b) {
				return nil, 0, errBadLabels
			}
			c := b[i]
			if c == '"' {
				i++
				break
			}
			if c == '\\' && i+1 < len(b) {
				i++
				switch b[i] {
				case 'n':
					val.WriteByte('\n')
				default: // \\ and \"
					val.WriteByte(b[i])
				}
				i++
				continue
			}
			val.WriteByte(c)
			i++
		}
		labels[name] = val.String()
	}
}

// parseFloat parses a sample value, with Prometheus's +Inf, -Inf and NaN.
func parseFloat(s string) (float64, error) {
	switch s {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", s)
	}
	return v, nil
}

// snippet returns at most 256 bytes of a line, cut at a rune boundary and
// made valid UTF-8, for a ParseError.
func snippet(b []byte) string {
	return textcut.Cut(b, 256, "…")
}
