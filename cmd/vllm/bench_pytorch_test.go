package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// pytorchRecord is one record of the PyTorch OSS benchmark format as vLLM
// writes it.
type pytorchRecord struct {
	Benchmark struct {
		Name      string `json:"name"`
		ExtraInfo struct {
			Args map[string]any `json:"args"`
		} `json:"extra_info"`
	} `json:"benchmark"`
	Model struct {
		Name *string `json:"name"`
	} `json:"model"`
	Metric struct {
		Name            string         `json:"name"`
		BenchmarkValues []float64      `json:"benchmark_values"`
		ExtraInfo       map[string]any `json:"extra_info"`
	} `json:"metric"`
}

func TestBenchServePyTorchRecords(t *testing.T) {
	_, port := benchServer(t, "m")
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	args := []string{"bench", "serve", "--port", port, "--model", "m", "--num-prompts", "6",
		"--random-input-len", "20", "--random-output-len", "5", "--api-key", "sk-secret-1",
		"--header", "Authorization=Bearer tok-secret-2", "x-team=a", "--save-result", "--save-detailed",
		"--result-filename", out, "--disable-tqdm"}

	// Without the variable: the result file only.
	if r := runCLI(t, "", nil, args...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.pytorch.json")); !os.IsNotExist(err) {
		t.Fatalf("records written without %s: %v", envPyTorchFormat, err)
	}

	if r := runCLI(t, "", map[string]string{envPyTorchFormat: "1"}, args...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "run.pytorch.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"sk-secret-1", "tok-secret-2"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the records hold a credential (%s): %s", secret, raw)
		}
	}
	var result map[string]any
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &result); err != nil {
		t.Fatal(err)
	}
	var recs []pytorchRecord
	if err := json.Unmarshal(raw, &recs); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	// Default percentiles (ttft, tpot, itl at 99): the twelve metrics, in
	// vLLM's order, each with the result's value.
	var names []string
	for _, r := range recs {
		names = append(names, r.Metric.Name)
		if r.Benchmark.Name != "vLLM benchmark" || r.Model.Name == nil || *r.Model.Name != "m" {
			t.Errorf("record %s: benchmark %q, model %v", r.Metric.Name, r.Benchmark.Name, r.Model.Name)
		}
		if want, ok := result[r.Metric.Name].(float64); !ok || !reflect.DeepEqual(r.Metric.BenchmarkValues, []float64{want}) {
			t.Errorf("%s: values %v, result %v", r.Metric.Name, r.Metric.BenchmarkValues, result[r.Metric.Name])
		}
		for k := range r.Metric.ExtraInfo {
			if slices.Contains(pytorchMetrics, k) || slices.Contains(pytorchLeftOut, k) {
				t.Errorf("%s: extra_info holds %s", r.Metric.Name, k)
			}
		}
		for _, k := range []string{"date", "backend", "model_id", "completed", "duration", "p99_e2el_ms"} {
			if _, ok := result[k]; ok && !reflect.DeepEqual(r.Metric.ExtraInfo[k], result[k]) {
				t.Errorf("%s: extra_info[%s] = %v, result %v", r.Metric.Name, k, r.Metric.ExtraInfo[k], result[k])
			}
		}
		a := r.Benchmark.ExtraInfo.Args
		if _, ok := a["api_key"]; ok {
			t.Errorf("args hold api_key")
		}
		if a["num_prompts"] != float64(6) || a["request_rate"] != "inf" || a["save_result"] != true ||
			a["model"] != "m" || a["label"] != nil || a["burstiness"] != float64(1) ||
			!reflect.DeepEqual(a["header"], []any{"Authorization=<redacted>", "x-team=<redacted>"}) {
			t.Errorf("args %v", a)
		}
	}
	if !reflect.DeepEqual(names, pytorchMetrics) {
		t.Errorf("records %q, want %q", names, pytorchMetrics)
	}
}

func TestPyTorchName(t *testing.T) {
	for in, want := range map[string]string{
		"run.json":          "run.pytorch.json",
		"dir/a-1.5qps.json": "dir/a-1.5qps.pytorch.json",
		"noext":             "noext.pytorch.json",
	} {
		if got := pytorchName(in); got != want {
			t.Errorf("pytorchName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A --base-url's password stays out of the records' args; the rest of the
// URL is kept.
func TestPyTorchArgsHideBaseURLPassword(t *testing.T) {
	var s serveFlags
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	s.register(f, false)
	if err := f.Parse([]string{"--base-url", "http://u:pw-secret-3@gpu-1:8000", "--base-url", "http://gpu-2:8000"}); err != nil {
		t.Fatal(err)
	}
	var args map[string]any
	if err := json.Unmarshal(flagArgs(f), &args); err != nil {
		t.Fatal(err)
	}
	want := []any{"http://u:xxxxx@gpu-1:8000", "http://gpu-2:8000"}
	if !reflect.DeepEqual(args["base_url"], want) {
		t.Fatalf("base_url %v, want %v", args["base_url"], want)
	}
}
