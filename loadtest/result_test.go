package loadtest

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// vllmKeys is the order of the keys of a result file of vLLM's serve.py
// with --save-detailed, --metadata, --goodput and a concurrency limit.
var vllmKeys = []string{
	"date", "endpoint_type", "backend", "label", "model_id", "tokenizer_id", "num_prompts",
	"version", "request_rate", "burstiness", "max_concurrency",
	"duration", "completed", "failed", "total_input_tokens", "total_output_tokens",
	"request_throughput", "request_goodput", "output_throughput", "total_token_throughput",
	"input_lens", "output_lens", "ttfts", "itls", "latencies", "start_times", "queue_times",
	"generated_texts", "errors", "max_output_tokens_per_s", "max_concurrent_requests", "rtfx",
	"mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p99_ttft_ms",
	"mean_tpot_ms", "median_tpot_ms", "std_tpot_ms", "p99_tpot_ms",
	"mean_itl_ms", "median_itl_ms", "std_itl_ms", "p99_itl_ms",
}

func keysOf(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func sampleResult() *Result {
	g := 0.5
	r := &Result{
		Date: "20261202-103000", Backend: "vllm", ModelID: "m", NumPrompts: 2,
		Metadata: []KeyValue{{"version", "0.3.3"}}, RequestRate: 4, Burstiness: 1, MaxConcurrency: 8,
		Duration: 2, Completed: 1, Failed: 1, TotalInputTokens: 10, TotalOutputTokens: 3,
		RequestThroughput: 0.5, RequestGoodput: &g, OutputThroughput: 1.5, TotalTokenThroughput: 6.5,
		InputLens: []int{10, 12}, OutputLens: []int{3, 0}, TTFTs: []float64{0.1, 0},
		ITLs: [][]float64{{0.01, 0.02}, {}}, Latencies: []float64{0.13, 0}, StartTimes: []float64{0, 0.5},
		QueueTimes: []float64{0, 0}, GeneratedTexts: []string{"a <b> & c", ""}, Errors: []string{"", "503 Service Unavailable: x"},
		MaxOutputTokensPerS: 3, MaxConcurrentRequests: 1,
	}
	for _, m := range []string{MetricTTFT, MetricTPOT, MetricITL} {
		r.Stats = append(r.Stats, MetricStats{Metric: m, Mean: 1, Median: 2, Std: 0.5, Percentiles: []Percentile{{99, 3}}})
	}
	return r
}

func TestResultJSONHasVLLMKeysInOrder(t *testing.T) {
	b, err := sampleResult().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, b); !reflect.DeepEqual(got, vllmKeys) {
		t.Errorf("keys\n %q\nwant\n %q", got, vllmKeys)
	}
	for _, want := range []string{`"label": null`, `"tokenizer_id": null`, `"request_rate": 4.0`, `"max_concurrency": 8`,
		`"itls": [[0.01, 0.02], []]`, `"generated_texts": ["a <b> & c", ""]`, `"p99_ttft_ms": 3.0`, `"rtfx": 0.0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	r := sampleResult()
	r.DropDetails()
	r.RequestRate, r.MaxConcurrency, r.RequestGoodput = math.Inf(1), 0, nil
	b, _ = r.MarshalJSON()
	for _, want := range []string{`"request_rate": "inf"`, `"max_concurrency": null`, `"request_goodput": null`, `"latencies": [`, `"queue_times": [`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	for _, gone := range []string{"ttfts", "itls", "input_lens", "output_lens", "start_times", "generated_texts", "errors"} {
		if strings.Contains(string(b), `"`+gone+`"`) {
			t.Errorf("without details, %s must be left out as vLLM does", gone)
		}
	}
}

func TestResultRoundTrip(t *testing.T) {
	want := sampleResult()
	b, _ := json.Marshal(want)
	var got Result
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, *want)
	}
}

// TestReadVLLMFile reads a file as vLLM's json.dump writes it (Python
// floats, an extra metric, a ramp-up, NaN-free).
func TestReadVLLMFile(t *testing.T) {
	file := `{"date": "20250101-000000", "endpoint_type": "openai-chat", "backend": "openai-chat", "label": null, "model_id": "Qwen/Qwen3-8B", "tokenizer_id": "Qwen/Qwen3-8B", "num_prompts": 1000, "tp": "1", "request_rate": "inf", "burstiness": 1.0, "max_concurrency": null, "ramp_up_strategy": "linear", "ramp_up_start_rps": 1, "ramp_up_end_rps": 20, "duration": 41.5, "completed": 998, "failed": 2, "total_input_tokens": 1024000, "total_output_tokens": 128000, "request_throughput": 24.05, "request_goodput": null, "output_throughput": 3084.3, "total_token_throughput": 27759.0, "latencies": [1.5, 2.5], "queue_times": [0.0, 0.0], "max_output_tokens_per_s": 4100.0, "max_concurrent_requests": 512, "rtfx": 0.0, "rps_change_events": [{"rps": 1, "timestamp": "2025-01-01T00:00:00.000001"}], "mean_ttft_ms": 812.5, "median_ttft_ms": 700.25, "std_ttft_ms": 100.0, "p99_ttft_ms": 1900.0, "p99.9_ttft_ms": 2000.5, "mean_e2el_ms": 2000.0, "median_e2el_ms": 1900.0, "std_e2el_ms": 3.0, "p99_e2el_ms": 4000.0}`
	var r Result
	if err := json.Unmarshal([]byte(file), &r); err != nil {
		t.Fatal(err)
	}
	if r.Backend != "openai-chat" || r.ModelID != "Qwen/Qwen3-8B" || !math.IsInf(r.RequestRate, 1) || r.MaxConcurrency != 0 ||
		r.RampUpStrategy != "linear" || r.RampUpEndRPS != 20 || r.Completed != 998 || r.MaxConcurrentRequests != 512 || r.RequestGoodput != nil {
		t.Errorf("decoded %+v", r)
	}
	if !reflect.DeepEqual(r.Metadata, []KeyValue{{"tp", "1"}}) || len(r.RPSChanges) != 1 {
		t.Errorf("metadata %v, rps changes %v", r.Metadata, r.RPSChanges)
	}
	ttft := r.Stat(MetricTTFT)
	if ttft == nil || ttft.Mean != 812.5 || len(ttft.Percentiles) != 2 || ttft.Percentiles[1] != (Percentile{99.9, 2000.5}) {
		t.Errorf("ttft %+v", ttft)
	}
	if len(r.Stats) != 2 || r.Stats[1].Metric != MetricE2EL {
		t.Errorf("stats %+v", r.Stats)
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{0: "0.0", 5: "5.0", 0.1: "0.1", 1e-5: "1e-05", 0.0001: "0.0001", 1e16: "1e+16", 123456.789: "123456.789", -2.5: "-2.5"} {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
