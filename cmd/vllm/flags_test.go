package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// TestHelpShowsTypedPerCommandFlags checks GNU-style flags with typed
// placeholders and defaults, and that each command lists only its own flags.
func TestHelpShowsTypedPerCommandFlags(t *testing.T) {
	r := runCLI(t, "", nil, "chat", "--help")
	for _, want := range []string{"--max-tokens int ", "--temperature float ", "--stop strings ", "--timeout duration ",
		"--base-url string ", `(default "stderr")`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("chat --help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, "", nil, "mock", "--help")
	for _, absent := range []string{"--base-url", "--timeout", "--temperature"} {
		if strings.Contains(r.stdout, absent) {
			t.Errorf("mock --help lists %s:\n%s", absent, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "--addr string ") || !strings.Contains(r.stdout, `(default "127.0.0.1:8000")`) {
		t.Errorf("mock --help:\n%s", r.stdout)
	}
	r = runCLI(t, "", nil, "models", "--help")
	if strings.Contains(r.stdout, "--model ") || strings.Contains(r.stdout, "--max-tokens") {
		t.Errorf("models --help lists flags it does not use:\n%s", r.stdout)
	}
}

func TestMistypedCommandIsSuggested(t *testing.T) {
	r := runCLI(t, "", nil, "chta", "hi")
	if r.code != exitUsage || r.stderr != `vllm: unknown command "chta"; did you mean "chat"? (run "vllm help" for the list)`+"\n" {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil, "modles")
	if r.code != exitUsage || !strings.Contains(r.stderr, `did you mean "models"?`) {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", nil)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Available Commands:") || !strings.HasSuffix(r.stderr, "vllm: a command is needed (run \"vllm help\" for the list)\n") {
		t.Fatalf("no command: exit %d %q", r.code, r.stderr)
	}
}

func TestShellCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_vllm", "zsh": "#compdef vllm", "fish": "complete -c vllm"} {
		r := runCLI(t, "", nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("completion %s: exit %d, lacks %q: %.200s", shell, r.code, want, r.stdout+r.stderr)
		}
	}
	// The completion protocol itself: subcommands, then a command's flags.
	r := runCLI(t, "", nil, "__complete", "ch")
	if !strings.Contains(r.stdout, "chat\t") {
		t.Errorf("completing \"ch\": %q", r.stdout)
	}
	r = runCLI(t, "", nil, "__complete", "chat", "--max-")
	if !strings.Contains(r.stdout, "--max-tokens\t") {
		t.Errorf("completing \"chat --max-\": %q", r.stdout)
	}
}

// TestLocalMistakesBeforeTheNetwork: bad sampling values are usage errors
// naming the flag, found before any request (the server here is down).
func TestLocalMistakesBeforeTheNetwork(t *testing.T) {
	down := map[string]string{"VLLM_BASE_URL": "http://127.0.0.1:1/v1"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"chat", "--max-tokens", "-5", "hi"}, "vllm chat: --max-tokens must not be negative, got -5\n"},
		{[]string{"chat", "--top-p", "2", "hi"}, "vllm chat: --top-p must be in (0, 1], got 2\n"},
		{[]string{"complete", "--temperature", "-1", "hi"}, "vllm complete: --temperature must not be negative, got -1\n"},
		{[]string{"chat", "--top-k", "-3", "--model", "m", "hi"}, "vllm chat: --top-k must be -1, 0 or positive, got -3\n"},
	} {
		r := runCLI(t, "", down, c.args...)
		if r.code != exitUsage || r.stderr != c.want {
			t.Errorf("%q: exit %d %q, want 2 %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestUnreachableServerSaysSo: with nothing listening, the error says that
// the server cannot be reached and how to get one, never a flag that is
// not the problem.
func TestUnreachableServerSaysSo(t *testing.T) {
	const url = "http://127.0.0.1:1/v1" // port 1: nothing listens there
	want := "cannot reach the server at " + url + " (connect: connection refused); start one (\"vllm mock\" serves a fake vLLM) or point VLLM_BASE_URL or --base-url at yours\n"
	for _, args := range [][]string{{"chat", "hi"}, {"chat", "--model", "m", "--no-stream", "hi"}, {"models"}, {"health"}, {"complete", "hi"}} {
		r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": url}, args...)
		if r.code != exitFailure || r.stderr != "vllm "+args[0]+": "+want {
			t.Errorf("%q: exit %d %q", args, r.code, r.stderr)
		}
	}
}

// TestEnvironmentMeansWhatTheLibrarySays: the command reads VLLM_BASE_URL,
// VLLM_API_KEY and VLLM_TIMEOUT through vllm.FromEnv, so a value the
// library refuses is refused here too, naming the variable; flags win over
// variables.
func TestEnvironmentMeansWhatTheLibrarySays(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithAPIKey("env-key"))
	defer srv.Close()
	r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL, "VLLM_TIMEOUT": "90s"}, "models")
	if r.code != exitUsage || !strings.Contains(r.stderr, `VLLM_TIMEOUT "90s" is not a number of seconds`) {
		t.Errorf("VLLM_TIMEOUT=90s: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL, "VLLM_TIMEOUT": "2.5", "VLLM_API_KEY": "env-key"}, "models")
	if r.code != 0 {
		t.Errorf("VLLM_TIMEOUT=2.5 with the key from the environment: exit %d %q", r.code, r.stderr)
	}
	// --api-key wins over VLLM_API_KEY, --base-url over VLLM_BASE_URL.
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": "http://127.0.0.1:1/v1", "VLLM_API_KEY": "wrong"}, "models", "--base-url", srv.URL, "--api-key", "env-key", "--timeout", "90s")
	if r.code != 0 {
		t.Errorf("flags over variables: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": "localhost:8000"}, "models")
	if r.code != exitUsage || !strings.Contains(r.stderr, "VLLM_BASE_URL") {
		t.Errorf("VLLM_BASE_URL without a scheme: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL + "," + srv.URL}, "models")
	if r.code != exitUsage || !strings.Contains(r.stderr, "VLLM_BASE_URL holds one URL") {
		t.Errorf("VLLM_BASE_URL with two URLs: exit %d %q", r.code, r.stderr)
	}
}

// TestCLIVariablesAreTheLibrarys: the names the command reads itself
// (envBaseURL, envAPIKey) are the variables vllm.FromEnv reads.
func TestCLIVariablesAreTheLibrarys(t *testing.T) {
	t.Setenv(envBaseURL, "not a url")
	_, err := vllm.FromEnv()
	var pe *vllm.ParamError
	if !errors.As(err, &pe) || pe.Field != envBaseURL {
		t.Errorf("FromEnv with %s unparsable: %v", envBaseURL, err)
	}
	srv := vllmtest.NewServer(vllmtest.WithAPIKey("env-key"))
	defer srv.Close()
	t.Setenv(envBaseURL, srv.URL)
	t.Setenv(envAPIKey, "env-key")
	c, err := vllm.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.BaseURL() != srv.URL {
		t.Errorf("FromEnv base URL %s, want %s from %s", c.BaseURL(), srv.URL, envBaseURL)
	}
	if _, err := c.Models.List(context.Background()); err != nil {
		t.Errorf("the key from %s was not sent: %v", envAPIKey, err)
	}
}

// TestJSONIsASwitchEverywhere: every --json is a switch that puts one JSON
// document on stdout.
func TestJSONIsASwitchEverywhere(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	for _, args := range [][]string{
		{"chat", "--json", "hi"},
		{"complete", "--json", "hi"},
		{"models", "--json"},
		{"tokenize", "--json", "hi"},
		{"embed", "--json", "hi"},
	} {
		r := runCLI(t, "", serverEnv(srv), args...)
		var v map[string]any
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || len(v) == 0 {
			t.Errorf("%q: exit %d, stdout is not one JSON object: %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	root := newRootCmd(&env{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("json"); f != nil && f.Value.Type() != "bool" {
			t.Errorf("%s --json takes a %s", c.CommandPath(), f.Value.Type())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
