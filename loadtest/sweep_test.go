package loadtest

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func point(rate float64, conc int, throughput float64, completed, good int) *Result {
	r := &Result{RequestRate: rate, MaxConcurrency: conc, RequestThroughput: throughput, Completed: completed, Duration: 10}
	g := float64(good) / 10
	r.RequestGoodput = &g
	return r
}

func TestSummarizeBestAndKnee(t *testing.T) {
	results := []*Result{
		point(1, 0, 1, 100, 100),
		point(2, 0, 2, 100, 98),
		point(4, 0, 3.9, 100, 91),
		point(8, 0, 4.5, 100, 40), // throughput stopped following the rate: 4 -> 8 gained 15%
		point(math.Inf(1), 0, 4.6, 100, 5),
	}
	s := Summarize(SweepRequestRate, results, []string{"a", "b", "c", "d", "e"}, SLO{TTFT: 500 * time.Millisecond}, 0)
	if s.Best != 2 || s.Points[s.Best].Value != 4 {
		t.Errorf("best %d, want the rate 4 (91%% good >= 90%%)", s.Best)
	}
	if s.Knee != 2 {
		t.Errorf("knee %d, want 2 (rate 4)", s.Knee)
	}
	if a := *s.Points[3].Attainment; a != 0.4 || s.Points[3].MeetsSLO {
		t.Errorf("attainment %v", a)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `{"value":"inf","file":"e"`) || !strings.Contains(string(b), `"slo":{"ttft":500}`) {
		t.Errorf("summary JSON %s", b)
	}
	var back SweepSummary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(back.Points[4].Value, 1) || back.Points[1].Value != 2 || back.Best != 2 {
		t.Errorf("decoded %+v", back)
	}
	none := Summarize(SweepMaxConcurrency, []*Result{point(0, 1, 1, 10, 0)}, nil, SLO{}, 0)
	if none.Best != -1 || none.Knee != -1 || none.Points[0].Value != 1 || none.Points[0].Attainment != nil {
		t.Errorf("no SLO, one point: %+v", none)
	}
}

func TestSweepRunsEachPoint(t *testing.T) {
	tr := &sseTransport{tokens: 2}
	cfg := Config{BaseURL: "http://sim", Model: "m", Requests: sampleRandom(t, 3, 4, 2), HTTPClient: &http.Client{Transport: tr}}
	var seen []int
	results, err := Sweep(context.Background(), cfg, SweepMaxConcurrency, []float64{1, 2, 3}, func(r *Result) error {
		seen = append(seen, r.MaxConcurrency)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || len(seen) != 3 || seen[2] != 3 || results[0].Completed != 3 {
		t.Errorf("results %d, seen %v", len(results), seen)
	}
	if _, err := Sweep(context.Background(), cfg, SweepMaxConcurrency, []float64{1.5}, nil); err == nil {
		t.Errorf("a fractional concurrency accepted")
	}
	// A summary and its files read back.
	dir := t.TempDir()
	var files []string
	for i, r := range results {
		f := "point" + string(rune('0'+i)) + ".json"
		if err := r.WriteFile(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	b, _ := json.Marshal(Summarize(SweepMaxConcurrency, results, files, SLO{}, 0))
	sum := filepath.Join(dir, "summary.json")
	writeTo(t, sum, b)
	s, back, err := ReadSweep(sum)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || s.Parameter != SweepMaxConcurrency || back[1].MaxConcurrency != 2 {
		t.Errorf("read back %+v", s)
	}
}
