// Package exampleenv gives the examples a client: for the server named by
// VLLM_BASE_URL (with VLLM_API_KEY, VLLM_TIMEOUT and VLLM_MODEL) when it is
// set, or else for an embedded vllmtest server, so that every example runs
// with "go run ./examples/NAME" on a machine without a GPU. An example's
// main is one call of Run (or RunWith), which also closes the server and
// reports the example's error.
package exampleenv

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// Env is what an example works with.
type Env struct {
	// Client talks to the server.
	Client *vllm.Client
	// Model is the model to ask for: VLLM_MODEL, or the only model the
	// server serves.
	Model string
	// Server is the embedded server, or nil when VLLM_BASE_URL is set.
	Server *vllmtest.Server
}

// Setup shapes an example's environment.
type Setup struct {
	// Server shapes the embedded server (reasoning, served model names);
	// it is ignored when VLLM_BASE_URL names a real server.
	Server []vllmtest.Option
	// Client applies to the client in both cases.
	Client []vllm.Option
}

// Run is an example's main with the default Setup: see RunWith.
func Run(example func(ctx context.Context, env *Env) error) {
	RunWith(Setup{}, example)
}

// RunWith is an example's main: it starts the environment, runs example with
// a context bounded so that an example never hangs, and closes the
// environment. When the environment cannot be made or example returns an
// error, RunWith prints it and exits with status 1 (after closing, unlike a
// log.Fatal inside the example would).
func RunWith(setup Setup, example func(ctx context.Context, env *Env) error) {
	if err := run(setup, example); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(setup Setup, example func(ctx context.Context, env *Env) error) error {
	env, err := start(setup.Server, setup.Client)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer env.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return example(ctx, env)
}

func start(serverOpts []vllmtest.Option, clientOpts []vllm.Option) (*Env, error) {
	env := &Env{}
	if os.Getenv("VLLM_BASE_URL") == "" {
		opts := append([]vllmtest.Option{vllmtest.WithHandler(modelLike)}, serverOpts...)
		env.Server = vllmtest.NewServer(opts...)
		c, err := vllm.New(env.Server.URL, clientOpts...)
		if err != nil {
			env.Server.Close()
			return nil, err
		}
		env.Client = c
	} else {
		c, err := vllm.FromEnv(clientOpts...)
		if err != nil {
			return nil, err
		}
		env.Client = c
	}
	env.Model = os.Getenv("VLLM_MODEL")
	if env.Model == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m, err := env.Client.Models.Default(ctx)
		cancel()
		if err != nil {
			env.Close()
			return nil, fmt.Errorf("choosing a model (set VLLM_MODEL to skip this): %w", err)
		}
		env.Model = m
	}
	return env, nil
}

// Fail makes the embedded server answer its next request with f, to show
// how the client meets a failure; against a real server it does nothing.
func (e *Env) Fail(f vllmtest.Fault) {
	e.FailNext(1, f)
}

// FailNext makes the embedded server answer its next n requests with f;
// against a real server it does nothing.
func (e *Env) FailNext(n int, f vllmtest.Fault) {
	if e.Server != nil {
		e.Server.FailNext(n, f)
	}
}

// Close stops the embedded server, if any.
func (e *Env) Close() {
	if e.Server != nil {
		e.Server.Close()
	}
}
