package loadtest

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// SLO is a set of service-level objectives for goodput (--goodput): a
// request is good when each objective that is set (above 0) is met. A
// request with one output token has a TPOT of 0, as in vLLM.
type SLO struct {
	// TTFT is the highest acceptable time to first token.
	TTFT time.Duration
	// TPOT is the highest acceptable time per output token after the first.
	TPOT time.Duration
	// E2EL is the highest acceptable end-to-end latency.
	E2EL time.Duration
}

// IsZero reports whether no objective is set.
func (s SLO) IsZero() bool { return s.TTFT <= 0 && s.TPOT <= 0 && s.E2EL <= 0 }

// Metric names, as vLLM's --percentile-metrics spells them.
const (
	MetricTTFT                     = "ttft"
	MetricTPOT                     = "tpot"
	MetricITL                      = "itl"
	MetricE2EL                     = "e2el"
	MetricClientQueueTime          = "client_queue_time"
	MetricE2ELIncludingClientQueue = "e2el_including_client_queue"
)

// metricInfo is the order in which vLLM reports the metrics, with the names
// its table uses.
var metricInfo = []struct{ name, short, title string }{
	{MetricTTFT, "TTFT", "Time to First Token"},
	{MetricTPOT, "TPOT", "Time per Output Token (excl. 1st token)"},
	{MetricITL, "ITL", "Inter-token Latency"},
	{MetricE2EL, "E2EL", "End-to-end Latency"},
	{MetricClientQueueTime, "Client Queue Time", "Client-side Queueing"},
	{MetricE2ELIncludingClientQueue, "E2EL incl. Client Queue", "Queue-inclusive End-to-end Latency"},
}

func knownMetric(name string) bool {
	for _, m := range metricInfo {
		if m.name == name {
			return true
		}
	}
	return false
}

// MetricStats summarises one latency metric over a run, in milliseconds.
type MetricStats struct {
	// Metric is the metric's name, e.g. "ttft" (see the Metric constants).
	Metric string
	// Mean is the mean in milliseconds.
	Mean float64
	// Median is the median in milliseconds.
	Median float64
	// Std is the population standard deviation in milliseconds.
	Std float64
	// Percentiles holds the requested percentiles, in the order asked.
	Percentiles []Percentile
}

// Percentile is one percentile of a metric.
type Percentile struct {
	// P is the percentile, e.g. 99 or 99.9.
	P float64
	// Value is the metric's value at P, in milliseconds.
	Value float64
}

// Percentile returns the value of percentile p, if it was computed.
func (m *MetricStats) Percentile(p float64) (float64, bool) {
	for _, q := range m.Percentiles {
		if q.P == p {
			return q.Value, true
		}
	}
	return 0, false
}

// percentileWord is how vLLM writes a percentile in a key or label: 99,
// 99.9.
func percentileWord(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// summarize computes the statistics of values (in seconds) in milliseconds,
// as numpy does: population standard deviation, percentiles interpolated
// linearly between closest ranks, and 0 for everything when values is
// empty.
func summarize(name string, values []float64, percentiles []float64) MetricStats {
	s := MetricStats{Metric: name}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	if len(sorted) > 0 {
		sum := 0.0
		for _, v := range sorted {
			sum += v
		}
		mean := sum / float64(len(sorted))
		sq := 0.0
		for _, v := range sorted {
			sq += (v - mean) * (v - mean)
		}
		s.Mean, s.Std = mean*1000, math.Sqrt(sq/float64(len(sorted)))*1000
		s.Median = percentileOf(sorted, 50) * 1000
	}
	for _, p := range percentiles {
		s.Percentiles = append(s.Percentiles, Percentile{P: p, Value: percentileOf(sorted, p) * 1000})
	}
	return s
}

// percentileOf is numpy's default (linear) percentile of sorted values.
func percentileOf(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := min(int(math.Ceil(rank)), len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(rank-float64(lo))
}

// Output is the measurement of one request, in vLLM's terms and units.
type Output struct {
	// Success reports whether the request was answered with a stream that
	// carried at least one token.
	Success bool
	// Error says why the request failed; empty when it succeeded.
	Error string
	// PromptLen is the server's prompt token count (the estimate when the
	// request failed).
	PromptLen int
	// OutputTokens is the server's completion token count; 0 when the
	// server sent no usage.
	OutputTokens int
	// Chunks is the number of streamed chunks that carried a choice.
	Chunks int
	// TTFT is the time from sending the request to the first chunk, in seconds.
	TTFT float64
	// ITL holds the gaps between successive chunks, in seconds.
	ITL []float64
	// Latency is the time from sending the request to the last chunk that
	// carried a choice, in seconds.
	Latency float64
	// StartTime is when the request was sent, in seconds since the start
	// of the run.
	StartTime float64
	// QueueTime is how long the request waited for a free slot under
	// MaxConcurrency after its arrival, in seconds.
	QueueTime float64
	// GeneratedText is the text the server generated.
	GeneratedText string
	// CachedTokens is the server's count of prompt tokens found in its
	// prefix cache (usage.prompt_tokens_details.cached_tokens; vLLM sends
	// it with --enable-prompt-tokens-details).
	CachedTokens int
	// Server is the entry of Config.Replicas that answered; empty without
	// Replicas or when no response came.
	Server string
}

// outputLen is the request's output length: the server's count, or the
// number of chunks when the server sent no usage (vLLM counts the generated
// text with its tokenizer then).
func (o *Output) outputLen() int {
	if o.OutputTokens > 0 {
		return o.OutputTokens
	}
	return o.Chunks
}

// metricsOptions selects what computeMetrics reports.
type metricsOptions struct {
	metrics        []string  // selected metrics, any order
	percentiles    []float64 // e.g. 99
	goodput        SLO
	maxConcurrency int
	rateLimited    bool // a finite request rate or a ramp-up
}

// computeMetrics fills in the figures of r from outputs and the run's
// duration in seconds, as vLLM's calculate_metrics does.
func computeMetrics(r *Result, outputs []Output, dur float64, o metricsOptions) {
	var ttfts, tpots, allTPOTs, itls, e2els, queues, e2elQueue []float64
	good := 0
	r.Completed, r.Failed, r.TotalInputTokens, r.TotalOutputTokens = 0, 0, 0, 0
	r.InputLens = make([]int, len(outputs))
	r.OutputLens = make([]int, len(outputs))
	r.TTFTs = make([]float64, len(outputs))
	r.ITLs = make([][]float64, len(outputs))
	r.Latencies = make([]float64, len(outputs))
	r.StartTimes = make([]float64, len(outputs))
	r.QueueTimes = make([]float64, len(outputs))
	r.GeneratedTexts = make([]string, len(outputs))
	r.Errors = make([]string, len(outputs))
	for i := range outputs {
		out := &outputs[i]
		r.InputLens[i], r.TTFTs[i], r.Latencies[i] = out.PromptLen, out.TTFT, out.Latency
		r.ITLs[i] = out.ITL
		if r.ITLs[i] == nil {
			r.ITLs[i] = []float64{}
		}
		r.StartTimes[i], r.QueueTimes[i] = out.StartTime, out.QueueTime
		r.GeneratedTexts[i], r.Errors[i] = out.GeneratedText, out.Error
		if !out.Success {
			r.Failed++
			continue
		}
		n := out.outputLen()
		r.OutputLens[i] = n
		r.Completed++
		r.TotalInputTokens += out.PromptLen
		r.TotalOutputTokens += n
		tpot := 0.0
		if n > 1 {
			tpot = (out.Latency - out.TTFT) / float64(n-1)
			tpots = append(tpots, tpot)
		}
		allTPOTs = append(allTPOTs, tpot)
		itls = append(itls, out.ITL...)
		ttfts = append(ttfts, out.TTFT)
		e2els = append(e2els, out.Latency)
		queues = append(queues, out.QueueTime)
		e2elQueue = append(e2elQueue, out.Latency+out.QueueTime)
		if g := o.goodput; !g.IsZero() &&
			(g.TTFT <= 0 || out.TTFT <= g.TTFT.Seconds()) &&
			(g.TPOT <= 0 || tpot <= g.TPOT.Seconds()) &&
			(g.E2EL <= 0 || out.Latency <= g.E2EL.Seconds()) {
			good++
		}
	}
	r.Duration = dur
	r.RequestThroughput = float64(r.Completed) / dur
	r.OutputThroughput = float64(r.TotalOutputTokens) / dur
	r.TotalTokenThroughput = float64(r.TotalInputTokens+r.TotalOutputTokens) / dur
	r.RequestGoodput = nil
	if !o.goodput.IsZero() {
		g := float64(good) / dur
		r.RequestGoodput = &g
	}
	r.MaxOutputTokensPerS, r.MaxConcurrentRequests = peaks(outputs)

	values := map[string][]float64{
		MetricTTFT: ttfts, MetricTPOT: tpots, MetricITL: itls, MetricE2EL: e2els,
	}
	if o.maxConcurrency > 0 {
		values[MetricClientQueueTime] = queues
		if o.rateLimited {
			values[MetricE2ELIncludingClientQueue] = e2elQueue
		}
	}
	r.Stats = nil
	for _, m := range metricInfo {
		v, ok := values[m.name]
		if ok && slices.Contains(o.metrics, m.name) {
			r.Stats = append(r.Stats, summarize(m.name, v, o.percentiles))
		}
	}
}

// peaks returns the highest number of chunks received in one second of the
// run (counted in whole seconds from the first request's start) and the
// highest number of requests in flight at once, over the successful
// requests, as vLLM counts them.
func peaks(outputs []Output) (tokensPerS float64, concurrent int) {
	series := timeline(outputs)
	for _, v := range series.TokensPerSecond {
		tokensPerS = max(tokensPerS, v)
	}
	return tokensPerS, series.PeakConcurrency
}

// TimelineSeries describes a run over time, in one-second buckets from the
// first successful request's start.
type TimelineSeries struct {
	// TokensPerSecond counts the chunks received in each second.
	TokensPerSecond []float64
	// Concurrent counts the requests in flight during each second.
	Concurrent []float64
	// PeakConcurrency is the highest number of requests in flight at any
	// instant.
	PeakConcurrency int
}

// timeline computes the over-time series of the successful requests.
func timeline(outputs []Output) TimelineSeries {
	var ts TimelineSeries
	first, last, any := math.Inf(1), math.Inf(-1), false
	for i := range outputs {
		if o := &outputs[i]; o.Success {
			first, last, any = min(first, o.StartTime), max(last, o.StartTime+o.Latency), true
		}
	}
	if !any {
		return ts
	}
	buckets := int(math.Ceil(last-first)) + 1
	ts.TokensPerSecond = make([]float64, buckets)
	ts.Concurrent = make([]float64, buckets)
	type event struct {
		at    float64
		delta int
	}
	var events []event
	for i := range outputs {
		o := &outputs[i]
		if !o.Success {
			continue
		}
		t := o.StartTime + o.TTFT
		add := func(t float64) {
			if b := int(t - first); b >= 0 && b < buckets {
				ts.TokensPerSecond[b]++
			}
		}
		add(t)
		for _, gap := range o.ITL {
			t += gap
			add(t)
		}
		from := int(o.StartTime - first)
		to := int(math.Ceil(o.StartTime + o.Latency - first))
		for s := max(from, 0); s < min(buckets, to); s++ {
			ts.Concurrent[s]++
		}
		events = append(events, event{o.StartTime, 1}, event{o.StartTime + o.Latency, -1})
	}
	slices.SortFunc(events, func(a, b event) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return a.delta - b.delta
	})
	cur := 0
	for _, e := range events {
		cur += e.delta
		ts.PeakConcurrency = max(ts.PeakConcurrency, cur)
	}
	return ts
}
