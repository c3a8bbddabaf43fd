package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/metrics"
)

// serve starts a server answering every request with body of content type
// ct, and returns a client of it and the last request's method and path.
func serve(t *testing.T, ct, body string) (*vllm.Client, *string) {
	t.Helper()
	got := new(string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = r.Method + " " + r.URL.Path
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := vllm.New(srv.URL + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, got
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMetricsScrape(t *testing.T) {
	text, err := os.ReadFile("testdata/vllm-v1-2engines.prom")
	if err != nil {
		t.Fatal(err)
	}
	c, got := serve(t, "text/plain; version=0.0.4; charset=utf-8", string(text))
	m, err := metrics.Scrape(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if *got != "GET /metrics" {
		t.Fatalf("sent %s", *got)
	}
	if m.RequestsRunning != 5 || m.RequestsWaiting != 1 || !near(m.KVCacheUsage, 0.5) || m.PromptTokens != 2000 ||
		m.GenerationTokens != 4000 || m.Preemptions != 4 || m.PrefixCacheQueries != 2000 || m.PrefixCacheHits != 500 ||
		!near(m.PrefixCacheHitRate(), 0.25) {
		t.Fatalf("figures: %+v", m)
	}
	if !reflect.DeepEqual(m.RequestsFinished, map[string]float64{"stop": 15, "length": 2, "abort": 0}) {
		t.Fatalf("finished: %v", m.RequestsFinished)
	}
	ttft := m.TimeToFirstToken
	want := []metrics.Bucket{{0.1, 2}, {0.5, 8}, {1, 10}, {math.Inf(1), 12}}
	if ttft == nil || !reflect.DeepEqual(ttft.Buckets, want) || ttft.Count != 12 || ttft.Sum != 6 || ttft.Mean() != 0.5 {
		t.Fatalf("ttft: %+v", ttft)
	}
	// Median: rank 6 falls in (0.1, 0.5] holding counts 2..8.
	if q := ttft.Quantile(0.5); !near(q, 0.1+0.4*4/6) {
		t.Fatalf("p50 = %v", q)
	}
	// p99 falls in the +Inf bucket: the highest finite bound.
	if q := ttft.Quantile(0.99); q != 1 {
		t.Fatalf("p99 = %v", q)
	}
	if m.E2ELatency == nil || m.E2ELatency.Mean() != 3 || m.InterTokenLatency == nil || m.InterTokenLatency.Count != 100 || m.QueueTime != nil {
		t.Fatalf("e2e %+v itl %+v queue %+v", m.E2ELatency, m.InterTokenLatency, m.QueueTime)
	}
	if f := m.Families["python_gc_objects_collected_total"]; f == nil || f.Type != "counter" || f.Samples[0].Labels["generation"] != "0" {
		t.Fatalf("gc family: %+v", f)
	}
	if f := m.Families["vllm:kv_cache_usage_perc"]; f.Help != "KV-cache usage. 1 means 100 percent usage." {
		t.Fatalf("help %q", f.Help)
	}
}

// TestMetricsOlderNames reads the metric names of older vLLM servers
// (gpu_cache_usage_perc, time_per_output_token_seconds) and the OpenMetrics
// style of declaring counters without _total.
func TestMetricsOlderNames(t *testing.T) {
	text := `# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="m"} 0.4
# TYPE vllm:prompt_tokens counter
vllm:prompt_tokens_total{model_name="m"} 7 1745000000000
# TYPE vllm:time_per_output_token_seconds histogram
vllm:time_per_output_token_seconds_bucket{le="0.05",model_name="m"} 3
vllm:time_per_output_token_seconds_bucket{le="+Inf",model_name="m"} 4
vllm:time_per_output_token_seconds_sum{model_name="m"} 0.2
vllm:time_per_output_token_seconds_count{model_name="m"} 4
`
	c, _ := serve(t, "text/plain", text)
	m, err := metrics.Scrape(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if m.KVCacheUsage != 0.4 || m.PromptTokens != 7 || m.InterTokenLatency == nil || m.InterTokenLatency.Count != 4 {
		t.Fatalf("%+v", m)
	}
	if ts := m.Families["vllm:prompt_tokens"].Samples[0].Timestamp; ts != 1745000000000 {
		t.Fatalf("timestamp %d", ts)
	}
}

func TestParseMetricsLabelsAndSpecials(t *testing.T) {
	fams, err := metrics.Parse([]byte("# a free comment\nx{path=\"/a\\\"b\\\\c\\nd\",empty=\"\",} NaN\ny -Inf\r\nz +Inf\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := fams["x"].Samples[0].Labels; l["path"] != "/a\"b\\c\nd" || l["empty"] != "" || !math.IsNaN(fams["x"].Samples[0].Value) {
		t.Fatalf("x: %+v", fams["x"].Samples)
	}
	if !math.IsInf(fams["y"].Samples[0].Value, -1) || !math.IsInf(fams["z"].Samples[0].Value, 1) || fams["y"].Type != "untyped" {
		t.Fatalf("y z: %+v %+v", fams["y"], fams["z"])
	}
}

func TestParseMetricsErrors(t *testing.T) {
	for _, bad := range []string{
		"x{a=\"1\" 2\n",
		"x{a=1} 2\n",
		"x\n",
		"x 1 2 3\n",
		"x one\n",
		"x 1 soon\n",
		"{a=\"b\"} 1\n",
		"ok 1\n9bad 1\n",
	} {
		_, err := metrics.Parse([]byte(bad))
		var pe *metrics.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, vllm.ErrInvalidResponse) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	_, err := metrics.Parse([]byte("ok 1\n9bad 1\n"))
	if pe := (*metrics.ParseError)(nil); !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("line: %v", err)
	}
}

func TestHistogramQuantileEdges(t *testing.T) {
	var h *metrics.Histogram
	if !math.IsNaN(h.Quantile(0.5)) || h.Mean() != 0 {
		t.Fatal("nil histogram")
	}
	h = &metrics.Histogram{Buckets: []metrics.Bucket{{1, 0}, {math.Inf(1), 0}}}
	if !math.IsNaN(h.Quantile(0.5)) {
		t.Fatal("empty histogram has a quantile")
	}
	h = &metrics.Histogram{Buckets: []metrics.Bucket{{1, 4}, {2, 4}, {math.Inf(1), 4}}}
	if q := h.Quantile(1); q != 1 {
		t.Fatalf("q1 = %v", q)
	}
	if q := h.Quantile(0.5); q != 0.5 {
		t.Fatalf("q.5 = %v", q)
	}
	if !math.IsNaN(h.Quantile(2)) {
		t.Fatal("q > 1 accepted")
	}
}

// Other vLLM-compatible servers label finished requests finish_reason
// instead of vLLM's finished_reason; both are read.
func TestMetricsFinishReasonLabel(t *testing.T) {
	const text = `# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{finish_reason="stop",model_name="m"} 7
vllm:request_success_total{finish_reason="length",model_name="m"} 2
vllm:request_success_total{finished_reason="stop",model_name="m"} 1
`
	c, _ := serve(t, "text/plain; version=0.0.4", text)
	m, err := metrics.Scrape(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.RequestsFinished, map[string]float64{"stop": 8, "length": 2}) {
		t.Fatalf("finished: %v", m.RequestsFinished)
	}
}

// Scrape /metrics for the figures an operator watches.
func ExampleScrape() {
	text, _ := os.ReadFile("testdata/vllm-v1-2engines.prom")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(text)
	}))
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	m, err := metrics.Scrape(context.Background(), c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("running %v, waiting %v, KV cache %.0f%%\n", m.RequestsRunning, m.RequestsWaiting, 100*m.KVCacheUsage)
	fmt.Printf("tokens: %v prompt, %v generated\n", m.PromptTokens, m.GenerationTokens)
	fmt.Printf("TTFT mean %.2fs, p50 %.2fs; e2e mean %.1fs\n", m.TimeToFirstToken.Mean(), m.TimeToFirstToken.Quantile(0.5), m.E2ELatency.Mean())
	// Output:
	// running 5, waiting 1, KV cache 50%
	// tokens: 2000 prompt, 4000 generated
	// TTFT mean 0.50s, p50 0.37s; e2e mean 3.0s
}
