package loadtest

import (
	"math"
	"os"
	"strings"
	"testing"
)

func stats(metric string, mean, median float64, ps []float64, vs ...float64) MetricStats {
	s := MetricStats{Metric: metric, Mean: mean, Median: median}
	for i, p := range ps {
		s.Percentiles = append(s.Percentiles, Percentile{P: p, Value: vs[i]})
	}
	return s
}

// TestWriteTableMatchesVLLM compares the table with golden files printed
// by Python with the format expressions of vLLM's serve.py.
func TestWriteTableMatchesVLLM(t *testing.T) {
	good := 1.5
	p := []float64{99, 99.9}
	full := &Result{
		Completed: 10, Failed: 2, MaxConcurrency: 4, RequestRate: 8, Duration: 5.78123,
		TotalInputTokens: 1369, TotalOutputTokens: 2212, RequestThroughput: 1.72974, RequestGoodput: &good,
		OutputThroughput: 382.888, MaxOutputTokensPerS: 410, MaxConcurrentRequests: 4, TotalTokenThroughput: 619.854,
		Stats: []MetricStats{
			stats(MetricTTFT, 71.544, 73.875, p, 79.494, 79.9),
			stats(MetricTPOT, 7.912, 7.955, p, 8.031, 8.1),
			stats(MetricITL, 7.7449, 7.7, p, 8.39, 9.0),
			stats(MetricE2EL, 1500.5, 1490.25, p, 2000.125, 2100),
			stats(MetricClientQueueTime, 12, 10, p, 30, 31),
			stats(MetricE2ELIncludingClientQueue, 1512.5, 1500.25, p, 2030.125, 2131),
		},
	}
	plain := &Result{
		Completed: 10, RequestRate: math.Inf(1), Duration: 5.78, TotalInputTokens: 1369, TotalOutputTokens: 2212,
		RequestThroughput: 1.73, OutputThroughput: 382.89, MaxOutputTokensPerS: 400, MaxConcurrentRequests: 10,
		TotalTokenThroughput: 619.85,
		Stats: []MetricStats{
			stats(MetricTTFT, 71.54, 73.88, []float64{99}, 79.49),
			stats(MetricTPOT, 7.91, 7.96, []float64{99}, 8.03),
			stats(MetricITL, 7.74, 7.70, []float64{99}, 8.39),
		},
	}
	for name, r := range map[string]*Result{"testdata/table_full.txt": full, "testdata/table_default.txt": plain} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := r.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		gotLines, wantLines := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gotLines), len(wantLines)) {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("%s line %d:\n got %q\nwant %q", name, i+1, g, w)
			}
		}
	}
}
