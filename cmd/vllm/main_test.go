package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/vllmtest"
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

// cliEnvVars are the environment variables the command reads; runCLI sets
// each of them for the run, to the given value or to "" (unset).
var cliEnvVars = []string{"VLLM_BASE_URL", "VLLM_API_KEY", "VLLM_TIMEOUT", "VLLM_MODEL",
	"NO_COLOR", "XDG_STATE_HOME", "JOB_COMPLETION_INDEX", envPyTorchFormat}

// runCLI runs the CLI in-process with the given stdin and environment
// variables (those of cliEnvVars not given are empty for the run).
func runCLI(t *testing.T, stdin string, envv map[string]string, args ...string) result {
	t.Helper()
	for _, k := range cliEnvVars {
		t.Setenv(k, envv[k])
	}
	for k, v := range envv {
		if !slices.Contains(cliEnvVars, k) {
			t.Fatalf("runCLI: %s is not in cliEnvVars", k)
		}
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
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

// TestArgumentCountErrorsSayWhatIsNeeded checks the message of each
// command's positional-argument check, exactly.
func TestArgumentCountErrorsSayWhatIsNeeded(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"batch", "a.jsonl", "b.jsonl"}, "vllm batch: need exactly one input file, got 2 (see --help)\n"},
		{[]string{"batch", "merge", "in.jsonl"}, "vllm batch merge: need the input file and at least one shard output, got 1 (see --help)\n"},
		{[]string{"bench", "report"}, "vllm bench report: need at least one result file, got 0 (see --help)\n"},
		{[]string{"bench", "compare", "a.json", "b.json", "c.json"}, "vllm bench compare: need two result files, got 3 (see --help)\n"},
	} {
		r := runCLI(t, "", nil, tc.args...)
		if r.code != exitUsage || r.stderr != tc.want {
			t.Errorf("%q: exit %d, stderr %q; want exit 2, %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	root := newRootCmd(&env{})
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
		for _, h := range []string{"--help", "-h"} {
			r := runCLI(t, "", nil, c.Name(), h)
			if r.code != 0 {
				t.Errorf("%s %s: exit %d: %s", c.Name(), h, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "Usage:\n  vllm "+c.Name()) {
				t.Errorf("%s %s: help lacks usage:\n%s", c.Name(), h, r.stdout)
			}
			if c.Example != "" && !strings.Contains(r.stdout, "Examples:\n  vllm "+c.Name()) {
				t.Errorf("%s %s: help lacks examples:\n%s", c.Name(), h, r.stdout)
			}
		}
	}
	for _, want := range []string{"chat", "complete", "models", "health", "tokenize", "embed", "batch", "bench", "mock", "completion", "version"} {
		if !slices.Contains(names, want) {
			t.Errorf("no command %s among %q", want, names)
		}
	}
	r := runCLI(t, "", nil, "help")
	for _, c := range root.Commands() {
		if c.Name() != "help" && !strings.Contains(r.stdout, "  "+c.Name()+" ") {
			t.Errorf("main help does not list %s:\n%s", c.Name(), r.stdout)
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
	root := newRootCmd(&env{})
	for _, tc := range []struct{ in, want string }{
		{"--model m --base-url=http://x/v1 chat hi", "chat --model m --base-url=http://x/v1 hi"},
		// after the whole command path, so that the subcommand gets them
		{"--model m bench serve --num-prompts 2", "bench serve --model m --num-prompts 2"},
		{"--model m batch in.jsonl", "batch --model m in.jsonl"},
		{"chat --model m hi", "chat --model m hi"},
	} {
		got, err := hoistGlobals(root, strings.Fields(tc.in))
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := hoistGlobals(root, []string{"--model", "m"}); err == nil {
		t.Fatal("globals without a command accepted")
	}
}

func TestFlagsAfterPositionalArguments(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	r := runCLI(t, "", serverEnv(srv), "chat", "two", "--no-stream", "words", "--max-tokens", "3", "--", "--not-a-flag")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	req, _ := srv.LastRequest()
	if req.Chat.Messages[0].Text() != "two words --not-a-flag" || req.JSON["max_tokens"] != float64(3) || req.JSON["stream"] != nil {
		t.Fatalf("request %s", req.Body)
	}
}
