package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// benchResult is the measurement of one benchmark request.
type benchResult struct {
	ok           bool
	err          string
	ttft         time.Duration   // request sent → first token
	itl          []time.Duration // gaps between successive token-bearing chunks
	e2e          time.Duration   // request sent → stream end
	promptTokens int
	outputTokens int
}

// tpot is the time per output token after the first.
func (r *benchResult) tpot() (time.Duration, bool) {
	if r.outputTokens < 2 {
		return 0, false
	}
	return (r.e2e - r.ttft) / time.Duration(r.outputTokens-1), true
}

// distribution summarises a latency metric, in milliseconds.
type distribution struct {
	Mean   float64 `json:"mean_ms"`
	Median float64 `json:"median_ms"`
	Std    float64 `json:"std_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
}

func summarize(ds []time.Duration) distribution {
	if len(ds) == 0 {
		return distribution{}
	}
	ms := make([]float64, len(ds))
	var sum float64
	for i, d := range ds {
		ms[i] = float64(d) / float64(time.Millisecond)
		sum += ms[i]
	}
	slices.Sort(ms)
	mean := sum / float64(len(ms))
	var sq float64
	for _, v := range ms {
		sq += (v - mean) * (v - mean)
	}
	return distribution{
		Mean:   mean,
		Median: percentile(ms, 50),
		Std:    math.Sqrt(sq / float64(len(ms))),
		P90:    percentile(ms, 90),
		P99:    percentile(ms, 99),
	}
}

// percentile interpolates linearly between closest ranks (as numpy does by
// default) over sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(rank-float64(lo))
}

// slo is a goodput service-level objective: a request counts as good when
// each of its set metrics is at or below the limit.
type slo struct {
	ttft, tpot, e2e time.Duration
}

// parseSLO reads "ttft:500,tpot:50,e2el:3000" (milliseconds), the form of
// vLLM's --goodput.
func parseSLO(s string) (slo, error) {
	var o slo
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(kv, ":")
		var ms float64
		if _, err := fmt.Sscanf(v, "%g", &ms); !ok || err != nil || ms <= 0 {
			return o, usagef("--goodput %q: want NAME:MILLISECONDS, e.g. ttft:500", kv)
		}
		d := time.Duration(ms * float64(time.Millisecond))
		switch k {
		case "ttft":
			o.ttft = d
		case "tpot":
			o.tpot = d
		case "e2el", "e2e":
			o.e2e = d
		default:
			return o, usagef("--goodput: unknown metric %q (ttft, tpot, e2el)", k)
		}
	}
	return o, nil
}

func (o slo) set() bool { return o.ttft > 0 || o.tpot > 0 || o.e2e > 0 }

func (o slo) good(r *benchResult) bool {
	if !r.ok {
		return false
	}
	if o.ttft > 0 && r.ttft > o.ttft {
		return false
	}
	if tp, ok := r.tpot(); o.tpot > 0 && ok && tp > o.tpot {
		return false
	}
	return o.e2e == 0 || r.e2e <= o.e2e
}

// benchReport is the result of a benchmark run, as written by --json.
type benchReport struct {
	Endpoint            string       `json:"endpoint"`
	Model               string       `json:"model"`
	RequestRate         string       `json:"request_rate"`
	MaxConcurrency      int          `json:"max_concurrency,omitempty"`
	NumPrompts          int          `json:"num_prompts"`
	Completed           int          `json:"completed"`
	Failed              int          `json:"failed"`
	Errors              []string     `json:"errors,omitempty"`
	DurationS           float64      `json:"duration_s"`
	TotalInputTokens    int          `json:"total_input_tokens"`
	TotalOutputTokens   int          `json:"total_output_tokens"`
	RequestThroughput   float64      `json:"request_throughput"`
	OutputThroughput    float64      `json:"output_throughput"`
	TotalTokThroughput  float64      `json:"total_token_throughput"`
	Goodput             *float64     `json:"request_goodput,omitempty"`
	TTFT                distribution `json:"ttft"`
	TPOT                distribution `json:"tpot"`
	ITL                 distribution `json:"itl"`
	E2EL                distribution `json:"e2el"`
	MaxOutputTokensSeen int          `json:"max_output_tokens_per_request"`
}

// buildReport aggregates the results of a run that lasted dur.
func buildReport(results []benchResult, dur time.Duration, goal slo) benchReport {
	var rep benchReport
	var ttfts, tpots, itls, e2es []time.Duration
	good := 0
	errs := map[string]bool{}
	for i := range results {
		r := &results[i]
		if !r.ok {
			rep.Failed++
			if len(errs) < 5 && !errs[r.err] {
				errs[r.err] = true
				rep.Errors = append(rep.Errors, r.err)
			}
			continue
		}
		rep.Completed++
		rep.TotalInputTokens += r.promptTokens
		rep.TotalOutputTokens += r.outputTokens
		rep.MaxOutputTokensSeen = max(rep.MaxOutputTokensSeen, r.outputTokens)
		ttfts = append(ttfts, r.ttft)
		if tp, ok := r.tpot(); ok {
			tpots = append(tpots, tp)
		}
		itls = append(itls, r.itl...)
		e2es = append(e2es, r.e2e)
		if goal.good(r) {
			good++
		}
	}
	rep.NumPrompts = len(results)
	rep.DurationS = dur.Seconds()
	if s := dur.Seconds(); s > 0 {
		rep.RequestThroughput = float64(rep.Completed) / s
		rep.OutputThroughput = float64(rep.TotalOutputTokens) / s
		rep.TotalTokThroughput = float64(rep.TotalInputTokens+rep.TotalOutputTokens) / s
		if goal.set() {
			g := float64(good) / s
			rep.Goodput = &g
		}
	}
	rep.TTFT, rep.TPOT, rep.ITL, rep.E2EL = summarize(ttfts), summarize(tpots), summarize(itls), summarize(e2es)
	return rep
}

// writeTable prints the report as a table in the manner of vLLM's own
// serving benchmark.
func (rep *benchReport) writeTable(w io.Writer) {
	line := func(name string, format string, v any) {
		fmt.Fprintf(w, "%-40s "+format+"\n", name+":", v)
	}
	fmt.Fprintf(w, "%s\n", center(" Serving Benchmark Result ", 60, '='))
	line("Successful requests", "%d", rep.Completed)
	line("Failed requests", "%d", rep.Failed)
	line("Request rate configured (RPS)", "%s", rep.RequestRate)
	if rep.MaxConcurrency > 0 {
		line("Maximum request concurrency", "%d", rep.MaxConcurrency)
	}
	line("Benchmark duration (s)", "%.2f", rep.DurationS)
	line("Total input tokens", "%d", rep.TotalInputTokens)
	line("Total generated tokens", "%d", rep.TotalOutputTokens)
	line("Request throughput (req/s)", "%.2f", rep.RequestThroughput)
	if rep.Goodput != nil {
		line("Request goodput (req/s)", "%.2f", *rep.Goodput)
	}
	line("Output token throughput (tok/s)", "%.2f", rep.OutputThroughput)
	line("Total token throughput (tok/s)", "%.2f", rep.TotalTokThroughput)
	for _, m := range []struct {
		title, short string
		d            distribution
	}{
		{"Time to First Token", "TTFT", rep.TTFT},
		{"Time per Output Token (excl. 1st token)", "TPOT", rep.TPOT},
		{"Inter-token Latency", "ITL", rep.ITL},
		{"End-to-end Latency", "E2EL", rep.E2EL},
	} {
		fmt.Fprintf(w, "%s\n", center(m.title, 60, '-'))
		line("Mean "+m.short+" (ms)", "%.2f", m.d.Mean)
		line("Median "+m.short+" (ms)", "%.2f", m.d.Median)
		line("P90 "+m.short+" (ms)", "%.2f", m.d.P90)
		line("P99 "+m.short+" (ms)", "%.2f", m.d.P99)
	}
	fmt.Fprintln(w, strings.Repeat("=", 60))
	for _, e := range rep.Errors {
		fmt.Fprintln(w, "error: "+e)
	}
}

func center(s string, width int, fill rune) string {
	pad := width - len(s)
	if pad <= 0 {
		return s
	}
	left := pad / 2
	return strings.Repeat(string(fill), left) + s + strings.Repeat(string(fill), pad-left)
}

func (rep *benchReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
