package loadtest

import (
	"math"
	"os"
	"strings"
	"testing"
)

func writeTo(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCompare(t *testing.T) {
	a, b := sampleResult(), sampleResult()
	b.RequestThroughput = 0.75
	b.Stats[0].Percentiles[0].Value = 1.5
	b.Stats = b.Stats[:2] // no itl in b
	diffs := Compare(a, b)
	byKey := map[string]Difference{}
	for _, d := range diffs {
		byKey[d.Key] = d
	}
	if d := byKey["request_throughput"]; d.A != 0.5 || d.B != 0.75 || d.Change() != 50 {
		t.Errorf("request_throughput %+v change %v", d, d.Change())
	}
	if d := byKey["p99_ttft_ms"]; d.Change() != -50 {
		t.Errorf("p99_ttft_ms change %v", d.Change())
	}
	if _, ok := byKey["mean_itl_ms"]; ok {
		t.Errorf("a metric only one side holds is compared")
	}
	if _, ok := byKey["request_goodput"]; !ok {
		t.Errorf("goodput missing")
	}
	if c := (Difference{A: 0, B: 1}).Change(); !math.IsNaN(c) {
		t.Errorf("change from 0: %v", c)
	}
	var out strings.Builder
	if err := WriteComparison(&out, "a.json", "b.json", a, b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0], "Metric") || !strings.Contains(lines[0], "a.json") || !strings.Contains(lines[0], "b.json") {
		t.Errorf("header %q", lines[0])
	}
	if !strings.Contains(out.String(), "request_throughput") || !strings.Contains(out.String(), "+50.00%") || !strings.Contains(out.String(), "-50.00%") {
		t.Errorf("table:\n%s", out.String())
	}
}
