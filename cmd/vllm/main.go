// Command vllm talks to a vLLM server from the command line: chat with a
// model, run completions, list models, run offline batches, load-test a
// deployment, and start a fake vLLM server for development.
//
// Run "vllm help" for the list of commands and "vllm COMMAND --help" for the
// flags and examples of each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/vllmgo/vllm"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what a command sees of the outside world; tests replace it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// signals delivers interrupts (Ctrl-C) to commands that handle them
	// themselves (the interactive chat); nil when nobody sends any.
	signals <-chan os.Signal
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelp is returned after help was printed on request: exit status 0.
var errHelp = errors.New("help requested")

func main() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	// Commands other than the interactive chat stop on the first interrupt;
	// the chat takes the signals over (see takeSignals).
	relay := make(chan os.Signal, 2)
	e.signals = relay
	go func() {
		interrupted := false
		for s := range sig {
			if takenSignals.Load() {
				relay <- s
				continue
			}
			if interrupted {
				// A second interrupt: stop waiting for a clean end.
				os.Exit(130)
			}
			interrupted = true
			cancel()
		}
	}()
	code := run(ctx, e, os.Args[1:])
	cancel()
	os.Exit(code)
}

// run executes the command line args and returns the exit status. Errors are
// printed as one line on stderr.
func run(ctx context.Context, e *env, args []string) int {
	args, err := hoistGlobals(args)
	if err != nil {
		fmt.Fprintln(e.stderr, "vllm: "+err.Error())
		return exitUsage
	}
	if len(args) == 0 {
		printMainUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				return finish(e, c.name, c.run(ctx, e, []string{"--help"}))
			}
		}
		printMainUsage(e.stdout)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(e.stdout, "vllm (vllm-go) "+vllm.Version)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "vllm: unknown command %q (run \"vllm help\" for the list)\n", name)
		return exitUsage
	}
	return finish(e, c.name, c.run(ctx, e, args[1:]))
}

// globalFlagNames are the flags accepted before the command name.
var globalFlagNames = map[string]bool{"base-url": true, "api-key": true, "timeout": true, "model": true}

// hoistGlobals moves global flags given before the command name after it,
// where the command's flag set parses them: "vllm --model m chat" becomes
// "vllm chat --model m".
func hoistGlobals(args []string) ([]string, error) {
	var globals []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !globalFlagNames[name] {
			break // -h, --help, --version, or a mistake reported later
		}
		globals = append(globals, args[0])
		args = args[1:]
		if !hasValue {
			if len(args) == 0 {
				return nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
			globals = append(globals, args[0])
			args = args[1:]
		}
	}
	if len(globals) == 0 {
		return args, nil
	}
	if len(args) == 0 {
		return nil, errors.New("global flags need a command after them (run \"vllm help\")")
	}
	return append(append([]string{args[0]}, globals...), args[1:]...), nil
}

// finish maps a command's error to an exit status and prints it as one line.
func finish(e *env, name string, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	msg := oneLine(strings.TrimPrefix(err.Error(), "vllm: "))
	fmt.Fprintf(e.stderr, "vllm %s: %s\n", name, msg)
	var ue *usageError
	var pe *vllm.ParamError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		return exitUsage
	}
	return exitFailure
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
}

func printMainUsage(w io.Writer) {
	fmt.Fprint(w, `vllm talks to a vLLM server (or anything speaking vLLM's OpenAI-compatible API).

Usage:
  vllm [global flags] COMMAND [flags] [arguments]

Commands:
`)
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Global flags (accepted before or after the command):
  --base-url URL   server base URL, e.g. http://localhost:8000/v1 (env VLLM_BASE_URL);
                   several, comma-separated, for batch and bench
  --api-key KEY    API key sent as a bearer token (env VLLM_API_KEY; never printed)
  --timeout D      request timeout: seconds or a Go duration such as 90s (env VLLM_TIMEOUT)
  --model NAME     model to use (env VLLM_MODEL; default: the only model the server serves)

Exit status: 0 success, 1 failure, 2 usage error.
Run "vllm COMMAND --help" for the flags and examples of a command.
`)
}
