//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCtrlCDuringOneShotExits130 interrupts a one-shot answer while it
// streams: the command stops with exit status 130 and says "interrupted",
// not "context canceled".
func TestCtrlCDuringOneShotExits130(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithTokens(500), vllmtest.WithITL(20*time.Millisecond))
	defer srv.Close()
	cmd := exec.Command(binPath, "chat", "--reasoning", "hide", "hi")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL}
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Real time: the answer is streamed by another process.
	deadline := time.Now().Add(10 * time.Second)
	for stdout.String() == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no answer streamed; stderr %q", stderr.String())
		}
		time.Sleep(5 * time.Millisecond) // polling a real child process's output
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := waitProcess(t, cmd)
	if cmd.ProcessState.ExitCode() != exitInterrupted || stderr.String() != "vllm chat: interrupted\n" {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
	if n := len(strings.Fields(stdout.String())); n >= 500 {
		t.Fatalf("the answer ran to its end (%d words)", n)
	}
}

// TestCtrlCDuringBatchExits130 interrupts a batch: exit status 130, and the
// message says how to resume.
func TestCtrlCDuringBatchExits130(t *testing.T) {
	srv, _ := batchServer(t, 20*time.Millisecond)
	dir := t.TempDir()
	in := writeInput(t, dir, 200)
	out := dir + "/out.jsonl"
	cmd := exec.Command(binPath, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--concurrency", "2", "--progress-interval", "0")
	cmd.Env = []string{}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if strings.Count(string(b), "\n") >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch wrote nothing; stderr %q", stderr.String())
		}
		time.Sleep(2 * time.Millisecond) // polling another process's file
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := waitProcess(t, cmd)
	if cmd.ProcessState.ExitCode() != exitInterrupted || !strings.HasSuffix(stderr.String(), "\nvllm batch: interrupted; run the same command again to resume\n") {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
}

// waitProcess waits for cmd to exit, at most 20 seconds (a real process:
// real time), and kills it after that.
func waitProcess(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second): // a real process: real time
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit", cmd.Args)
		return nil
	}
}
