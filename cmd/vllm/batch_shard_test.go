package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeInput writes a batch input of n requests r000…, returning its path.
func writeInput(t *testing.T, dir string, n int) string {
	t.Helper()
	var sb strings.Builder
	for i := range n {
		sb.WriteString(batchLine(fmt.Sprintf("r%03d", i), fmt.Sprintf("prompt %d", i)) + "\n")
	}
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

// everyLineFrom checks that each stderr line of a batch run carries the
// command's prefix.
func everyLineFrom(t *testing.T, stderr, prefix string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("stderr line without %q: %q", prefix, l)
		}
	}
}

// TestBatchShardsAndMerge runs an input as three shards (the last taking
// its index from JOB_COMPLETION_INDEX, as in an Indexed Job), checks that
// they split it without overlap, that a rerun of a shard resumes, and that
// merge joins them in input order and refuses an incomplete or
// overlapping set.
func TestBatchShardsAndMerge(t *testing.T) {
	srv, calls := batchServer(t, 0)
	dir := t.TempDir()
	const n = 60
	in := writeInput(t, dir, n)
	shardOut := func(i int) string { return filepath.Join(dir, fmt.Sprintf("out-%d.jsonl", i)) }
	base := []string{"--base-url", srv.URL + "/v1", "--progress-interval", "0"}
	for i, spec := range []string{"0/3", "1/3", "3"} {
		envv := map[string]string{}
		if spec == "3" {
			envv["JOB_COMPLETION_INDEX"] = "2"
		}
		r := runCLI(t, "", envv, append([]string{"batch", in, "-o", shardOut(i), "--shard", spec}, base...)...)
		if r.code != 0 {
			t.Fatalf("shard %s: exit %d %q", spec, r.code, r.stderr)
		}
	}
	seen := map[string]int{}
	for i := range 3 {
		got := readOutput(t, shardOut(i))
		if len(got) == 0 || len(got) == n {
			t.Fatalf("shard %d has %d of %d results", i, len(got), n)
		}
		for id := range got {
			seen[id]++
		}
	}
	if len(seen) != n || calls.Load() != n {
		t.Fatalf("%d distinct results after %d calls, want %d", len(seen), calls.Load(), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s in %d shards", id, k)
		}
	}
	r := runCLI(t, "", nil, append([]string{"batch", in, "-o", shardOut(1), "--shard", "1/3"}, base...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "vllm batch: 0 written") || calls.Load() != n {
		t.Fatalf("rerun of a shard: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil, "batch", in, "-o", shardOut(1), "--shard", "3")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--shard 3 needs JOB_COMPLETION_INDEX") {
		t.Fatalf("--shard COUNT without JOB_COMPLETION_INDEX: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil, "batch", in, "-o", shardOut(1), "--shard", "3/3")
	if r.code != exitUsage || !strings.Contains(r.stderr, "INDEX must be an integer from 0 to 2") {
		t.Fatalf("--shard 3/3: exit %d %q", r.code, r.stderr)
	}

	merged := filepath.Join(dir, "merged.jsonl")
	r = runCLI(t, "", nil, "batch", "merge", in, shardOut(2), shardOut(0), shardOut(1), "-o", merged)
	if r.code != 0 || r.stderr != fmt.Sprintf("vllm batch merge: %d results from 3 files written to %s in input order\n", n, merged) {
		t.Fatalf("merge: exit %d %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(merged)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("merged %d lines", len(lines))
	}
	for i, l := range lines {
		if !strings.Contains(l, fmt.Sprintf(`"custom_id":"r%03d"`, i)) {
			t.Fatalf("merged line %d: %s", i+1, l)
		}
	}
	os.Remove(merged)
	r = runCLI(t, "", nil, "batch", "merge", in, shardOut(0), shardOut(1), "-o", merged)
	if r.code != exitFailure || !strings.Contains(r.stderr, fmt.Sprintf("of %d requests have no result (", n)) {
		t.Fatalf("merge without a shard: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil, "batch", "merge", in, shardOut(0), shardOut(1), shardOut(2), shardOut(0), "-o", merged)
	if r.code != exitFailure || !strings.Contains(r.stderr, "has a result in "+shardOut(0)+" too") {
		t.Fatalf("merge with a shard twice: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(merged); !os.IsNotExist(err) {
		t.Fatalf("a failed merge left %s: %v", merged, err)
	}
	r = runCLI(t, "", nil, "batch", "merge", in, shardOut(0), "-o", shardOut(0))
	if r.code != exitUsage {
		t.Fatalf("merge into a shard output: exit %d %q", r.code, r.stderr)
	}
}
