package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/loadtest"
	"github.com/vllmgo/vllm/vllmtest"
)

// benchServer starts a fake vLLM serving model, generating up to 2000
// tokens, and returns it with its port.
func benchServer(t *testing.T, model string, opts ...vllmtest.Option) (*vllmtest.Server, string) {
	t.Helper()
	srv := vllmtest.NewServer(append([]vllmtest.Option{vllmtest.WithModel(model), vllmtest.WithTokens(2000), vllmtest.WithMaxModelLen(8192)}, opts...)...)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPENAI_API_KEY", "")
	return srv, port
}

// shareGPTFile writes a small ShareGPT file (the format of
// ShareGPT_V3_unfiltered_cleaned_split.json) under dir.
func shareGPTFile(t *testing.T, dir string) string {
	t.Helper()
	var entries []map[string]any
	for i := range 30 {
		entries = append(entries, map[string]any{"id": fmt.Sprint(i), "conversations": []map[string]string{
			{"from": "human", "value": fmt.Sprintf("Question %d: explain how a transformer model generates text, step by step, please.", i)},
			{"from": "gpt", "value": strings.Repeat("It predicts one token at a time from the tokens before it. ", 1+i%4)},
		}})
	}
	b, _ := json.Marshal(entries)
	p := filepath.Join(dir, "ShareGPT_V3_unfiltered_cleaned_split.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// vllmDocCommand splits a command line copied from vLLM's documentation
// (docs/benchmarking/cli.md), with its placeholders filled in and, since the
// fake server cannot listen on vLLM's port 8000 here, --port added.
func vllmDocCommand(line, port string, placeholders map[string]string) []string {
	for k, v := range placeholders {
		line = strings.ReplaceAll(line, k, v)
	}
	line = strings.ReplaceAll(line, "\\\n", " ")
	args := strings.Fields(line)[1:] // drop "vllm"
	hasPort := false
	for i, a := range args {
		args[i] = strings.Trim(a, `"`)
		if i > 0 && args[i-1] == "--port" {
			args[i], hasPort = port, true
		}
	}
	if !hasPort {
		args = append(args, "--port", port)
	}
	return args
}

func completionBodies(srv *vllmtest.Server) []map[string]any {
	var out []map[string]any
	for _, r := range srv.Requests() {
		if r.Completion != nil || r.Chat != nil {
			out = append(out, r.JSON)
		}
	}
	return out
}

func tableValue(t *testing.T, stdout, label string) string {
	t.Helper()
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, label); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in:\n%s", label, stdout)
	return ""
}

// TestBenchServeRunsVLLMDocCommandLines runs the command lines of vLLM's
// documentation for "vllm bench serve" that need no Python, unchanged but
// for the data paths and the port.
func TestBenchServeRunsVLLMDocCommandLines(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	shareGPTFile(t, dir)
	custom := filepath.Join(dir, "data.jsonl")
	os.WriteFile(custom, []byte(`{"prompt": "What is the capital of India?"}
{"prompt": "What is the capital of Iran?"}
{"prompt": "What is the capital of China?"}
`), 0o644)
	ph := map[string]string{"<your data path>": dir, "<path-to-your-data-jsonl>": custom}

	for _, tc := range []struct {
		name, model, line string
		requests          int
		check             func(t *testing.T, bodies []map[string]any, stdout string)
	}{
		{"online sharegpt", "NousResearch/Hermes-3-Llama-3.1-8B", `vllm bench serve \
  --backend vllm \
  --model NousResearch/Hermes-3-Llama-3.1-8B \
  --endpoint /v1/completions \
  --dataset-name sharegpt \
  --dataset-path <your data path>/ShareGPT_V3_unfiltered_cleaned_split.json \
  --num-prompts 10`, 10, func(t *testing.T, bodies []map[string]any, _ string) {
			if _, ok := bodies[0]["temperature"]; ok {
				t.Errorf("temperature sent without --temperature: %v", bodies[0])
			}
		}},
		{"sampling parameters", "NousResearch/Hermes-3-Llama-3.1-8B", `vllm bench serve \
  --backend vllm \
  --model NousResearch/Hermes-3-Llama-3.1-8B \
  --endpoint /v1/completions \
  --dataset-name sharegpt \
  --dataset-path <your data path>/ShareGPT_V3_unfiltered_cleaned_split.json \
  --top-k 10 \
  --top-p 0.9 \
  --temperature 0.5 \
  --num-prompts 10`, 10, func(t *testing.T, bodies []map[string]any, _ string) {
			for _, b := range bodies {
				if b["top_k"] != float64(10) || b["top_p"] != 0.9 || b["temperature"] != 0.5 {
					t.Fatalf("sampling not sent: %v", b)
				}
			}
		}},
		{"custom dataset", "meta-llama/Llama-3.1-8B-Instruct", `vllm bench serve --port 9001 --save-result --save-detailed \
  --backend vllm \
  --model meta-llama/Llama-3.1-8B-Instruct \
  --endpoint /v1/completions \
  --dataset-name custom \
  --dataset-path <path-to-your-data-jsonl> \
  --skip-chat-template \
  --num-prompts 80 \
  --max-concurrency 1 \
  --temperature=0.3 \
  --top-p=0.75 \
  --result-dir "./log/"`, 80, func(t *testing.T, bodies []map[string]any, stdout string) {
			if bodies[0]["max_tokens"] != float64(256) || bodies[0]["temperature"] != 0.3 || bodies[0]["top_p"] != 0.75 {
				t.Errorf("body %v", bodies[0])
			}
			if v := tableValue(t, stdout, "Peak concurrent requests:"); v != "1.00" {
				t.Errorf("peak concurrency %s under --max-concurrency 1", v)
			}
			files, _ := filepath.Glob("log/vllm-infqps-concurrency1-Llama-3.1-8B-Instruct-*.json")
			if len(files) != 1 {
				t.Fatalf("result files %v, want one named as vLLM names it", files)
			}
			r, err := loadtest.ReadResult(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(r.ITLs) != 80 || r.ModelID != "meta-llama/Llama-3.1-8B-Instruct" || r.MaxConcurrency != 1 {
				t.Errorf("result: %d itls, model %s, concurrency %d", len(r.ITLs), r.ModelID, r.MaxConcurrency)
			}
		}},
		{"prefix repetition", "meta-llama/Llama-2-7b-chat-hf", `vllm bench serve \
  --backend openai \
  --model meta-llama/Llama-2-7b-chat-hf \
  --dataset-name prefix_repetition \
  --num-prompts 100 \
  --prefix-repetition-prefix-len 512 \
  --prefix-repetition-suffix-len 128 \
  --prefix-repetition-num-prefixes 5 \
  --prefix-repetition-output-len 128`, 100, func(t *testing.T, bodies []map[string]any, stdout string) {
			prefixes := map[string]bool{}
			for _, b := range bodies {
				w := strings.Fields(b["prompt"].(string))
				if len(w) != 640 || b["max_tokens"] != float64(128) {
					t.Fatalf("%d words, max_tokens %v", len(w), b["max_tokens"])
				}
				prefixes[strings.Join(w[:512], " ")] = true
			}
			if len(prefixes) != 5 {
				t.Errorf("%d prefixes, want 5", len(prefixes))
			}
			if v := tableValue(t, stdout, "Total generated tokens:"); v != "12800" {
				t.Errorf("generated %s tokens, want 100 x 128", v)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, port := benchServer(t, tc.model)
			r := runCLI(t, "", nil, vllmDocCommand(tc.line, port, ph)...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
			}
			if v := tableValue(t, r.stdout, "Successful requests:"); v != fmt.Sprint(tc.requests) {
				t.Errorf("successful requests %s, want %d", v, tc.requests)
			}
			bodies := completionBodies(srv)
			if len(bodies) != tc.requests {
				t.Fatalf("server saw %d requests, want %d", len(bodies), tc.requests)
			}
			for _, b := range bodies {
				if b["model"] != tc.model || b["stream"] != true {
					t.Fatalf("body %v", b)
				}
			}
			tc.check(t, bodies, r.stdout)
		})
	}
}

// TestBenchServeRefusesPythonOnlyFlags checks that flags and datasets that
// need vLLM's Python side are refused, naming the reason, before anything
// is sent.
func TestBenchServeRefusesPythonOnlyFlags(t *testing.T) {
	srv, port := benchServer(t, "m")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "meta-llama/Meta-Llama-3-8B-Instruct", "--dataset-name", "hf", "--dataset-path", "likaixin/InstructCoder", "--num-prompts", "2048"}, "Hugging Face"},
		{[]string{"--tokenizer", "gpt2"}, "--tokenizer is not supported: it loads a Hugging Face tokenizer"},
		{[]string{"--plot-timeline", "--timeline-itl-thresholds", "2,5"}, "vllm bench report"},
		{[]string{"--trust-remote-code"}, "no tokenizer"},
		{[]string{"--dataset-name", "random-mm"}, "multimodal"},
		{[]string{"--backend", "openai-audio"}, "--backend openai-audio is not supported"},
		{[]string{"--dataset-name", "random", "--dataset-path", "x.json"}, "takes no --dataset-path"},
		{[]string{"--request-rate", "fast"}, "--request-rate"},
		{[]string{"--goodput", "ttfb:5"}, "ttft, tpot, e2el"},
		{[]string{"--ramp-up-strategy", "linear", "--ramp-up-start-rps", "1", "--ramp-up-end-rps", "5", "--request-rate", "3"}, "ramp-up"},
	} {
		r := runCLI(t, "", nil, append([]string{"bench", "serve", "--port", port}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if n := len(completionBodies(srv)); n != 0 {
		t.Errorf("%d requests sent by refused command lines", n)
	}
}

// vllmResultKeys is the order of the keys of a vLLM result file with
// --save-detailed, --metadata, --goodput and --max-concurrency (serve.py).
var vllmResultKeys = []string{
	"date", "endpoint_type", "backend", "label", "model_id", "tokenizer_id", "num_prompts",
	"tp", "version", "request_rate", "burstiness", "max_concurrency",
	"duration", "completed", "failed", "total_input_tokens", "total_output_tokens",
	"request_throughput", "request_goodput", "output_throughput", "total_token_throughput",
	"input_lens", "output_lens", "ttfts", "itls", "latencies", "start_times", "queue_times",
	"generated_texts", "errors", "max_output_tokens_per_s", "max_concurrent_requests", "rtfx",
	"mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p50_ttft_ms", "p99.9_ttft_ms",
	"mean_e2el_ms", "median_e2el_ms", "std_e2el_ms", "p50_e2el_ms", "p99.9_e2el_ms",
}

func jsonKeys(t *testing.T, b []byte) []string {
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

func TestBenchServeResultFileAndMultiValueFlags(t *testing.T) {
	srv, port := benchServer(t, "m")
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	r := runCLI(t, "", nil, "bench", "serve", "--port", port, "--model", "m", "--num-prompts", "12",
		"--random-input-len", "20", "--random-output-len", "5", "--request-rate", "500", "--max-concurrency", "4",
		"--goodput", "ttft:60000", "tpot:60000", "--metadata", "tp=1", "version=0.11", "--header", "x-a=1", "x-b=2",
		"--percentile-metrics", "ttft,e2el", "--metric-percentiles", "50,99.9", "--request-id-prefix", "run1-",
		"--save-result", "--save-detailed", "--result-filename", out, "--disable-tqdm")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if keys := jsonKeys(t, b); !reflect.DeepEqual(keys, vllmResultKeys) {
		t.Errorf("keys\n %q\nwant\n %q", keys, vllmResultKeys)
	}
	res, _ := loadtest.ReadResult(out)
	if res.RequestGoodput == nil || *res.RequestGoodput <= 0 || res.Completed != 12 || res.RequestRate != 500 {
		t.Errorf("result %+v", res)
	}
	for _, q := range srv.Requests() {
		if q.Completion == nil {
			continue
		}
		if q.Header.Get("X-A") != "1" || q.Header.Get("X-B") != "2" || !strings.HasPrefix(q.Header.Get("X-Request-Id"), "run1-") {
			t.Fatalf("headers %v", q.Header)
		}
		if q.JSON["ignore_eos"] != true || q.JSON["max_tokens"] != float64(5) {
			t.Fatalf("the random dataset asks for exactly its output length: %v", q.JSON)
		}
	}
	// The table's lines, in vLLM's order.
	var labels []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.HasPrefix(l, strings.TrimSpace(k)) && len(l) == 51 {
			labels = append(labels, k)
		}
	}
	want := []string{"Successful requests", "Failed requests", "Maximum request concurrency", "Request rate configured (RPS)",
		"Benchmark duration (s)", "Total input tokens", "Total generated tokens", "Request throughput (req/s)",
		"Request goodput (req/s)", "Output token throughput (tok/s)", "Peak output token throughput (tok/s)",
		"Peak concurrent requests", "Total token throughput (tok/s)", "Mean TTFT (ms)", "Median TTFT (ms)",
		"P50 TTFT (ms)", "P99.9 TTFT (ms)", "Mean E2EL (ms)", "Median E2EL (ms)", "P50 E2EL (ms)", "P99.9 E2EL (ms)"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("table lines\n %q\nwant\n %q", labels, want)
	}
	for _, l := range []string{"Traffic request rate: 500.0", "Burstiness factor: 1.0 (Poisson process)", "Maximum request concurrency: 4"} {
		if !strings.Contains(r.stdout, l+"\n") {
			t.Errorf("stdout lacks %q", l)
		}
	}
}

func TestBenchServeExitsNonZeroOnFailures(t *testing.T) {
	srv, port := benchServer(t, "m")
	args := []string{"bench", "serve", "--port", port, "--model", "m", "--num-prompts", "5", "--random-input-len", "4",
		"--random-output-len", "2", "--max-concurrency", "1", "--disable-tqdm"}
	srv.FailNext(3, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "no capacity"})
	r := runCLI(t, "", nil, args...)
	if r.code != exitFailure {
		t.Errorf("exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stdout, "Failed requests during benchmark run detected (capping to 10):\nError 0: 503 Service Unavailable: no capacity\n") {
		t.Errorf("first errors not printed before the table:\n%s", r.stdout)
	}
	if want := "vllm bench serve: 3 of 5 requests failed (--allowed-failures 0); first error: 503 Service Unavailable: no capacity\n"; r.stderr != want {
		t.Errorf("stderr %q\nwant   %q", r.stderr, want)
	}
	srv.FailNext(3, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503})
	if r := runCLI(t, "", nil, append(args, "--allowed-failures", "3")...); r.code != 0 {
		t.Errorf("3 failures allowed: exit %d (%s)", r.code, r.stderr)
	}
}

func TestBenchSweepReportCompare(t *testing.T) {
	_, port := benchServer(t, "org/m")
	dir := t.TempDir()
	r := runCLI(t, "", nil, "bench", "sweep", "--port", port, "--num-prompts", "20", "--random-input-len", "8",
		"--random-output-len", "4", "--request-rate", "400,200,inf", "--goodput", "ttft:60000", "--save-detailed",
		"--result-dir", dir, "--disable-tqdm")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Highest request_rate meeting the SLOs (90% of requests good): inf\n") {
		t.Errorf("sweep summary:\n%s", r.stdout)
	}
	sums, _ := filepath.Glob(filepath.Join(dir, "sweep-request_rate-m-*.json"))
	if len(sums) != 1 {
		t.Fatalf("summary files %v", sums)
	}
	sum, results, err := loadtest.ReadSweep(sums[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || sum.Points[1].Value != 200 || results[1].RequestRate != 200 || sum.Best != 2 {
		t.Errorf("summary %+v", sum)
	}
	for i, p := range sum.Points {
		if !strings.HasPrefix(p.File, "openai-") || !p.MeetsSLO || results[i].Completed != 20 {
			t.Errorf("point %d: %+v", i, p)
		}
	}

	html := filepath.Join(dir, "sweep.html")
	if r := runCLI(t, "", nil, "bench", "report", sums[0], "-o", html); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	page, _ := os.ReadFile(html)
	if n := strings.Count(string(page), "<figure"); n != 5 || !strings.Contains(string(page), `class="slo"`) {
		t.Errorf("sweep page: %d figures, want 5 (ttft, tpot, itl, two throughputs), with the SLO line", n)
	}
	one := filepath.Join(dir, sum.Points[0].File)
	if r := runCLI(t, "", nil, "bench", "report", one, "-o", html); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	page, _ = os.ReadFile(html)
	if n := strings.Count(string(page), "<figure"); n != 5 {
		t.Errorf("run page: %d figures, want 5", n)
	}

	r = runCLI(t, "", nil, "bench", "compare", one, filepath.Join(dir, sum.Points[2].File))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Metric") || !strings.Contains(r.stdout, "mean_ttft_ms") || !strings.Contains(r.stdout, "%") {
		t.Errorf("compare: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runCLI(t, "", nil, "bench", "sweep", "--port", port, "--request-rate", "1,2", "--max-concurrency", "1,2")
	if r.code != exitUsage || !strings.Contains(r.stderr, "sweep one of") {
		t.Errorf("two swept flags: exit %d, %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil, "bench", "sweep", "--port", port, "--model", "org/m", "--num-prompts", "4", "--random-input-len", "4",
		"--random-output-len", "2", "--max-concurrency", "1,2", "--result-dir", dir, "--disable-tqdm")
	if r.code != 0 || !strings.Contains(r.stdout, "No --goodput SLO given") {
		t.Errorf("concurrency sweep: exit %d: %s", r.code, r.stderr)
	}
}

func TestBenchNeedsASubcommand(t *testing.T) {
	r := runCLI(t, "", nil, "bench", "--num-prompts", "5")
	if r.code != exitUsage || !strings.Contains(r.stderr, "vllm bench serve") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
