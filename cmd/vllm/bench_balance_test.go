package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/loadtest"
	"github.com/vllmgo/vllm/vllmtest"
)

// balanceReplicas starts n fake vLLM replicas simulating the prefix cache
// and reporting cached tokens in usage, and returns them with their roots.
func balanceReplicas(t *testing.T, n int) ([]*vllmtest.Server, []string) {
	t.Helper()
	var srvs []*vllmtest.Server
	var roots []string
	for range n {
		srv, _ := benchServer(t, "m", vllmtest.WithPrefixCaching(512, 16), vllmtest.WithPromptTokensDetails())
		srvs = append(srvs, srv)
		roots = append(roots, srv.RootURL())
	}
	return srvs, roots
}

// chatRequests counts the chat requests a server received.
func chatRequests(srv *vllmtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == "/v1/chat/completions" {
			n++
		}
	}
	return n
}

// bench serve over three replicas, once per --balance, on fresh replicas
// and the same seeded prefix-conversations workload: every replica serves,
// the per-replica counts in the result are the servers' own, the hit rate
// from usage is the one the servers' /metrics give, and prefix-affinity
// finds more of the prompts cached than round-robin and least-outstanding.
func TestBenchServeBalancesOverReplicas(t *testing.T) {
	dir := t.TempDir()
	rates := map[string]float64{}
	for _, balance := range []string{"round-robin", "least-outstanding", "prefix-affinity"} {
		srvs, roots := balanceReplicas(t, 3)
		file := balance + ".json"
		r := runCLI(t, "", nil, "bench", "serve", "--backend", "openai-chat", "--model", "m",
			"--base-url", roots[0]+","+roots[1], "--base-url", roots[2], "--balance", balance,
			"--dataset-name", "prefix-conversations", "--conversations-num", "12", "--conversations-turns", "4",
			"--conversations-system-len", "100", "--conversations-document-len", "200", "--conversations-question-len", "30",
			"--conversations-output-len", "8", "--conversations-max-pause", "0s", "--max-concurrency", "4", "--seed", "3",
			"--disable-tqdm", "--save-result", "--result-dir", dir, "--result-filename", file)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", balance, r.code, r.stdout, r.stderr)
		}
		res, err := loadtest.ReadResult(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		g := res.Routing
		if res.Completed != 48 || res.Failed != 0 || res.NumPrompts != 48 || g == nil || g.Balance != balance || len(g.Replicas) != 3 {
			t.Fatalf("%s: completed %d failed %d num_prompts %d routing %+v", balance, res.Completed, res.Failed, res.NumPrompts, g)
		}
		var counts []string
		for i, rep := range g.Replicas {
			if rep.URL != roots[i] || rep.Requests != chatRequests(srvs[i]) || rep.Requests == 0 {
				t.Fatalf("%s: replica %d %+v; the server saw %d chat requests", balance, i, rep, chatRequests(srvs[i]))
			}
			counts = append(counts, fmt.Sprint(rep.Requests))
		}
		if m, ok := g.MetricsHitRate(); !ok || m != g.HitRate() || g.CachedTokens+g.UncachedTokens != res.TotalInputTokens {
			t.Fatalf("%s: hit rate from /metrics %v (%v), from usage %v; cached %d + uncached %d, input %d",
				balance, m, ok, g.HitRate(), g.CachedTokens, g.UncachedTokens, res.TotalInputTokens)
		}
		for _, line := range []string{
			fmt.Sprintf("%-40s %-10s\n", "Balance:", balance),
			fmt.Sprintf("%-40s %-10s\n", "Requests per replica:", strings.Join(counts, " ")),
			fmt.Sprintf("%-40s %-10s\n", "Prefix cache hit rate (usage, %):", fmt.Sprintf("%.2f", 100*g.HitRate())),
		} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("%s: the table lacks %q:\n%s", balance, line, r.stdout)
			}
		}
		rates[balance] = g.HitRate()
	}
	t.Logf("hit rates %v", rates)
	if rates["prefix-affinity"] <= rates["round-robin"] || rates["prefix-affinity"] <= rates["least-outstanding"] {
		t.Fatalf("hit rates %v: prefix-affinity is not above the others", rates)
	}
}

// bench sweep over two replicas: every point is routed by the balancer,
// reports both replicas, and the requests the replicas saw over the whole
// sweep are the points' counts added up.
func TestBenchSweepOverReplicas(t *testing.T) {
	srvs, roots := balanceReplicas(t, 2)
	dir := t.TempDir()
	r := runCLI(t, "", nil, "bench", "sweep", "--backend", "openai-chat", "--model", "m",
		"--base-url", roots[0], "--base-url", roots[1], "--balance", "round-robin",
		"--dataset-name", "prefix-conversations", "--conversations-num", "4", "--conversations-turns", "2",
		"--conversations-system-len", "50", "--conversations-document-len", "50", "--conversations-question-len", "10",
		"--conversations-output-len", "4", "--conversations-max-pause", "0s", "--seed", "5",
		"--max-concurrency", "1,2", "--disable-tqdm", "--result-dir", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sums, _ := filepath.Glob(filepath.Join(dir, "sweep-max_concurrency-*.json"))
	if len(sums) != 1 {
		t.Fatalf("summary files %v", sums)
	}
	_, results, err := loadtest.ReadSweep(sums[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d points, want 2", len(results))
	}
	total := [2]int{}
	for i, res := range results {
		g := res.Routing
		if res.Completed != 8 || res.Failed != 0 || g == nil || g.Balance != "round-robin" || len(g.Replicas) != 2 {
			t.Fatalf("point %d: completed %d failed %d routing %+v", i, res.Completed, res.Failed, g)
		}
		for j, rep := range g.Replicas {
			if rep.URL != roots[j] || rep.Requests != 4 {
				t.Fatalf("point %d: replica %d %+v, want 4 requests (round robin over 8)", i, j, rep)
			}
			total[j] += rep.Requests
		}
	}
	for j, srv := range srvs {
		if n := chatRequests(srv); n != total[j] {
			t.Fatalf("replica %d saw %d chat requests, the points report %d", j, n, total[j])
		}
	}
}

// One --base-url runs as before: no routing lines, no routing keys.
func TestBenchServeOneBaseURLHasNoRouting(t *testing.T) {
	srv, _ := benchServer(t, "m")
	dir := t.TempDir()
	r := runCLI(t, "", nil, "bench", "serve", "--base-url", srv.RootURL(), "--model", "m", "--num-prompts", "3",
		"--random-input-len", "8", "--random-output-len", "4", "--disable-tqdm", "--save-result", "--result-dir", dir, "--result-filename", "one.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "Routing") || strings.Contains(r.stdout, "replica") {
		t.Fatalf("routing lines for one server:\n%s", r.stdout)
	}
	res, err := loadtest.ReadResult(filepath.Join(dir, "one.json"))
	if err != nil || res.Routing != nil {
		t.Fatalf("%v, routing %+v", err, res.Routing)
	}
}

func TestBenchServeBalanceUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--base-url", "http://a:1", "--balance", "prefix-affinity"}, "give several --base-url"},
		{[]string{"--base-url", "http://a:1,http://b:1", "--balance", "fastest"}, `--balance "fastest"`},
		{[]string{"--dataset-name", "prefix-conversations"}, "needs --backend openai-chat"},
		{[]string{"--dataset-name", "prefix-conversations", "--backend", "openai-chat", "--num-prompts", "5"}, "instead of --num-prompts"},
	} {
		r := runCLI(t, "", nil, append([]string{"bench", "serve", "--model", "m"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
