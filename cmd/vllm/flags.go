package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	"github.com/vllmgo/vllm"
)

// takenSignals is set while a command handles interrupts itself.
var takenSignals atomic.Bool

// EnvModel names the environment variable holding the default model. The
// library has no default model; the command and the examples read it.
const EnvModel = "VLLM_MODEL"

// clientFlag selects the client flags a command offers.
type clientFlag uint8

const (
	flagBaseURL clientFlag = 1 << iota
	flagAPIKey
	flagTimeout
	flagModel

	// flagsServer are the flags of a command that talks to a server
	// without naming a model.
	flagsServer = flagBaseURL | flagAPIKey | flagTimeout
	// flagsModel adds --model.
	flagsModel = flagsServer | flagModel
)

// The environment variables of vllm.FromEnv that the command reads itself,
// where FromEnv cannot: the base URL (to tell one URL from a list of
// replicas, and to let --base-url take its place) and the API key (which
// vllm mock and vllm bench serve use without a client).
// TestCLIVariablesAreTheLibrarys checks that FromEnv reads these names.
const (
	envBaseURL = "VLLM_BASE_URL"
	envAPIKey  = "VLLM_API_KEY"
)

// globals are the client flags. Their variables (VLLM_BASE_URL,
// VLLM_API_KEY, VLLM_TIMEOUT) are read by the library's vllm.FromEnv, so
// they mean exactly what they mean to a program using the library; a flag
// wins over its variable.
type globals struct {
	baseURL string
	apiKey  string
	timeout timeoutFlag
	model   string
}

func (g *globals) register(fs *pflag.FlagSet, which clientFlag) {
	if which&flagBaseURL != 0 {
		fs.StringVar(&g.baseURL, "base-url", "", "server base URL, e.g. http://gpu-1:8000/v1 (env VLLM_BASE_URL; default "+vllm.DefaultBaseURL+")")
	}
	if which&flagAPIKey != 0 {
		fs.StringVar(&g.apiKey, "api-key", "", "API key sent as a bearer token (env VLLM_API_KEY; never printed)")
	}
	if which&flagTimeout != 0 {
		fs.Var(&g.timeout, "timeout", "request timeout: seconds or a duration such as 90s (env VLLM_TIMEOUT, in seconds; default 10m)")
	}
	if which&flagModel != 0 {
		fs.StringVar(&g.model, "model", "", "model to use (env VLLM_MODEL; default: the only model the server serves)")
	}
}

// baseURLs returns the base URLs given with --base-url (several,
// comma-separated, for replicas), or VLLM_BASE_URL, or the default.
func (g *globals) baseURLs() []string {
	s := g.baseURL
	if s == "" {
		s = os.Getenv(envBaseURL)
	}
	var out []string
	for _, u := range strings.Split(s, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = []string{vllm.DefaultBaseURL}
	}
	return out
}

// timeoutFlag is --timeout: seconds ("30", "2.5") or a Go duration ("90s").
type timeoutFlag struct {
	set bool
	d   time.Duration
}

func (f *timeoutFlag) String() string {
	if !f.set {
		return ""
	}
	return f.d.String()
}

func (f *timeoutFlag) Type() string { return "duration" }

func (f *timeoutFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if secs < 0 || secs > 1e9 {
			return errors.New("out of range")
		}
		f.set, f.d = true, time.Duration(secs*float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return errors.New("neither seconds nor a duration such as 90s")
	}
	f.set, f.d = true, d
	return nil
}

// client returns a client made by vllm.FromEnv with the flags as overrides.
// With several base URLs (comma-separated) the first is the base URL and the
// others are replicas (WithEndpoints): calls are spread over them and a
// retry goes to another one.
func (g *globals) client(extra ...vllm.Option) (*vllm.Client, error) {
	opts := []vllm.Option{vllm.WithHeader("User-Agent", "vllm-cli/"+vllm.Version)}
	if g.apiKey != "" {
		opts = append(opts, vllm.WithAPIKey(g.apiKey))
	}
	if g.timeout.set {
		opts = append(opts, vllm.WithTimeout(g.timeout.d))
	}
	if g.baseURL != "" {
		urls := g.baseURLs()
		// The flag takes the variable's place: FromEnv has no option for
		// the base URL, which New takes as its argument.
		if err := os.Setenv(envBaseURL, urls[0]); err != nil {
			return nil, err
		}
		if len(urls) > 1 {
			opts = append(opts, vllm.WithEndpoints(urls[1:]...))
		}
	} else if v := os.Getenv(envBaseURL); strings.Contains(v, ",") {
		return nil, usagef("%s holds one URL, got %q; give replicas with --base-url URL1,URL2", envBaseURL, v)
	}
	return vllm.FromEnv(append(opts, extra...)...)
}

// resolveModel returns the model to use: --model, VLLM_MODEL, or the only
// model the server serves.
func (g *globals) resolveModel(ctx context.Context, c *vllm.Client) (string, error) {
	if g.model == "" {
		g.model = os.Getenv(EnvModel)
	}
	if g.model != "" {
		return g.model, nil
	}
	m, err := c.Models.Default(ctx)
	if err != nil {
		var ae *vllm.APIError
		var ue *unreachableError
		if err = explain(c, "GET", baseRoute(c, "/models"), err); errors.As(err, &ae) || errors.As(err, &ue) {
			return "", err
		}
		return "", fmt.Errorf("choosing a model (give --model or set %s): %w", EnvModel, err)
	}
	g.model = m
	return m, nil
}

// optFloat is an optional float flag: nil until set.
type optFloat struct{ p **float64 }

func (f optFloat) String() string {
	if f.p == nil || *f.p == nil {
		return ""
	}
	return strconv.FormatFloat(**f.p, 'g', -1, 64)
}

func (f optFloat) Type() string { return "float" }

func (f optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	*f.p = &v
	return nil
}

// optInt is an optional int flag: nil until set.
type optInt struct{ p **int }

func (f optInt) String() string {
	if f.p == nil || *f.p == nil {
		return ""
	}
	return strconv.Itoa(**f.p)
}

func (f optInt) Type() string { return "int" }

func (f optInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not an integer")
	}
	*f.p = &v
	return nil
}

// listFlag collects a repeatable flag; values are taken whole (a stop
// string may hold a comma).
type listFlag struct{ p *[]string }

func (f listFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strings.Join(*f.p, ",")
}

func (f listFlag) Type() string { return "strings" }

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

func (s *sampling) register(fs *pflag.FlagSet) {
	fs.Var(optFloat{&s.temperature}, "temperature", "sampling temperature (0 = greedy)")
	fs.Var(optFloat{&s.topP}, "top-p", "nucleus sampling probability mass, in (0, 1]")
	fs.Var(optInt{&s.topK}, "top-k", "sample from the K most likely tokens (-1 = off)")
	fs.Var(optInt{&s.maxTokens}, "max-tokens", "maximum number of tokens to generate")
	fs.Var(optInt{&s.seed}, "seed", "random seed for reproducible sampling")
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

// check applies the library's validation of the sampling fields before any
// request, so that a bad value is a usage error naming its flag even when
// the server is down.
func (s *sampling) check() error {
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}}
	if _, err := s.apply(&req.SamplingParams); err != nil {
		return err
	}
	err := req.Validate()
	var pe *vllm.ParamError
	if errors.As(err, &pe) {
		return usagef("--%s %s", strings.ReplaceAll(pe.Field, "_", "-"), pe.Reason)
	}
	return err
}

// checkOneChoice refuses n > 1 (given through --extra) unless the output is
// the JSON response: chat and complete print one answer.
func checkOneChoice(extra map[string]any, asJSON bool) error {
	if n, ok := extra["n"].(float64); ok && n > 1 && !asJSON {
		return usagef("n=%v asks for %v answers and this command prints one; add --json to get them all", n, n)
	}
	return nil
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
