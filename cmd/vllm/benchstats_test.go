package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentileAndSummary(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	d := summarize(ms(10, 20, 30, 40, 50, 60, 70, 80, 90, 100))
	// numpy.percentile([10..100], [50, 90, 99]) = 55, 91, 99.1
	for name, c := range map[string][2]float64{"mean": {d.Mean, 55}, "median": {d.Median, 55}, "p90": {d.P90, 91}, "p99": {d.P99, 99.1}} {
		if math.Abs(c[0]-c[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if one := summarize(ms(7)); one.P99 != 7 || one.Median != 7 {
		t.Errorf("single value: %+v", one)
	}
	if empty := summarize(nil); empty != (distribution{}) {
		t.Errorf("empty: %+v", empty)
	}
}

func TestReportAndGoodput(t *testing.T) {
	results := []benchResult{
		{ok: true, ttft: 100 * time.Millisecond, e2e: 1100 * time.Millisecond, outputTokens: 11, promptTokens: 5,
			itl: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}},
		{ok: true, ttft: 300 * time.Millisecond, e2e: 2300 * time.Millisecond, outputTokens: 11, promptTokens: 5},
		{ok: false, err: "boom"},
	}
	goal, err := parseSLO("ttft:200,tpot:150")
	if err != nil {
		t.Fatal(err)
	}
	rep := buildReport(results, 2*time.Second, goal)
	if rep.Completed != 2 || rep.Failed != 1 || rep.TotalOutputTokens != 22 || rep.TotalInputTokens != 10 {
		t.Fatalf("counts: %+v", rep)
	}
	if rep.TPOT.Mean != 150 || rep.TTFT.Mean != 200 || rep.ITL.Mean != 100 || rep.E2EL.Median != 1700 {
		t.Errorf("latencies: ttft %+v tpot %+v itl %+v e2el %+v", rep.TTFT, rep.TPOT, rep.ITL, rep.E2EL)
	}
	// Only the first request meets ttft <= 200 ms (its tpot is 100 ms).
	if rep.Goodput == nil || *rep.Goodput != 0.5 || rep.RequestThroughput != 1 || rep.OutputThroughput != 11 {
		t.Errorf("throughput %v goodput %v", rep.RequestThroughput, rep.Goodput)
	}
	var sb strings.Builder
	rep.writeTable(&sb)
	for _, want := range []string{"Successful requests:", "Request goodput (req/s):                 0.50", "Mean TPOT (ms):                          150.00", "P99 ITL (ms):", "error: boom"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, sb.String())
		}
	}
	if _, err := parseSLO("ttft=5"); err == nil {
		t.Error("bad SLO accepted")
	}
	if _, err := parseSLO("latency:5"); err == nil {
		t.Error("unknown SLO metric accepted")
	}
}
