package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

func init() {
	register(&command{name: "mock", summary: "serve a fake vLLM (vllmtest) for development without a GPU", run: runMock})
}

const mockAbout = `Starts the vllmtest server, which speaks vLLM's OpenAI-compatible dialect
(chat and legacy completions, streaming, reasoning, tool calls, /v1/models,
/health, ...) with a deterministic generator, and serves until interrupted.
The first line on stdout is its base URL, e.g. http://127.0.0.1:8000/v1.

--model names the served model (comma-separated for several; the first is the
default). --api-key makes it require that key, as vLLM's --api-key does.

--fault injects a failure into every request it matches (--fault-path):
  status       answer --fault-status (default 500) with vLLM's error body
  drop         close the connection after --fault-after stream events
  truncate     cut a JSON payload in half
  no-done      end streams without "data: [DONE]"
  error-event  send vLLM's error event after --fault-after events
  garbage      send bytes that are not SSE after --fault-after events
  stall        send nothing for --fault-duration after --fault-after events
  reset        reset the TCP connection
  none         only the timing flags apply`

const mockExamples = `  vllm mock
  vllm mock --addr 127.0.0.1:9000 --model Qwen/Qwen3-8B --tokens-per-second 50
  vllm mock --reasoning 20 --ttft 300ms
  vllm mock --fault status --fault-status 503 --fault-path /chat/completions
  vllm mock --addr 127.0.0.1:9000 &   # then: VLLM_BASE_URL=http://127.0.0.1:9000/v1 vllm chat hi`

func runMock(ctx context.Context, e *env, args []string) error {
	f := newFlags("mock", "vllm mock [flags]", mockAbout, mockExamples)
	addr := f.String("addr", "127.0.0.1:8000", "address to listen on (port 0 picks a free one)")
	tokens := f.Int("tokens", vllmtest.DefaultTokens, "tokens generated per answer (unless max_tokens asks for fewer)")
	tps := f.Float64("tokens-per-second", 0, "generation speed (0: as fast as possible)")
	ttft := f.Duration("ttft", 0, "time to first token")
	itl := f.Duration("itl", 0, "inter-token latency (overrides --tokens-per-second)")
	reasoning := f.Int("reasoning", 0, "reasoning tokens before each chat answer (0: none)")
	noTools := f.Bool("no-tool-calls", false, "answer with text even when the request offers tools")
	maxLen := f.Int("max-model-len", vllmtest.DefaultMaxModelLen, "context length reported by /v1/models")
	fault := f.String("fault", "", "inject a fault into every matching request (see above)")
	faultStatus := f.Int("fault-status", 500, "HTTP status of --fault status or error-event")
	faultAfter := f.Int("fault-after", 0, "stream events sent before the fault strikes")
	faultDur := f.Duration("fault-duration", time.Second, "how long --fault stall stalls")
	faultPath := f.String("fault-path", "", "only requests whose path ends with this, e.g. /chat/completions")
	retryAfter := f.String("fault-retry-after", "", "Retry-After header sent with --fault status")
	if err := f.parseNoArgs(e, args); err != nil {
		return err
	}
	opts := []vllmtest.Option{vllmtest.WithTokens(*tokens), vllmtest.WithMaxModelLen(*maxLen)}
	for _, m := range strings.Split(f.g.model, ",") {
		if m = strings.TrimSpace(m); m != "" {
			opts = append(opts, vllmtest.WithModel(m))
		}
	}
	if f.g.apiKey != "" {
		opts = append(opts, vllmtest.WithAPIKey(f.g.apiKey))
	}
	if *tps > 0 {
		opts = append(opts, vllmtest.WithTokensPerSecond(*tps))
	}
	if *itl > 0 {
		opts = append(opts, vllmtest.WithITL(*itl))
	}
	if *ttft > 0 {
		opts = append(opts, vllmtest.WithTTFT(*ttft))
	}
	if *reasoning > 0 {
		opts = append(opts, vllmtest.WithReasoning(*reasoning))
	}
	if *noTools {
		opts = append(opts, vllmtest.WithoutToolCalls())
	}
	if *fault != "" {
		kind, ok := faultKind(*fault)
		if !ok {
			return usagef("--fault %q is not a known fault (see --help)", *fault)
		}
		opts = append(opts, vllmtest.WithFault(vllmtest.Fault{
			Kind: kind, Path: *faultPath, Status: *faultStatus, After: *faultAfter,
			Duration: *faultDur, RetryAfter: *retryAfter,
		}))
	}
	srv, err := vllmtest.Start(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintln(e.stdout, srv.URL)
	if fl, ok := e.stdout.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}
	fmt.Fprintf(e.stderr, "vllm mock: serving on %s (Ctrl-C to stop)\n", srv.URL)
	<-ctx.Done()
	return nil
}

// faultKind finds a fault kind by its name.
func faultKind(name string) (vllmtest.FaultKind, bool) {
	for k := vllmtest.FaultNone; k <= vllmtest.FaultReset; k++ {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}
