package loadtest

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// tableWidth is the width of vLLM's result table.
const tableWidth = 50

// WriteTable prints the result as vLLM's "vllm bench serve" prints it, line
// for line: the same labels, widths (labels padded to 40 columns, values to
// 10) and conditional lines.
func (r *Result) WriteTable(w io.Writer) error {
	var b strings.Builder
	line := func(label string, value string) {
		fmt.Fprintf(&b, "%-40s %-10s\n", label, value)
	}
	f2 := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	d := func(v int) string { return fmt.Sprint(v) }
	b.WriteString(center(" Serving Benchmark Result ", tableWidth, '=') + "\n")
	line("Successful requests:", d(r.Completed))
	line("Failed requests:", d(r.Failed))
	if r.MaxConcurrency > 0 {
		line("Maximum request concurrency:", d(r.MaxConcurrency))
	}
	if !math.IsInf(r.RequestRate, 1) && r.RequestRate != 0 {
		line("Request rate configured (RPS):", f2(r.RequestRate))
	}
	line("Benchmark duration (s):", f2(r.Duration))
	line("Total input tokens:", d(r.TotalInputTokens))
	line("Total generated tokens:", d(r.TotalOutputTokens))
	line("Request throughput (req/s):", f2(r.RequestThroughput))
	if r.RequestGoodput != nil {
		line("Request goodput (req/s):", f2(*r.RequestGoodput))
	}
	line("Output token throughput (tok/s):", f2(r.OutputThroughput))
	line("Peak output token throughput (tok/s):", f2(r.MaxOutputTokensPerS))
	line("Peak concurrent requests:", f2(float64(r.MaxConcurrentRequests)))
	if r.RTFx > 0 {
		line("RTFx (Inverse Real-Time Factor):", f2(r.RTFx))
	}
	line("Total token throughput (tok/s):", f2(r.TotalTokenThroughput))
	for _, s := range r.Stats {
		short, title := s.Metric, s.Metric
		for _, m := range metricInfo {
			if m.name == s.Metric {
				short, title = m.short, m.title
			}
		}
		b.WriteString(center(title, tableWidth, '-') + "\n")
		line("Mean "+short+" (ms):", f2(s.Mean))
		line("Median "+short+" (ms):", f2(s.Median))
		for _, p := range s.Percentiles {
			line("P"+percentileWord(p.P)+" "+short+" (ms):", f2(p.Value))
		}
	}
	if r.Routing != nil {
		r.Routing.writeTable(line, &b)
	}
	b.WriteString(strings.Repeat("=", tableWidth) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// center centres s in width columns of fill, the extra column on the right,
// as Python's format(s, "^width") does.
func center(s string, width int, fill byte) string {
	pad := width - len(s)
	if pad <= 0 {
		return s
	}
	left := pad / 2
	return strings.Repeat(string(fill), left) + s + strings.Repeat(string(fill), pad-left)
}
