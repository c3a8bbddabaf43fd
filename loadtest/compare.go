package loadtest

import (
	"fmt"
	"io"
	"math"
)

// Difference is one metric of two results side by side.
type Difference struct {
	// Key is the metric's key in the result file, e.g. "mean_ttft_ms".
	Key string
	// A is the first result's value.
	A float64
	// B is the second result's value.
	B float64
}

// Change is the relative change from A to B in percent; NaN when A is 0
// (and B is not).
func (d Difference) Change() float64 {
	if d.A == d.B {
		return 0
	}
	if d.A == 0 {
		return math.NaN()
	}
	return (d.B - d.A) / math.Abs(d.A) * 100
}

// Compare lists the figures two results both hold, in the order of
// vLLM's result files: counts, throughputs, peaks, then every statistic of
// every metric.
func Compare(a, b *Result) []Difference {
	var out []Difference
	add := func(k string, x, y float64) { out = append(out, Difference{k, x, y}) }
	add("completed", float64(a.Completed), float64(b.Completed))
	add("failed", float64(a.Failed), float64(b.Failed))
	add("duration", a.Duration, b.Duration)
	add("total_input_tokens", float64(a.TotalInputTokens), float64(b.TotalInputTokens))
	add("total_output_tokens", float64(a.TotalOutputTokens), float64(b.TotalOutputTokens))
	add("request_throughput", a.RequestThroughput, b.RequestThroughput)
	if a.RequestGoodput != nil && b.RequestGoodput != nil {
		add("request_goodput", *a.RequestGoodput, *b.RequestGoodput)
	}
	add("output_throughput", a.OutputThroughput, b.OutputThroughput)
	add("total_token_throughput", a.TotalTokenThroughput, b.TotalTokenThroughput)
	add("max_output_tokens_per_s", a.MaxOutputTokensPerS, b.MaxOutputTokensPerS)
	add("max_concurrent_requests", float64(a.MaxConcurrentRequests), float64(b.MaxConcurrentRequests))
	for _, sa := range a.Stats {
		sb := b.Stat(sa.Metric)
		if sb == nil {
			continue
		}
		m := sa.Metric
		add("mean_"+m+"_ms", sa.Mean, sb.Mean)
		add("median_"+m+"_ms", sa.Median, sb.Median)
		add("std_"+m+"_ms", sa.Std, sb.Std)
		for _, p := range sa.Percentiles {
			if v, ok := sb.Percentile(p.P); ok {
				add("p"+percentileWord(p.P)+"_"+m+"_ms", p.Value, v)
			}
		}
	}
	return out
}

// WriteComparison prints Compare(a, b) as a table headed by the two
// results' names.
func WriteComparison(w io.Writer, nameA, nameB string, a, b *Result) error {
	width := max(12, len(nameA), len(nameB))
	if _, err := fmt.Fprintf(w, "%-40s %*s %*s %9s\n", "Metric", width, nameA, width, nameB, "Change"); err != nil {
		return err
	}
	for _, d := range Compare(a, b) {
		change := "n/a"
		if c := d.Change(); !math.IsNaN(c) {
			change = fmt.Sprintf("%+.2f%%", c)
		}
		if _, err := fmt.Fprintf(w, "%-40s %*.2f %*.2f %9s\n", d.Key, width, d.A, width, d.B, change); err != nil {
			return err
		}
	}
	return nil
}
