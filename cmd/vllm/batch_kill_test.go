//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBatchResumesAfterKill9 kills the batch process with SIGKILL while
// requests are in flight, reruns the same command, and checks that the
// output holds every item exactly once.
func TestBatchResumesAfterKill9(t *testing.T) {
	srv, _ := batchServer(t, 20*time.Millisecond)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	const n = 200
	var sb strings.Builder
	for i := range n {
		sb.WriteString(batchLine(fmt.Sprintf("req-%03d", i), fmt.Sprintf("prompt %d", i)) + "\n")
	}
	os.WriteFile(in, []byte(sb.String()), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"batch", in, "-o", out, "--base-url", srv.URL + "/v1", "--concurrency", "4", "--progress-interval", "0"}

	cmd := exec.Command(binPath, args...)
	cmd.Env = []string{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once some, but not all, results are written.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if k := strings.Count(string(b), "\n"); k >= 20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("batch wrote nothing")
		}
		time.Sleep(2 * time.Millisecond) // polling the output file of a real child process (to kill -9 it mid-batch)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("process was not killed by SIGKILL: %v", err)
	}
	partial := readOutput(t, out)
	if len(partial) == 0 || len(partial) >= n {
		t.Fatalf("killed run wrote %d of %d; the test needs a mid-run kill", len(partial), n)
	}

	rerun := exec.Command(binPath, args...)
	rerun.Env = []string{}
	stderr, err := rerun.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, stderr)
	}
	got := readOutput(t, out) // fails on any duplicate
	if len(got) != n {
		t.Fatalf("output has %d items, want %d", len(got), n)
	}
	for i := range n {
		id := fmt.Sprintf("req-%03d", i)
		o, ok := got[id]
		if !ok || o.Response == nil || o.Response.StatusCode != 200 || !strings.Contains(string(o.Response.Body), fmt.Sprintf("echo: prompt %d\"", i)) {
			t.Fatalf("item %s = %+v", id, o)
		}
	}
	if want := fmt.Sprintf("(%d were already done)", len(partial)); !strings.Contains(string(stderr), want) {
		t.Errorf("rerun summary lacks %q: %s", want, stderr)
	}
}
