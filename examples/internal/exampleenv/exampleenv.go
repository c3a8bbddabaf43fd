// Package exampleenv gives the examples a client: for the server named by
// VLLM_BASE_URL (with VLLM_API_KEY, VLLM_TIMEOUT and VLLM_MODEL) when it is
// set, or else for an embedded vllmtest server, so that every example runs
// with "go run ./examples/NAME" on a machine without a GPU.
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

// Start returns the environment of an example. The vllmtest options shape
// the embedded server (reasoning, faults, latency) and are ignored when
// VLLM_BASE_URL names a real server. Client options apply in both cases.
// Start exits the program with a message when the client cannot be made.
func Start(serverOpts []vllmtest.Option, clientOpts ...vllm.Option) *Env {
	env, err := start(serverOpts, clientOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "example setup:", err)
		os.Exit(1)
	}
	return env
}

func start(serverOpts []vllmtest.Option, clientOpts []vllm.Option) (*Env, error) {
	env := &Env{}
	if os.Getenv(vllm.EnvBaseURL) == "" {
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

// Close stops the embedded server, if any.
func (e *Env) Close() {
	if e.Server != nil {
		e.Server.Close()
	}
}

// Context returns a context for one example run, bounded so that an example
// never hangs.
func Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Minute)
}
