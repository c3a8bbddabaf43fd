package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm/vllmtest"
)

func init() { register(newMockCmd) }

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
  vllm mock --enable-prompt-tokens-details --num-gpu-blocks 2048 --prefill-time-per-token 100us
  vllm mock --fault status --fault-status 503 --fault-path /chat/completions
  vllm mock --addr 127.0.0.1:9000 &   # then: VLLM_BASE_URL=http://127.0.0.1:9000/v1 vllm chat hi`

// mockFlags are the settings of "vllm mock".
type mockFlags struct {
	addr, models, apiKey    string
	tokens, reasoning       int
	maxLen                  int
	tps                     float64
	ttft, itl               time.Duration
	noTools                 bool
	fault, faultPath        string
	retryAfter              string
	faultStatus, faultAfter int
	faultDur                time.Duration
	noPrefixCache           bool
	gpuBlocks, blockSize    int
	promptDetails           bool
	prefillPerToken         time.Duration
}

func newMockCmd(e *env) *cobra.Command {
	var m mockFlags
	cmd := newCommand("mock [flags]", "serve a fake vLLM (vllmtest) for development without a GPU", mockAbout, mockExamples)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runMock(cmd.Context(), e, &m) }
	fs := cmd.Flags()
	fs.StringVar(&m.addr, "addr", "127.0.0.1:8000", "address to listen on (port 0 picks a free one)")
	fs.StringVar(&m.models, "model", vllmtest.DefaultModel, "served model names, comma-separated; the first is the default (env VLLM_MODEL)")
	fs.StringVar(&m.apiKey, "api-key", "", "require this API key, as vLLM's --api-key does (env VLLM_API_KEY; never printed)")
	fs.IntVar(&m.tokens, "tokens", vllmtest.DefaultTokens, "tokens generated per answer (unless max_tokens asks for fewer)")
	fs.Float64Var(&m.tps, "tokens-per-second", 0, "generation speed (0: as fast as possible)")
	fs.DurationVar(&m.ttft, "ttft", 0, "time to first token")
	fs.DurationVar(&m.itl, "itl", 0, "inter-token latency (overrides --tokens-per-second)")
	fs.IntVar(&m.reasoning, "reasoning", 0, "reasoning tokens before each chat answer (0: none)")
	fs.BoolVar(&m.noTools, "no-tool-calls", false, "answer with text even when the request offers tools")
	fs.IntVar(&m.maxLen, "max-model-len", vllmtest.DefaultMaxModelLen, "context length reported by /v1/models")
	fs.BoolVar(&m.noPrefixCache, "no-enable-prefix-caching", false, "turn the simulated automatic prefix cache off (on by default, as in vLLM)")
	fs.IntVar(&m.gpuBlocks, "num-gpu-blocks", vllmtest.DefaultGPUBlocks, "KV-cache blocks of the simulated prefix cache")
	fs.IntVar(&m.blockSize, "block-size", vllmtest.DefaultBlockSize, "tokens per KV-cache block")
	fs.BoolVar(&m.promptDetails, "enable-prompt-tokens-details", false, "report usage.prompt_tokens_details.cached_tokens, as vLLM's flag of that name does")
	fs.DurationVar(&m.prefillPerToken, "prefill-time-per-token", 0, "time to first token added per prompt token not found in the prefix cache")
	fs.StringVar(&m.fault, "fault", "", "inject a fault into every matching request (see above)")
	fs.IntVar(&m.faultStatus, "fault-status", 500, "HTTP status of --fault status or error-event")
	fs.IntVar(&m.faultAfter, "fault-after", 0, "stream events sent before the fault strikes")
	fs.DurationVar(&m.faultDur, "fault-duration", time.Second, "how long --fault stall stalls")
	fs.StringVar(&m.faultPath, "fault-path", "", "only requests whose path ends with this, e.g. /chat/completions")
	fs.StringVar(&m.retryAfter, "fault-retry-after", "", "Retry-After header sent with --fault status")
	return cmd
}

func runMock(ctx context.Context, e *env, m *mockFlags) error {
	opts := []vllmtest.Option{vllmtest.WithTokens(m.tokens), vllmtest.WithMaxModelLen(m.maxLen)}
	models := m.models
	if v := os.Getenv(EnvModel); v != "" && models == vllmtest.DefaultModel {
		models = v
	}
	for _, name := range strings.Split(models, ",") {
		if name = strings.TrimSpace(name); name != "" {
			opts = append(opts, vllmtest.WithModel(name))
		}
	}
	key := m.apiKey
	if key == "" {
		key = os.Getenv(envAPIKey)
	}
	if key != "" {
		opts = append(opts, vllmtest.WithAPIKey(key))
	}
	if m.tps > 0 {
		opts = append(opts, vllmtest.WithTokensPerSecond(m.tps))
	}
	if m.itl > 0 {
		opts = append(opts, vllmtest.WithITL(m.itl))
	}
	if m.ttft > 0 {
		opts = append(opts, vllmtest.WithTTFT(m.ttft))
	}
	if m.reasoning > 0 {
		opts = append(opts, vllmtest.WithReasoning(m.reasoning))
	}
	if m.noTools {
		opts = append(opts, vllmtest.WithoutToolCalls())
	}
	if m.gpuBlocks < 1 || m.blockSize < 1 {
		return usagef("--num-gpu-blocks and --block-size must be positive")
	}
	if m.prefillPerToken < 0 {
		return usagef("--prefill-time-per-token must not be negative")
	}
	if m.noPrefixCache {
		opts = append(opts, vllmtest.WithPrefixCaching(0, 0))
	} else {
		opts = append(opts, vllmtest.WithPrefixCaching(m.gpuBlocks, m.blockSize))
	}
	if m.promptDetails {
		opts = append(opts, vllmtest.WithPromptTokensDetails())
	}
	if m.prefillPerToken > 0 {
		opts = append(opts, vllmtest.WithPrefillTime(m.prefillPerToken))
	}
	if m.fault != "" {
		kind, ok := faultKind(m.fault)
		if !ok {
			return usagef("--fault %q is not a known fault (see --help)", m.fault)
		}
		opts = append(opts, vllmtest.WithFault(vllmtest.Fault{
			Kind: kind, Path: m.faultPath, Status: m.faultStatus, After: m.faultAfter,
			Duration: m.faultDur, RetryAfter: m.retryAfter,
		}))
	}
	srv, err := vllmtest.Start(m.addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintln(e.stdout, srv.URL)
	if fl, ok := e.stdout.(interface{ Sync() error }); ok {
		_ = fl.Sync()
	}
	fmt.Fprintf(e.stderr, "vllm mock: serving on %s (Ctrl-C to stop); in another terminal: export %s=%s\n", srv.URL, envBaseURL, srv.URL)
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
