package loadtest

import (
	"math"
	"testing"
	"time"
)

// TestSummarizeMatchesNumpy checks the statistics against numpy's:
// np.mean, np.median, np.std (population) and np.percentile (linear) of
// [1, 2, 3, 4] seconds are 2.5, 2.5, 1.118033988749895 and, at 99 and 50.5,
// 3.97 and 2.515.
func TestSummarizeMatchesNumpy(t *testing.T) {
	s := summarize(MetricE2EL, []float64{4, 1, 3, 2}, []float64{99, 50.5})
	for name, got := range map[string][2]float64{
		"mean": {s.Mean, 2500}, "median": {s.Median, 2500}, "std": {s.Std, 1118.033988749895},
		"p99": {s.Percentiles[0].Value, 3970}, "p50.5": {s.Percentiles[1].Value, 2515},
	} {
		if math.Abs(got[0]-got[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got[0], got[1])
		}
	}
	empty := summarize(MetricTTFT, nil, []float64{99})
	if empty.Mean != 0 || empty.Percentiles[0].Value != 0 {
		t.Errorf("no values must give zeros, as numpy of [0] does: %+v", empty)
	}
}

func TestComputeMetricsGoodputAndPeaks(t *testing.T) {
	outs := []Output{
		// Good on every SLO: TTFT 0.1, TPOT (0.5-0.1)/4 = 0.1, E2EL 0.5.
		{Success: true, PromptLen: 10, OutputTokens: 5, Chunks: 5, TTFT: 0.1, ITL: []float64{0.1, 0.1, 0.1, 0.1}, Latency: 0.5, StartTime: 0},
		// TTFT too slow.
		{Success: true, PromptLen: 10, OutputTokens: 2, Chunks: 2, TTFT: 0.3, ITL: []float64{0.2}, Latency: 0.5, StartTime: 0.2},
		// One token: TPOT counts as 0 for goodput and is left out of the TPOT statistics.
		{Success: true, PromptLen: 10, OutputTokens: 1, Chunks: 1, TTFT: 0.2, Latency: 0.2, StartTime: 1.5},
		// No usage report: the chunks count.
		{Success: true, PromptLen: 3, Chunks: 3, TTFT: 0.1, ITL: []float64{0.1, 0.1}, Latency: 0.3, StartTime: 1.6},
		{Success: false, Error: "boom", PromptLen: 9},
	}
	var r Result
	computeMetrics(&r, outs, 2, metricsOptions{
		metrics: []string{MetricTPOT, MetricTTFT}, percentiles: []float64{50},
		goodput: SLO{TTFT: 200 * time.Millisecond, TPOT: 100 * time.Millisecond, E2EL: time.Second},
	})
	if r.Completed != 4 || r.Failed != 1 || r.TotalInputTokens != 33 || r.TotalOutputTokens != 11 {
		t.Errorf("completed %d failed %d in %d out %d", r.Completed, r.Failed, r.TotalInputTokens, r.TotalOutputTokens)
	}
	if r.OutputLens[0] != 5 || r.OutputLens[3] != 3 || r.OutputLens[4] != 0 {
		t.Errorf("output lens %v", r.OutputLens)
	}
	if r.InputLens[4] != 9 {
		t.Errorf("a failed request's input len is its estimate: %v", r.InputLens)
	}
	if *r.RequestGoodput != 1.5 { // requests 0, 2 and 3 are good, over 2 s
		t.Errorf("goodput %v, want 1.5", *r.RequestGoodput)
	}
	if r.RequestThroughput != 2 || r.OutputThroughput != 5.5 || r.TotalTokenThroughput != 22 {
		t.Errorf("throughputs %v %v %v", r.RequestThroughput, r.OutputThroughput, r.TotalTokenThroughput)
	}
	if len(r.Stats) != 2 || r.Stats[0].Metric != MetricTTFT || r.Stats[1].Metric != MetricTPOT {
		t.Fatalf("stats in vLLM's order ttft, tpot: %+v", r.Stats)
	}
	// TPOTs of the requests with more than one token: 0.1, 0.2, 0.1.
	if m := r.Stats[1].Mean; math.Abs(m-400.0/3) > 1e-9 {
		t.Errorf("mean tpot %v", m)
	}
	// Chunks in second 0: 5 (request 0) + 2 (request 1); in second 1: 1 + 3.
	if r.MaxOutputTokensPerS != 7 {
		t.Errorf("peak tokens/s %v, want 7", r.MaxOutputTokensPerS)
	}
	// Requests 0 and 1 overlap; 2 ends at 1.7, after 3 started at 1.6.
	if r.MaxConcurrentRequests != 2 {
		t.Errorf("peak concurrency %d, want 2", r.MaxConcurrentRequests)
	}
}

func TestPeakConcurrencyHalfOpen(t *testing.T) {
	// One request ends exactly when the next starts: not concurrent.
	outs := []Output{{Success: true, Chunks: 1, StartTime: 0, Latency: 1}, {Success: true, Chunks: 1, StartTime: 1, Latency: 1}}
	if _, c := peaks(outs); c != 1 {
		t.Errorf("peak %d, want 1", c)
	}
}
