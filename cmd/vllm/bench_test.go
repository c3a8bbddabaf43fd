package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// TestBenchMeasuresConfiguredLatencies runs the benchmark against a server
// told to wait ttft before the first token and itl between tokens, and
// checks that the measured figures agree. Tolerance: no figure may be below
// the configured value by more than 2 ms (timer granularity); above it, TTFT
// may be late by 150 ms, ITL and TPOT by 40 ms and E2EL by 250 ms, which
// absorbs scheduling delays on a loaded 2-core machine under -race while
// still telling the metrics apart (a TTFT measured at the end of the stream
// would be 250 ms late, an ITL that included the TTFT 150 ms).
func TestBenchMeasuresConfiguredLatencies(t *testing.T) {
	const ttft, itl = 200 * time.Millisecond, 50 * time.Millisecond
	srv := vllmtest.NewServer(vllmtest.WithTTFT(ttft), vllmtest.WithITL(itl))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "bench.json")
	runs := 0
	for _, endpoint := range []string{"completions", "chat"} {
		// A figure above its bound may be a scheduling hiccup of a loaded
		// machine: the run is repeated (up to 3 times) before it fails. A
		// metric computed wrongly is late in every run; figures below their
		// bound and wrong counts fail at once.
		for try := 1; ; try++ {
			runs++
			late := runBenchOnce(t, srv, endpoint, out, ttft, itl)
			if len(late) == 0 {
				break
			}
			if try == 3 {
				for _, l := range late {
					t.Error(l)
				}
				break
			}
			t.Logf("try %d: %s; running again", try, strings.Join(late, "; "))
		}
	}
	// Each run: 1 warm-up + 8 requests, besides the model lookups.
	n := 0
	for _, q := range srv.Requests() {
		if q.Chat != nil || q.Completion != nil {
			n++
		}
	}
	if n != 9*runs {
		t.Errorf("server saw %d requests, want %d", n, 9*runs)
	}
	req, _ := srv.LastRequest()
	if req.JSON["ignore_eos"] != true || req.JSON["max_tokens"] != float64(6) || req.JSON["stream"] != true {
		t.Errorf("bench request %s", req.Body)
	}
}

// runBenchOnce runs the benchmark once against srv and checks its report; it
// returns the figures above their bound (see
// TestBenchMeasuresConfiguredLatencies for the tolerances).
func runBenchOnce(t *testing.T, srv *vllmtest.Server, endpoint, out string, ttft, itl time.Duration) []string {
	t.Helper()
	r := runCLI(t, "", serverEnv(srv), "bench", "--endpoint", endpoint, "--num-prompts", "8", "--max-concurrency", "4",
		"--input-len", "20", "--output-len", "6", "--warmup", "1", "--output", out)
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s", endpoint, r.code, r.stderr)
	}
	for _, want := range []string{"Successful requests:                     8", "Mean TTFT (ms):", "P99 ITL (ms):", "Median E2EL (ms):", "Output token throughput (tok/s):"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s: table lacks %q:\n%s", endpoint, want, r.stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// Prompt tokens come from the server's usage: 20 words are 20
	// tokens, plus the chat template's for chat.
	if rep.Completed != 8 || rep.Failed != 0 || rep.TotalOutputTokens != 48 ||
		(endpoint == "completions" && rep.TotalInputTokens != 8*20) || rep.TotalInputTokens < 8*20 {
		t.Fatalf("%s: counts %+v", endpoint, rep)
	}
	var late []string
	within := func(name string, got float64, want time.Duration, above time.Duration) {
		lo := float64(want-2*time.Millisecond) / float64(time.Millisecond)
		hi := float64(want+above) / float64(time.Millisecond)
		msg := fmt.Sprintf("%s: %s = %.1f ms, want %v (within [%.0f, %.0f] ms)", endpoint, name, got, want, lo, hi)
		if got < lo {
			t.Error(msg)
		} else if got > hi {
			late = append(late, msg)
		}
	}
	within("mean TTFT", rep.TTFT.Mean, ttft, 150*time.Millisecond)
	within("median TTFT", rep.TTFT.Median, ttft, 150*time.Millisecond)
	within("median ITL", rep.ITL.Median, itl, 40*time.Millisecond)
	within("mean TPOT", rep.TPOT.Mean, itl, 40*time.Millisecond)
	// E2EL = TTFT + 5 gaps.
	within("median E2EL", rep.E2EL.Median, ttft+5*itl, 250*time.Millisecond)
	if rep.RequestThroughput <= 0 || rep.OutputThroughput <= 0 {
		t.Errorf("%s: throughput %+v", endpoint, rep)
	}
	return late
}

func TestBenchPoissonDatasetAndFailures(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds.jsonl")
	os.WriteFile(ds, []byte(`{"prompt":"one two three","output_len":3}`+"\n"+`{"prompt":"four five"}`+"\n"), 0o644)
	r := runCLI(t, "", serverEnv(srv), "bench", "--dataset", ds, "--num-prompts", "6", "--request-rate", "200",
		"--output-len", "4", "--goodput", "ttft:10000", "--warmup", "0")
	if r.code != 0 || !strings.Contains(r.stdout, "Request goodput (req/s):") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, q := range srv.Requests() {
		if q.Completion == nil {
			continue // GET /v1/models, to find the model
		}
		if p := q.Completion.Prompt; string(p) != `"one two three"` && string(p) != `"four five"` {
			t.Fatalf("prompt %s", p)
		}
	}
	os.WriteFile(ds, []byte("not json\n"), 0o644)
	if r := runCLI(t, "", serverEnv(srv), "bench", "--dataset", ds); r.code != exitUsage || !strings.Contains(r.stderr, "line 1") {
		t.Fatalf("bad dataset: exit %d %q", r.code, r.stderr)
	}
	srv.FailNext(100, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 500})
	if r := runCLI(t, "", serverEnv(srv), "bench", "--model", "m", "--num-prompts", "3", "--warmup", "0"); r.code != exitFailure || !strings.Contains(r.stdout, "Failed requests:                         3") {
		t.Fatalf("all failing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
