package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vllmgo/vllm"
)

// takenSignals is set while a command handles interrupts itself.
var takenSignals atomic.Bool

// EnvModel names the environment variable holding the default model.
const EnvModel = "VLLM_MODEL"

// globals are the flags every command accepts.
type globals struct {
	baseURL string
	apiKey  string
	timeout string
	model   string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", "", "server base URL (env VLLM_BASE_URL; default "+vllm.DefaultBaseURL+")")
	fs.StringVar(&g.apiKey, "api-key", "", "API key (env VLLM_API_KEY; never printed)")
	fs.StringVar(&g.timeout, "timeout", "", "request timeout: seconds or a duration such as 90s (env VLLM_TIMEOUT)")
	fs.StringVar(&g.model, "model", "", "model name (env VLLM_MODEL; default: the only served model)")
}

// resolve fills unset flags from the environment.
func (g *globals) resolve(getenv func(string) string) {
	if g.baseURL == "" {
		g.baseURL = getenv(vllm.EnvBaseURL)
	}
	if g.apiKey == "" {
		g.apiKey = getenv(vllm.EnvAPIKey)
	}
	if g.timeout == "" {
		g.timeout = getenv(vllm.EnvTimeout)
	}
	if g.model == "" {
		g.model = getenv(EnvModel)
	}
}

// baseURLs returns the configured base URLs (several for batch and bench).
func (g *globals) baseURLs() []string {
	var out []string
	for _, u := range strings.Split(g.baseURL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = []string{vllm.DefaultBaseURL}
	}
	return out
}

// parseTimeout accepts seconds ("30", "2.5") or a Go duration ("90s", "2m").
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 || secs > 1e9 {
			return 0, usagef("--timeout %q is out of range", s)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usagef("--timeout %q is neither seconds nor a duration such as 90s", s)
	}
	return d, nil
}

// clientOptions returns the options common to every client the command makes.
func (g *globals) clientOptions(extra ...vllm.Option) ([]vllm.Option, error) {
	opts := []vllm.Option{vllm.WithUserAgent("vllm-cli/" + vllm.Version)}
	if g.apiKey != "" {
		opts = append(opts, vllm.WithAPIKey(g.apiKey))
	}
	if g.timeout != "" {
		d, err := parseTimeout(g.timeout)
		if err != nil {
			return nil, err
		}
		opts = append(opts, vllm.WithTimeout(d))
	}
	return append(opts, extra...), nil
}

// client returns a client for the base URL; with several (comma-separated)
// the first is the base URL and the others are replicas (WithEndpoints):
// calls are spread over them and a retry goes to another one.
func (g *globals) client(extra ...vllm.Option) (*vllm.Client, error) {
	opts, err := g.clientOptions(extra...)
	if err != nil {
		return nil, err
	}
	urls := g.baseURLs()
	if len(urls) > 1 {
		opts = append(opts, vllm.WithEndpoints(urls[1:]...))
	}
	return vllm.New(urls[0], opts...)
}

// resolveModel returns the model to use: --model, VLLM_MODEL, or the only
// model the server serves.
func (g *globals) resolveModel(ctx context.Context, c *vllm.Client) (string, error) {
	if g.model != "" {
		return g.model, nil
	}
	m, err := c.Models.Default(ctx)
	if err != nil {
		return "", fmt.Errorf("no --model given (nor VLLM_MODEL): %w", err)
	}
	g.model = m
	return m, nil
}

// cmdFlags is a command's flag set with its help text.
type cmdFlags struct {
	*flag.FlagSet
	g        globals
	usage    string // e.g. "vllm chat [flags] [PROMPT]"
	about    string
	examples string
}

func newFlags(name, usage, about, examples string) *cmdFlags {
	f := &cmdFlags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, about: about, examples: examples}
	f.SetOutput(io.Discard)
	f.g.register(f.FlagSet)
	return f
}

// printHelp writes the command's help: usage, description, flags, examples.
func (f *cmdFlags) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", f.usage, strings.TrimSpace(f.about))
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	if f.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(f.examples, "\n"))
	}
}

// parse parses args, allowing flags after positional arguments ("vllm chat
// hello --model m"); "--" ends the flags. It resolves the globals from the
// environment and returns the positional arguments. --help prints the help
// on stdout and returns errHelp.
func (f *cmdFlags) parse(e *env, args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.printHelp(e.stdout)
				return nil, errHelp
			}
			return nil, usagef("%v (see --help)", err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		// flag stops at the first non-flag; "--" is consumed by Parse,
		// in which case everything after it is positional.
		if consumedDashDash(args, rest) {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	f.g.resolve(e.getenv)
	return pos, nil
}

// parseNoArgs is parse for commands that take no positional argument.
func (f *cmdFlags) parseNoArgs(e *env, args []string) error {
	pos, err := f.parse(e, args)
	if err == nil && len(pos) > 0 {
		err = usagef("unexpected argument %q", pos[0])
	}
	return err
}

// consumedDashDash reports whether Parse stopped at a "--" terminator.
func consumedDashDash(args, rest []string) bool {
	i := len(args) - len(rest) - 1
	return i >= 0 && args[i] == "--"
}

// floatFlag is an optional float64 flag: nil until set.
type floatFlag struct{ p **float64 }

func (f floatFlag) String() string {
	if f.p == nil || *f.p == nil {
		return ""
	}
	return strconv.FormatFloat(**f.p, 'g', -1, 64)
}

func (f floatFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	*f.p = &v
	return nil
}

// intFlag is an optional int flag: nil until set.
type intFlag struct{ p **int }

func (f intFlag) String() string {
	if f.p == nil || *f.p == nil {
		return ""
	}
	return strconv.Itoa(**f.p)
}

func (f intFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not an integer")
	}
	*f.p = &v
	return nil
}

// listFlag collects a repeatable flag.
type listFlag struct{ p *[]string }

func (f listFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f listFlag) Set(s string) error { *f.p = append(*f.p, s); return nil }

// sampling holds the sampling flags shared by chat, complete and bench.
type sampling struct {
	temperature *float64
	topP        *float64
	topK        *int
	maxTokens   *int
	seed        *int
	stop        []string
	extra       string
}

func (s *sampling) register(fs *flag.FlagSet) {
	fs.Var(floatFlag{&s.temperature}, "temperature", "sampling temperature (0 = greedy)")
	fs.Var(floatFlag{&s.topP}, "top-p", "nucleus sampling probability mass, in (0, 1]")
	fs.Var(intFlag{&s.topK}, "top-k", "sample from the K most likely tokens (-1 = off)")
	fs.Var(intFlag{&s.maxTokens}, "max-tokens", "maximum number of tokens to generate")
	fs.Var(intFlag{&s.seed}, "seed", "random seed for reproducible sampling")
	fs.Var(listFlag{&s.stop}, "stop", "stop string (repeatable)")
	fs.StringVar(&s.extra, "extra", "", `extra JSON object merged into the request body, e.g. '{"chat_template_kwargs":{"enable_thinking":true}}'`)
}

// apply sets the sampling fields and returns the --extra object.
func (s *sampling) apply(p *vllm.SamplingParams) (map[string]any, error) {
	p.Temperature, p.TopP, p.TopK, p.MaxTokens = s.temperature, s.topP, s.topK, s.maxTokens
	if s.seed != nil {
		p.Seed = vllm.Ptr(int64(*s.seed))
	}
	if len(s.stop) > 0 {
		p.Stop = s.stop
	}
	return parseExtra(s.extra)
}

// parseExtra decodes an --extra JSON object.
func parseExtra(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, usagef("--extra must be a JSON object: %q", s)
	}
	return m, nil
}
