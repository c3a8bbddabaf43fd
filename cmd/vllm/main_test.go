package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binPath is the vllm binary built once for the tests that run it as a
// separate process (pty, kill -9).
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vllm-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "vllm")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the vllm binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what an in-process run of the CLI produced.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the CLI in-process with the given stdin and environment
// (nothing else of the real environment is visible).
func runCLI(t *testing.T, stdin string, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return envv[k] },
	}
	code := run(context.Background(), e, args)
	return result{out.String(), errb.String(), code}
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	cases := [][]string{
		{"nosuchcommand"},
		{"chat", "--bogus"},
		{"chat", "--temperature", "hot", "hi"},
		{"batch"},
		{"batch", "in.jsonl"},
		{"chat", "--extra", "[1]", "hi"},
		{"chat", "--timeout", "soon", "--model", "m", "hi"},
		{"--model"},
	}
	for _, args := range cases {
		r := runCLI(t, "", nil, args...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "vllm") {
			t.Errorf("%q: stderr is not one line: %q", args, r.stderr)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range commands {
		for _, h := range []string{"--help", "-h"} {
			r := runCLI(t, "", nil, c.name, h)
			if r.code != 0 {
				t.Errorf("%s %s: exit %d: %s", c.name, h, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "Usage: vllm "+c.name) || !strings.Contains(r.stdout, "Examples:\n  vllm "+c.name) {
				t.Errorf("%s %s: help lacks usage or examples:\n%s", c.name, h, r.stdout)
			}
		}
	}
	r := runCLI(t, "", nil, "help")
	for _, c := range commands {
		if !strings.Contains(r.stdout, "  "+c.name+" ") {
			t.Errorf("main help does not list %s", c.name)
		}
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "sk-very-secret-1234"
	envv := map[string]string{"VLLM_API_KEY": key, "VLLM_BASE_URL": "http://127.0.0.1:1/v1"}
	for _, args := range [][]string{
		{"chat", "--help"},
		{"chat", "--model", "m", "hi"},
		{"models"},
		{"models", "--api-key", key},
		{"chat", "--api-key", key, "--bogus"},
	} {
		r := runCLI(t, "", envv, args...)
		if strings.Contains(r.stdout+r.stderr, key) {
			t.Errorf("%q printed the API key:\n%s%s", args, r.stdout, r.stderr)
		}
	}
}

func TestHoistGlobals(t *testing.T) {
	got, err := hoistGlobals([]string{"--model", "m", "--base-url=http://x/v1", "chat", "hi"})
	if err != nil || strings.Join(got, " ") != "chat --model m --base-url=http://x/v1 hi" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := hoistGlobals([]string{"--model", "m"}); err == nil {
		t.Fatal("globals without a command accepted")
	}
}

func TestFlagsAfterPositionalArguments(t *testing.T) {
	f := newFlags("x", "vllm x", "about", "  vllm x")
	n := f.Int("n", 0, "")
	pos, err := f.parse(&env{getenv: func(string) string { return "" }}, []string{"a", "-n", "3", "b", "--", "-n", "c"})
	if err != nil || *n != 3 || strings.Join(pos, ",") != "a,b,-n,c" {
		t.Fatalf("pos %q n %d err %v", pos, *n, err)
	}
}
