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
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// env is what a command sees of the outside world besides the process
// environment (os.Getenv); tests replace it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// signals delivers interrupts (Ctrl-C) to commands that handle them
	// themselves (the interactive chat); nil when nobody sends any.
	signals <-chan os.Signal
}

// commandMakers make the subcommands; each file registers its own in init.
var commandMakers []func(e *env) *cobra.Command

func register(make func(e *env) *cobra.Command) { commandMakers = append(commandMakers, make) }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errInterrupted is returned by a command stopped by Ctrl-C: exit status 130.
var errInterrupted = errors.New("interrupted")

func main() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	// Commands other than the interactive chat stop on the first interrupt;
	// the chat takes the signals over (see takenSignals).
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
				os.Exit(exitInterrupted)
			}
			interrupted = true
			cancel(errInterrupted)
		}
	}()
	code := run(ctx, e, os.Args[1:])
	cancel(nil)
	os.Exit(code)
}

const rootLong = `vllm talks to a vLLM server (or anything speaking vLLM's OpenAI-compatible API).

The server is VLLM_BASE_URL (default ` + vllm.DefaultBaseURL + `), or --base-url;
"vllm mock" starts a fake one for trying things without a GPU.

Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C).`

const rootExamples = `  vllm mock &                      # a fake vLLM on http://127.0.0.1:8000/v1
  vllm chat "Why is the sky blue?"
  vllm chat                        # interactive, on a terminal
  vllm models --base-url http://gpu-1:8000/v1
  vllm completion bash > /etc/bash_completion.d/vllm`

// newRootCmd builds the command tree. It is built afresh for every run, so
// that no flag value leaks from one run to the next.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "vllm",
		Short:         "talk to a vLLM server: chat, batches, benchmarks, a fake server",
		Long:          rootLong,
		Example:       rootExamples,
		Version:       vllm.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				cmd.SetOut(e.stderr)
				_ = cmd.Help()
				return usagef("a command is needed (run \"vllm help\" for the list)")
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", s[0])
			}
			return usagef("%s (run \"vllm help\" for the list)", msg)
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("vllm (vllm-go) {{.Version}}\n")
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%v (see \"%s --help\")", err, cmd.CommandPath())
	})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(e.stdout, "vllm (vllm-go) "+vllm.Version)
		},
	})
	for _, make := range commandMakers {
		root.AddCommand(make(e))
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// run executes the command line args and returns the exit status. Errors are
// printed as one line on stderr, prefixed with the command.
func run(ctx context.Context, e *env, args []string) int {
	root := newRootCmd(e)
	args, err := hoistGlobals(root, args)
	args = expandMultiValueFlags(args)
	if err != nil {
		fmt.Fprintln(e.stderr, "vllm: "+err.Error())
		return exitUsage
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd == nil {
		cmd = root
	}
	if err != nil && errors.Is(context.Cause(ctx), errInterrupted) && !errors.Is(err, errInterrupted) {
		err = errInterrupted // whatever the command made of its cancelled context
	}
	return finish(e, cmd.CommandPath(), err)
}

// argCount returns a check that wants from min to max positional arguments
// (max < 0: no upper limit) and otherwise fails with a usage error saying
// what is needed: "need " + want.
func argCount(min, max int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || max >= 0 && len(args) > max {
			return usagef("need %s, got %d (see --help)", want, len(args))
		}
		return nil
	}
}

// noArgs is cobra.NoArgs with a usage error that says what was unexpected.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// globalFlagNames are the client flags accepted before the command name.
var globalFlagNames = map[string]bool{"base-url": true, "api-key": true, "timeout": true, "model": true}

// hoistGlobals moves client flags given before the command name after it,
// where the command's flag set parses them: "vllm --model m chat" becomes
// "vllm chat --model m".
func hoistGlobals(root *cobra.Command, args []string) ([]string, error) {
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
				return nil, fmt.Errorf("flag needs an argument: --%s", name)
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
	// After the whole command path: "vllm --model m bench serve" gives the
	// flag to serve, not to bench.
	n, cmd := 0, root
	for n < len(args) && !strings.HasPrefix(args[n], "-") {
		sub := findSub(cmd, args[n])
		if sub == nil {
			break
		}
		cmd, n = sub, n+1
	}
	n = max(n, 1)
	return append(append(append([]string(nil), args[:n]...), globals...), args[n:]...), nil
}

// findSub returns cmd's subcommand called name (or one of its aliases).
func findSub(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// finish maps a command's error to an exit status and prints it as one line
// prefixed with the command path ("vllm chat: ...").
func finish(e *env, path string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errInterrupted) {
		fmt.Fprintf(e.stderr, "%s: %s\n", path, err)
		return exitInterrupted
	}
	msg := oneLine(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "vllm: "), ": vllm: ", ": "))
	fmt.Fprintf(e.stderr, "%s: %s\n", path, msg)
	var ue *usageError
	var pe *vllm.ParamError
	var ce *callError
	if errors.As(err, &ue) || errors.As(err, &pe) || (errors.As(err, &ce) && ce.fix != "") {
		return exitUsage // a mistake in the command line or the environment
	}
	return exitFailure
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
}

// newCommand returns a command with its usage line, one-line summary and the
// long help and examples of --help. It takes no positional arguments (noArgs)
// until its Args is set: a stray word is refused, not silently ignored.
func newCommand(use, short, long, example string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Long: long, Example: example, Args: noArgs}
}
