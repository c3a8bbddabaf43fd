package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/loadtest"
)

func init() { register(newBenchCmd) }

const benchLong = `Serving benchmarks of a vLLM deployment (or anything speaking its API).

  serve    vLLM's "vllm bench serve": same flags, same table, same result files
  sweep    serve at several request rates or concurrency limits; the highest one
           that still meets the --goodput SLOs
  report   one self-contained HTML page of charts from result files
  compare  two result files side by side, with the change in percent

The measuring is done by the Go package github.com/vllmgo/vllm/loadtest.`

func newBenchCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench COMMAND",
		Short: "serving benchmarks: serve (vLLM's vllm bench serve), sweep, report, compare",
		Long:  benchLong,
		Args:  cobra.ArbitraryArgs,
		// The flags of the former "vllm bench" reach RunE, which points to
		// "vllm bench serve".
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("a command is needed: serve, sweep, report or compare (what \"vllm bench FLAGS\" did is \"vllm bench serve FLAGS\"; see \"vllm bench --help\")")
		},
	}
	cmd.AddCommand(newBenchServeCmd(e), newBenchSweepCmd(e), newBenchReportCmd(e), newBenchCompareCmd(e))
	return cmd
}

const benchServeLong = `Load-tests a server exactly as vLLM's "vllm bench serve" does, with its
command line: the same flags and defaults, the same table on stdout, the same
result file keys (--save-result, --save-detailed). Every request streams and
asks for usage, so token counts come from the server: no tokenizer is needed,
and a flag that needs vLLM's Python side (a Hugging Face tokenizer or dataset,
Python plots) is refused with the reason.

The server is --base-url (its root, e.g. http://gpu-1:8000, without /v1) or
--host and --port; --endpoint is the path appended to it. Several --base-url
(repeated or comma-separated) are replicas the requests are spread over by the
library's balancer: --balance round-robin (default), least-outstanding or
prefix-affinity; the table and the result file then report the requests per
replica and the prefix cache's hits (from usage and from each /metrics). The
API key is --api-key, VLLM_API_KEY or OPENAI_API_KEY.

Datasets: random (default; synthetic prompts of --random-input-len tokens),
sharegpt (--dataset-path FILE.json), sonnet (--dataset-path sonnet.txt),
prefix_repetition, custom (--dataset-path FILE.jsonl of {"prompt": ...}), and
prefix-conversations (multi-turn chats sharing a system prompt and a hot
document, --conversations-*; with --backend openai-chat).

Exit status 1 when more than --allowed-failures requests failed (default 0:
any failure), after the table and the result file; the first errors are
printed before the table, as vLLM prints them.`

const benchServeExamples = `  vllm mock --tokens 1000 &
  vllm bench serve --model vllmtest-model --num-prompts 200 --random-input-len 512 --random-output-len 128
  vllm bench serve --backend openai-chat --endpoint /v1/chat/completions --model Qwen/Qwen3-8B \
      --dataset-name sharegpt --dataset-path ShareGPT_V3_unfiltered_cleaned_split.json \
      --request-rate 10 --burstiness 0.5 --max-concurrency 64 \
      --goodput ttft:500 tpot:50 --save-result --save-detailed --result-dir results/
  vllm bench serve --backend openai-chat --model vllmtest-model \
      --base-url http://127.0.0.1:8001,http://127.0.0.1:8002 --balance prefix-affinity \
      --dataset-name prefix-conversations --max-concurrency 32`

// serveFlags are the flags of "vllm bench serve", named as vLLM names them.
type serveFlags struct {
	backend, host, endpoint, model, servedModel, label          string
	baseURLs                                                    []string // --base-url, repeatable or comma-separated
	balance                                                     string
	port                                                        int
	apiKey                                                      string
	headers, metadata, goodput, loraModules                     []string
	loraAssignment                                              string
	maxConcurrency                                              string // a number, or a list for sweep
	requestRate                                                 string // a number or inf, or a list for sweep
	burstiness                                                  float64
	logprobs                                                    *int
	numPrompts, numWarmups, readyTimeout, seed                  int
	disableTqdm, ignoreEOS, saveResult, saveDetailed, appendRes bool
	skipTokenizerInit, insecure                                 bool
	resultDir, resultFilename, requestIDPrefix                  string
	percentileMetrics, metricPercentiles                        string
	extraBody                                                   string
	rampStrategy                                                string
	rampStart, rampEnd                                          int
	allowedFailures                                             int
	// flagSet holds the flags above, for the records of envPyTorchFormat.
	flagSet *pflag.FlagSet

	topP, minP, temperature, frequencyPenalty, presencePenalty, repetitionPenalty *float64
	topK                                                                          *int

	// dataset
	datasetName, datasetPath                           string
	noOversample, skipChatTemplate, disableShuffle     bool
	inputLen, outputLen                                *int
	randomInputLen, randomOutputLen, randomPrefixLen   int
	randomRangeRatio                                   float64
	sharegptOutputLen                                  *int
	customOutputLen                                    int
	sonnetInputLen, sonnetOutputLen, sonnetPrefixLen   int
	prefixLen, suffixLen, numPrefixes, prefixOutputLen int
	conversations                                      loadtest.PrefixConversations

	refused map[string]*string
}

// refusedFlags are vLLM's flags that need its Python side or that this
// benchmark does not support, with the reason given when one is used.
var refusedFlags = []struct {
	name, reason string
	isBool       bool
}{
	{"tokenizer", "it loads a Hugging Face tokenizer; here token counts come from the server's usage report", false},
	{"tokenizer-mode", "it selects a Hugging Face tokenizer; here token counts come from the server's usage report", false},
	{"trust-remote-code", "it runs a Hugging Face tokenizer's code; no tokenizer is loaded here", true},
	{"chat-template-kwargs", "it applies the chat template on the client (Python); pass them to the server with --extra-body '{\"chat_template_kwargs\": {...}}'", false},
	{"use-beam-search", "beam search is not supported by this benchmark", true},
	{"profile", "starting vLLM's profiler is not supported by this benchmark", true},
	{"probe-request-rate", "probe requests are not supported by this benchmark", false},
	{"plot-timeline", "it draws with Python plotting libraries; run \"vllm bench report RESULT.json -o report.html\" on a --save-detailed result instead", true},
	{"timeline-itl-thresholds", "it belongs to --plot-timeline (Python plots); use \"vllm bench report\"", false},
	{"plot-dataset-stats", "it draws with matplotlib (Python); use \"vllm bench report\"", true},
	{"self-timed", "timed-trace replay is not supported by this benchmark", true},
	{"no-self-timed", "timed-trace replay is not supported by this benchmark", true},
	{"no-stream", "it loads a Hugging Face dataset (Python); use a local --dataset-path with sharegpt or custom", true},
	{"hf-subset", "Hugging Face datasets need vLLM's Python side; use a local --dataset-path with sharegpt or custom", false},
	{"hf-split", "Hugging Face datasets need vLLM's Python side; use a local --dataset-path with sharegpt or custom", false},
	{"hf-name", "Hugging Face datasets need vLLM's Python side; use a local --dataset-path with sharegpt or custom", false},
	{"hf-output-len", "Hugging Face datasets need vLLM's Python side; use a local --dataset-path with sharegpt or custom", false},
	{"spec-bench-output-len", "the spec_bench dataset is not supported by this benchmark", false},
	{"spec-bench-category", "the spec_bench dataset is not supported by this benchmark", false},
	{"blazedit-min-distance", "the blazedit dataset is a Hugging Face dataset (Python)", false},
	{"blazedit-max-distance", "the blazedit dataset is a Hugging Face dataset (Python)", false},
	{"random-batch-size", "batched (embedding) requests are not supported by this benchmark", false},
	{"no-reranker", "reranker benchmarks are not supported by this benchmark", true},
	{"random-mm-base-items-per-request", "multimodal datasets (random-mm) need vLLM's Python side", false},
	{"random-mm-num-mm-items-range-ratio", "multimodal datasets (random-mm) need vLLM's Python side", false},
	{"random-mm-limit-mm-per-prompt", "multimodal datasets (random-mm) need vLLM's Python side", false},
	{"random-mm-bucket-config", "multimodal datasets (random-mm) need vLLM's Python side", false},
	{"enable-multimodal-chat", "multimodal datasets need vLLM's Python side", true},
}

// refusedDatasets are vLLM's datasets this benchmark does not offer.
var refusedDatasets = map[string]string{
	"hf":            "Hugging Face datasets need vLLM's Python side (the datasets library)",
	"burstgpt":      "the burstgpt dataset needs a tokenizer to build its prompts",
	"random-mm":     "multimodal datasets need vLLM's Python side (PIL, numpy)",
	"random-rerank": "reranker benchmarks are not supported",
	"spec_bench":    "the spec_bench dataset is not supported",
	"speed_bench":   "the speed_bench dataset is not supported",
	"txt-slices":    "txt-slices cuts a text at token boundaries, which needs a tokenizer",
	"timed_trace":   "timed-trace replay is not supported",
	"custom_audio":  "audio benchmarks are not supported",
	"custom_image":  "image datasets are not supported",
}

// multiValueFlags take several values after one flag, as vLLM's (argparse
// nargs) do: "--goodput ttft:500 tpot:50".
var multiValueFlags = map[string]bool{"--header": true, "--metadata": true, "--goodput": true, "--lora-modules": true, "--base-url": true}

// expandMultiValueFlags rewrites "vllm bench serve --goodput a b" as
// "... --goodput a --goodput b", for the bench commands that take no
// arguments.
func expandMultiValueFlags(args []string) []string {
	if len(args) < 2 || args[0] != "bench" || (args[1] != "serve" && args[1] != "sweep") {
		return args
	}
	out := append([]string(nil), args[:2]...)
	flag := ""
	for _, a := range args[2:] {
		switch {
		case a == "--":
			flag = ""
		case strings.HasPrefix(a, "-"):
			flag = ""
			if multiValueFlags[a] {
				flag = a
				out = append(out, a)
				continue
			}
		case flag != "" && out[len(out)-1] != flag:
			out = append(out, flag)
		}
		out = append(out, a)
	}
	return out
}

func (s *serveFlags) register(f *pflag.FlagSet, sweep bool) {
	s.flagSet = f
	f.StringVar(&s.label, "label", "", "label of the result (default: the backend), the prefix of its file name")
	f.StringVar(&s.backend, "backend", "openai", "request format: openai or vllm (legacy completions), openai-chat")
	f.Var(listFlag{&s.baseURLs}, "base-url", "server root, e.g. http://gpu-1:8000 (without /v1); default http://HOST:PORT. Several (repeated or comma-separated) are replicas the requests are spread over (--balance)")
	f.StringVar(&s.balance, "balance", "", "with several --base-url: round-robin (default), least-outstanding or prefix-affinity (vllm.WithBalance)")
	f.StringVar(&s.host, "host", "127.0.0.1", "server host")
	f.IntVar(&s.port, "port", 8000, "server port")
	f.StringVar(&s.endpoint, "endpoint", "", "API path (default /v1/completions, /v1/chat/completions for openai-chat)")
	f.StringVar(&s.apiKey, "api-key", "", "API key sent as a bearer token (env VLLM_API_KEY or OPENAI_API_KEY; never printed)")
	f.Var(listFlag{&s.headers}, "header", "KEY=VALUE header sent with every request (several may follow the flag)")
	if sweep {
		f.StringVar(&s.maxConcurrency, "max-concurrency", "", "maximum requests in flight; comma-separated values to sweep over")
		f.StringVar(&s.requestRate, "request-rate", "inf", "requests per second (or inf); comma-separated values to sweep over, e.g. 1,2,4,8,inf")
	} else {
		f.StringVar(&s.maxConcurrency, "max-concurrency", "", "maximum requests in flight (default: no limit)")
		f.StringVar(&s.requestRate, "request-rate", "inf", "requests per second with Poisson (or gamma) arrivals, or inf to send all at once")
	}
	f.StringVar(&s.model, "model", "", "model to benchmark (default: the first model the server lists)")
	f.StringVar(&s.servedModel, "served-model-name", "", "model name sent in requests when it differs from --model")
	f.Var(optInt{&s.inputLen}, "input-len", "input length for the dataset (sets --random-input-len)")
	f.Var(optInt{&s.outputLen}, "output-len", "output length for the dataset (sets --random-, --sharegpt-, --custom-, --prefix-repetition-output-len)")
	f.Var(optInt{&s.logprobs}, "logprobs", "log probabilities per token to ask for (completions)")
	f.Float64Var(&s.burstiness, "burstiness", 1, "gamma shape of the arrivals: 1 Poisson, lower burstier, higher more uniform")
	f.BoolVar(&s.disableTqdm, "disable-tqdm", false, "no progress bar")
	f.IntVar(&s.numWarmups, "num-warmups", 0, "unmeasured requests sent first")
	f.BoolVar(&s.saveResult, "save-result", false, "save the result as JSON")
	f.BoolVar(&s.saveDetailed, "save-detailed", false, "include the per-request arrays in the result file")
	f.BoolVar(&s.appendRes, "append-result", false, "append the result to the file as a new JSON line")
	f.Var(listFlag{&s.metadata}, "metadata", "KEY=VALUE saved in the result file (several may follow the flag)")
	f.StringVar(&s.resultDir, "result-dir", "", "directory of the result file")
	f.StringVar(&s.resultFilename, "result-filename", "", "result file name (default LABEL-RATEqps[-concurrencyN]-MODEL-DATE.json)")
	f.BoolVar(&s.ignoreEOS, "ignore-eos", false, "ask for exactly the output length (set for the random dataset)")
	f.StringVar(&s.percentileMetrics, "percentile-metrics", "ttft,tpot,itl", "metrics to report: ttft, tpot, itl, e2el, client_queue_time, e2el_including_client_queue")
	f.StringVar(&s.metricPercentiles, "metric-percentiles", "99", "comma-separated percentiles to report, e.g. 25,50,75,99.9")
	f.Var(listFlag{&s.goodput}, "goodput", "SLOs in ms as KEY:VALUE (ttft, tpot, e2el); several may follow the flag")
	f.StringVar(&s.requestIDPrefix, "request-id-prefix", "", "prefix of the x-request-id of each request (default bench-RANDOM-)")
	f.Var(optFloat{&s.topP}, "top-p", "top_p sent with every request")
	f.Var(optInt{&s.topK}, "top-k", "top_k sent with every request")
	f.Var(optFloat{&s.minP}, "min-p", "min_p sent with every request")
	f.Var(optFloat{&s.temperature}, "temperature", "temperature sent with every request (default: the server's)")
	f.Var(optFloat{&s.frequencyPenalty}, "frequency-penalty", "frequency_penalty sent with every request")
	f.Var(optFloat{&s.presencePenalty}, "presence-penalty", "presence_penalty sent with every request")
	f.Var(optFloat{&s.repetitionPenalty}, "repetition-penalty", "repetition_penalty sent with every request")
	f.Var(listFlag{&s.loraModules}, "lora-modules", "LoRA adapters to spread the requests over (several may follow the flag)")
	f.StringVar(&s.loraAssignment, "lora-assignment", "random", "random or round-robin choice of --lora-modules")
	f.StringVar(&s.rampStrategy, "ramp-up-strategy", "", "linear or exponential ramp-up of the request rate")
	f.IntVar(&s.rampStart, "ramp-up-start-rps", -1, "request rate at the start of the ramp-up")
	f.IntVar(&s.rampEnd, "ramp-up-end-rps", -1, "request rate at the end of the ramp-up")
	f.IntVar(&s.readyTimeout, "ready-check-timeout-sec", 0, "repeat the first request up to this many seconds until the server answers (0: no check)")
	f.StringVar(&s.extraBody, "extra-body", "", "JSON object merged into every request body")
	f.BoolVar(&s.skipTokenizerInit, "skip-tokenizer-init", false, "accepted for vLLM's command lines: no tokenizer is ever loaded here")
	f.BoolVar(&s.insecure, "insecure", false, "do not verify the server's TLS certificate")
	f.IntVar(&s.allowedFailures, "allowed-failures", 0, "failed requests tolerated before the exit status is 1")
	f.IntVar(&s.seed, "seed", 0, "random seed of the dataset and the arrivals")
	f.IntVar(&s.numPrompts, "num-prompts", 1000, "number of requests")
	f.StringVar(&s.datasetName, "dataset-name", "random", "random, sharegpt, sonnet, prefix_repetition, custom, or prefix-conversations (multi-turn chats sharing prefixes; --backend openai-chat)")
	f.StringVar(&s.datasetPath, "dataset-path", "", "the sharegpt (.json), sonnet (.txt) or custom (.jsonl) file")
	f.BoolVar(&s.noOversample, "no-oversample", false, "send fewer requests when the dataset holds fewer than --num-prompts")
	f.BoolVar(&s.skipChatTemplate, "skip-chat-template", false, "accepted for vLLM's command lines: prompts are always sent as they are")
	f.BoolVar(&s.disableShuffle, "disable-shuffle", false, "keep the dataset's order")
	f.IntVar(&s.customOutputLen, "custom-output-len", 256, "output tokens per request of the custom dataset")
	f.IntVar(&s.sonnetInputLen, "sonnet-input-len", 550, "input tokens per request of the sonnet dataset")
	f.IntVar(&s.sonnetOutputLen, "sonnet-output-len", 150, "output tokens per request of the sonnet dataset")
	f.IntVar(&s.sonnetPrefixLen, "sonnet-prefix-len", 200, "shared prefix tokens of the sonnet dataset")
	f.Var(optInt{&s.sharegptOutputLen}, "sharegpt-output-len", "output tokens per request, instead of the ShareGPT answer's length")
	f.IntVar(&s.randomInputLen, "random-input-len", 1024, "input tokens per request of the random dataset")
	f.IntVar(&s.randomOutputLen, "random-output-len", 128, "output tokens per request of the random dataset")
	f.Float64Var(&s.randomRangeRatio, "random-range-ratio", 0, "spread of the random lengths: [len*(1-r), len*(1+r)], r in [0, 1)")
	f.IntVar(&s.randomPrefixLen, "random-prefix-len", 0, "shared prefix tokens before each random prompt")
	f.IntVar(&s.prefixLen, "prefix-repetition-prefix-len", 256, "prefix tokens of the prefix_repetition dataset")
	f.IntVar(&s.suffixLen, "prefix-repetition-suffix-len", 256, "suffix tokens of the prefix_repetition dataset")
	f.IntVar(&s.numPrefixes, "prefix-repetition-num-prefixes", 10, "distinct prefixes of the prefix_repetition dataset")
	f.IntVar(&s.prefixOutputLen, "prefix-repetition-output-len", 128, "output tokens of the prefix_repetition dataset")
	pc := loadtest.DefaultPrefixConversations()
	f.IntVar(&s.conversations.Conversations, "conversations-num", pc.Conversations, "conversations of the prefix-conversations dataset (requests: this × --conversations-turns)")
	f.IntVar(&s.conversations.Turns, "conversations-turns", pc.Turns, "turns of each conversation")
	f.IntVar(&s.conversations.SystemLen, "conversations-system-len", pc.SystemLen, "words of the system prompt every conversation starts with")
	f.IntVar(&s.conversations.DocumentLen, "conversations-document-len", pc.DocumentLen, "words of the hot document a share of the conversations quote")
	f.Float64Var(&s.conversations.DocumentShare, "conversations-document-share", pc.DocumentShare, "share of the conversations quoting the document, in [0, 1]")
	f.IntVar(&s.conversations.QuestionLen, "conversations-question-len", pc.QuestionLen, "words of each user turn")
	f.IntVar(&s.conversations.OutputLen, "conversations-output-len", pc.OutputLen, "output tokens of each turn")
	f.DurationVar(&s.conversations.MaxPause, "conversations-max-pause", pc.MaxPause, "longest random pause of a conversation after each turn")
	s.refused = map[string]*string{}
	for _, r := range refusedFlags {
		v := new(string)
		s.refused[r.name] = v
		if r.isBool {
			fl := f.VarPF(boolString{v}, r.name, "", "refused: "+r.reason)
			fl.NoOptDefVal = "true"
		} else {
			f.StringVar(v, r.name, "", "refused: "+r.reason)
		}
		_ = f.MarkHidden(r.name)
	}
}

// boolString is a refused boolean flag.
type boolString struct{ p *string }

func (b boolString) String() string     { return *b.p }
func (b boolString) Type() string       { return "bool" }
func (b boolString) IsBoolFlag() bool   { return true }
func (b boolString) Set(s string) error { *b.p = s; return nil }

// check refuses the flags and datasets this benchmark does not offer.
func (s *serveFlags) check(f *pflag.FlagSet) error {
	for _, r := range refusedFlags {
		if f.Changed(r.name) {
			if r.name == "random-batch-size" && *s.refused[r.name] == "1" {
				continue
			}
			return usagef("--%s is not supported: %s", r.name, r.reason)
		}
	}
	if why, ok := refusedDatasets[s.datasetName]; ok {
		return usagef("--dataset-name %s is not supported: %s", s.datasetName, why)
	}
	switch s.backend {
	case "openai", "vllm", "openai-chat":
	default:
		return usagef("--backend %s is not supported: this benchmark speaks openai and vllm (legacy completions) and openai-chat", s.backend)
	}
	if s.datasetName == "prefix-conversations" {
		if s.backend != "openai-chat" {
			return usagef("--dataset-name prefix-conversations sends multi-turn chats: it needs --backend openai-chat")
		}
		if f.Changed("num-prompts") {
			return usagef("--dataset-name prefix-conversations sends --conversations-num × --conversations-turns requests: give those instead of --num-prompts")
		}
	}
	if _, err := s.balanceOption(); err != nil {
		return err
	}
	if s.balance != "" && len(s.urls()) < 2 {
		return usagef("--balance %s spreads requests over replicas: give several --base-url", s.balance)
	}
	return nil
}

// urls returns the --base-url values, split at commas.
func (s *serveFlags) urls() []string {
	var out []string
	for _, v := range s.baseURLs {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSuffix(strings.TrimSpace(u), "/"); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

// balances are the --balance values.
var balances = map[string]vllm.Balance{
	"round-robin": vllm.RoundRobin, "least-outstanding": vllm.LeastOutstanding, "prefix-affinity": vllm.PrefixAffinity,
}

// balanceOption returns the balance --balance names (the library's
// default, round-robin, when it is not given).
func (s *serveFlags) balanceOption() (vllm.Balance, error) {
	if s.balance == "" {
		return vllm.RoundRobin, nil
	}
	b, ok := balances[s.balance]
	if !ok {
		return 0, usagef("--balance %q: want round-robin, least-outstanding or prefix-affinity", s.balance)
	}
	return b, nil
}

// target is the server (or replicas) and model a run goes to.
type target struct {
	baseURL, model, modelID, apiKey string
	header                          http.Header
	client                          *http.Client
	// With several --base-url: replicas are their roots, balance names the
	// --balance, balanced spreads the requests over them (client's
	// transport is its RoundTripper) and direct is the client that reads
	// their /metrics (nil: loadtest's own).
	replicas []string
	balance  string
	balanced *vllm.Client
	direct   *http.Client
}

// close releases the balancing client.
func (t *target) close() {
	if t.balanced != nil {
		t.balanced.Close()
	}
}

func (s *serveFlags) target(ctx context.Context, out io.Writer) (*target, error) {
	t := &target{apiKey: s.apiKey, header: http.Header{}}
	urls := s.urls()
	if len(urls) > 0 {
		t.baseURL = urls[0]
	} else {
		t.baseURL = "http://" + net.JoinHostPort(s.host, strconv.Itoa(s.port))
	}
	if t.apiKey == "" {
		t.apiKey = os.Getenv(envAPIKey)
	}
	if t.apiKey == "" {
		t.apiKey = os.Getenv("OPENAI_API_KEY")
	}
	for _, h := range s.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok {
			return nil, usagef("--header %q: invalid header format, use KEY=VALUE", h)
		}
		t.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if s.insecure {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		tr.MaxIdleConnsPerHost = 4096
		tr.DisableCompression = true
		t.client = &http.Client{Transport: tr}
	}
	if len(urls) > 1 {
		if err := s.balanceOver(t, urls); err != nil {
			return nil, err
		}
	}
	t.model, t.modelID = s.model, s.model
	if s.servedModel != "" {
		t.model = s.servedModel
	}
	if t.model == "" {
		fmt.Fprintln(out, "Model not specified, fetching first model from server...")
		id, root, err := t.firstModel(ctx)
		if err != nil {
			return nil, err
		}
		t.model, t.modelID = id, root
		fmt.Fprintf(out, "First model name: %s, first model id: %s\n", id, root)
	}
	return t, nil
}

// balanceOver makes t spread the requests over the replicas urls (roots,
// without /v1) with the --balance strategy: through a vllm.Client whose
// endpoints they are, so that the balancing is the library's own.
func (s *serveFlags) balanceOver(t *target, urls []string) error {
	b, err := s.balanceOption()
	if err != nil {
		return err
	}
	t.balance = s.balance
	if t.balance == "" {
		t.balance = "round-robin"
	}
	var extra []string
	for _, u := range urls[1:] {
		extra = append(extra, u+"/v1")
	}
	// No timeout (loadtest's own client has none), no retries (the
	// library's default): a failed request counts as failed.
	opts := []vllm.Option{vllm.WithEndpoints(extra...), vllm.WithBalance(b), vllm.WithTimeout(0)}
	if t.client != nil {
		opts = append(opts, vllm.WithHTTPClient(t.client))
		t.direct = t.client
	}
	c, err := vllm.New(urls[0]+"/v1", opts...)
	if err != nil {
		return usagef("--base-url: %v", err)
	}
	t.balanced, t.replicas = c, urls
	t.client = &http.Client{Transport: c.RoundTripper()}
	return nil
}

// firstModel asks the server's /v1/models for its first model, as vLLM's
// benchmark does, and returns its id and root.
func (t *target) firstModel(ctx context.Context) (id, root string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.baseURL+"/v1/models", nil)
	if err != nil {
		return "", "", usagef("--base-url %q: %v", t.baseURL, err)
	}
	req.Header = t.header.Clone()
	if t.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.apiKey)
	}
	c := t.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("cannot reach the server at %s (%v); start one (\"vllm mock\" serves a fake vLLM) or give --base-url (its root, without /v1) or --host and --port", t.baseURL, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var list struct {
		Data []struct {
			ID   string `json:"id"`
			Root string `json:"root"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
		return "", "", fmt.Errorf("GET %s/v1/models: %s: %s (give --model)", t.baseURL, resp.Status, oneLine(string(body)))
	}
	if len(list.Data) == 0 {
		return "", "", fmt.Errorf("the server at %s lists no model", t.baseURL)
	}
	id, root = list.Data[0].ID, list.Data[0].Root
	if root == "" {
		root = id
	}
	return id, root, nil
}

func (s *serveFlags) defaultRequestIDPrefix() {
	if s.requestIDPrefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		s.requestIDPrefix = "bench-" + hex.EncodeToString(b[:]) + "-"
	}
}

// workload puts the workload of the dataset flags into cfg: requests, or
// the conversations of prefix-conversations.
func (s *serveFlags) workload(cfg *loadtest.Config) error {
	if s.datasetName != "prefix-conversations" {
		reqs, err := s.dataset()
		cfg.Requests = reqs
		return err
	}
	if s.datasetPath != "" {
		return usagef("--dataset-name prefix-conversations takes no --dataset-path")
	}
	if s.outputLen != nil {
		s.conversations.OutputLen = *s.outputLen
	}
	s.defaultRequestIDPrefix()
	convs, err := s.conversations.Generate(loadtest.SampleOptions{Seed: int64(s.seed), RequestIDPrefix: s.requestIDPrefix})
	if err != nil {
		return usagef("%v", err)
	}
	cfg.Conversations = convs
	return nil
}

// dataset builds the workload as vLLM's get_samples does.
func (s *serveFlags) dataset() ([]loadtest.Request, error) {
	if s.inputLen != nil {
		s.randomInputLen = *s.inputLen
	}
	if s.outputLen != nil {
		o := *s.outputLen
		s.randomOutputLen, s.sharegptOutputLen, s.customOutputLen, s.prefixOutputLen = o, &o, o, o
	}
	if (s.datasetName == "random" || s.datasetName == "prefix_repetition") && s.datasetPath != "" {
		return nil, usagef("--dataset-name %s takes no --dataset-path; name the dataset of %s (sharegpt, custom, sonnet)", s.datasetName, s.datasetPath)
	}
	var d loadtest.Dataset
	switch s.datasetName {
	case "random":
		d = loadtest.Random{InputLen: s.randomInputLen, OutputLen: s.randomOutputLen, PrefixLen: s.randomPrefixLen, RangeRatio: s.randomRangeRatio}
	case "prefix_repetition":
		d = loadtest.PrefixRepetition{PrefixLen: s.prefixLen, SuffixLen: s.suffixLen, NumPrefixes: s.numPrefixes, OutputLen: s.prefixOutputLen}
	case "sharegpt", "sonnet", "custom":
		if s.datasetPath == "" {
			return nil, usagef("--dataset-name %s needs --dataset-path", s.datasetName)
		}
		switch s.datasetName {
		case "sharegpt":
			sg := loadtest.ShareGPT{Path: s.datasetPath}
			if s.sharegptOutputLen != nil {
				sg.OutputLen = *s.sharegptOutputLen
			}
			d = sg
		case "sonnet":
			d = loadtest.Sonnet{Path: s.datasetPath, InputLen: s.sonnetInputLen, OutputLen: s.sonnetOutputLen, PrefixLen: s.sonnetPrefixLen}
		default:
			d = loadtest.Custom{Path: s.datasetPath, OutputLen: s.customOutputLen}
		}
	default:
		return nil, usagef("--dataset-name %q: want random, sharegpt, sonnet, prefix_repetition, custom or prefix-conversations", s.datasetName)
	}
	s.defaultRequestIDPrefix()
	reqs, err := d.Sample(s.numPrompts, loadtest.SampleOptions{
		Seed: int64(s.seed), RequestIDPrefix: s.requestIDPrefix, NoOversample: s.noOversample, DisableShuffle: s.disableShuffle,
	})
	if err != nil {
		return nil, usagef("%v", err)
	}
	if len(s.loraModules) > 0 {
		pick := newSeededPicker(int64(s.seed))
		for i := range reqs {
			if s.loraAssignment == "round-robin" {
				reqs[i].Model = s.loraModules[i%len(s.loraModules)]
			} else {
				reqs[i].Model = s.loraModules[pick(len(s.loraModules))]
			}
		}
	}
	return reqs, nil
}

// config builds the run's configuration from the flags (the rate and
// concurrency given).
func (s *serveFlags) config(t *target, rate float64, conc int) (loadtest.Config, error) {
	cfg := loadtest.Config{
		BaseURL: t.baseURL, Endpoint: s.endpoint, Backend: s.backend, Model: t.model,
		Arrival: loadtest.Arrival{Rate: rate, Burstiness: s.burstiness}, Seed: int64(s.seed),
		MaxConcurrency: conc, IgnoreEOS: s.ignoreEOS, Logprobs: s.logprobs, Header: t.header, APIKey: t.apiKey,
		NumWarmups: s.numWarmups, ReadyTimeout: time.Duration(s.readyTimeout) * time.Second, HTTPClient: t.client,
	}
	if err := s.workload(&cfg); err != nil {
		return cfg, err
	}
	if s.datasetName == "random" {
		cfg.IgnoreEOS = true // as vLLM does for the random dataset
	}
	if len(t.replicas) > 0 {
		cfg.Replicas, cfg.MetricsClient = t.replicas, t.direct
	} else if len(cfg.Conversations) > 0 {
		cfg.Replicas, cfg.MetricsClient = []string{t.baseURL}, t.client
	}
	if s.rampStrategy != "" {
		if s.rampStart < 0 || s.rampEnd < 0 {
			return cfg, usagef("--ramp-up-strategy needs --ramp-up-start-rps and --ramp-up-end-rps")
		}
		cfg.Arrival.RampUp, cfg.Arrival.RampUpStartRPS, cfg.Arrival.RampUpEndRPS = s.rampStrategy, float64(s.rampStart), float64(s.rampEnd)
	}
	extra := map[string]any{}
	for name, v := range map[string]*float64{"top_p": s.topP, "min_p": s.minP, "temperature": s.temperature,
		"frequency_penalty": s.frequencyPenalty, "presence_penalty": s.presencePenalty, "repetition_penalty": s.repetitionPenalty} {
		if v != nil {
			extra[name] = *v
		}
	}
	if s.topK != nil {
		extra["top_k"] = *s.topK
	}
	if s.extraBody != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(s.extraBody), &m); err != nil || m == nil {
			return cfg, usagef("--extra-body must be a JSON object: %q", s.extraBody)
		}
		for k, v := range m {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		cfg.ExtraBody = extra
	}
	for _, m := range strings.Split(s.percentileMetrics, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Metrics = append(cfg.Metrics, m)
		}
	}
	for _, p := range strings.Split(s.metricPercentiles, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return cfg, usagef("--metric-percentiles %q: %q is not a number", s.metricPercentiles, p)
		}
		cfg.Percentiles = append(cfg.Percentiles, v)
	}
	slo, err := parseGoodput(s.goodput)
	if err != nil {
		return cfg, err
	}
	cfg.Goodput = slo
	return cfg, nil
}

// parseGoodput reads vLLM's --goodput KEY:VALUE pairs (milliseconds); a
// comma also separates pairs.
func parseGoodput(pairs []string) (loadtest.SLO, error) {
	var slo loadtest.SLO
	for _, p := range pairs {
		for _, kv := range strings.Split(p, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, ":")
			ms, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				return slo, usagef("--goodput %q: specify service level objectives as KEY:VALUE pairs, the value in milliseconds", kv)
			}
			if ms < 0 {
				return slo, usagef("--goodput %q: the value must not be negative", kv)
			}
			d := time.Duration(ms * float64(time.Millisecond))
			switch k {
			case "ttft":
				slo.TTFT = d
			case "tpot":
				slo.TPOT = d
			case "e2el":
				slo.E2EL = d
			default:
				return slo, usagef("--goodput %q: the metric must be one of ttft, tpot, e2el", kv)
			}
		}
	}
	return slo, nil
}

// parseRate reads a request rate: a positive number or inf.
func parseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "inf" || s == "Infinity" {
		return math.Inf(1), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, usagef("--request-rate %q: want a positive number or inf", s)
	}
	return v, nil
}

// parseConcurrency reads --max-concurrency: empty is no limit.
func parseConcurrency(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, usagef("--max-concurrency %q: must be greater than 0", s)
	}
	return v, nil
}

// pyFloat is Python's str() of a float, as vLLM prints and names files
// with it: 10.0, 0.5, inf.
func pyFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func newSeededPicker(seed int64) func(n int) int {
	state := uint64(seed)*6364136223846793005 + 1442695040888963407
	return func(n int) int {
		state = state*6364136223846793005 + 1442695040888963407
		return int((state >> 33) % uint64(n))
	}
}

func newBenchServeCmd(e *env) *cobra.Command {
	var s serveFlags
	cmd := newCommand("serve [flags]", "vLLM's serving benchmark (vllm bench serve): same flags, table and result files", benchServeLong, benchServeExamples)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := s.check(cmd.Flags()); err != nil {
			return err
		}
		rate, err := parseRate(s.requestRate)
		if err != nil {
			return err
		}
		conc, err := parseConcurrency(s.maxConcurrency)
		if err != nil {
			return err
		}
		if s.rampStrategy != "" && cmd.Flags().Changed("request-rate") && !math.IsInf(rate, 1) {
			return usagef("when using ramp-up, do not specify --request-rate: the ramp-up parameters control the rate")
		}
		res, err := s.serve(cmd.Context(), e, rate, conc)
		if err != nil {
			return err
		}
		verdict := s.judge(res)
		if _, err := s.save(res, time.Now()); err != nil {
			return err
		}
		return verdict
	}
	s.register(cmd.Flags(), false)
	return cmd
}

// serve runs one benchmark and prints what vLLM prints.
func (s *serveFlags) serve(ctx context.Context, e *env, rate float64, conc int) (*loadtest.Result, error) {
	t, err := s.target(ctx, e.stdout)
	if err != nil {
		return nil, err
	}
	defer t.close()
	cfg, err := s.config(t, rate, conc)
	if err != nil {
		return nil, err
	}
	return runAndPrint(ctx, e, cfg, s, t)
}

func runAndPrint(ctx context.Context, e *env, cfg loadtest.Config, s *serveFlags, t *target) (*loadtest.Result, error) {
	out := e.stdout
	if cfg.ReadyTimeout > 0 {
		fmt.Fprintln(out, "Starting initial single prompt test run...")
	} else {
		fmt.Fprintln(out, "Skipping endpoint ready check.")
	}
	if cfg.NumWarmups > 0 {
		fmt.Fprintf(out, "Warming up with %d requests...\n", cfg.NumWarmups)
	}
	fmt.Fprintln(out, "Starting main benchmark run...")
	if cfg.Arrival.RampUp != "" {
		fmt.Fprintf(out, "Traffic ramp-up strategy: %s.\n", cfg.Arrival.RampUp)
		fmt.Fprintf(out, "Will increase RPS from %d to %d RPS over the duration of the benchmark.\n", s.rampStart, s.rampEnd)
	} else {
		fmt.Fprintf(out, "Traffic request rate: %s\n", pyFloat(cfg.Arrival.Rate))
	}
	dist := "Poisson process"
	if s.burstiness != 1 {
		dist = "Gamma distribution"
	}
	fmt.Fprintf(out, "Burstiness factor: %s (%s)\n", pyFloat(s.burstiness), dist)
	conc := "None"
	if cfg.MaxConcurrency > 0 {
		conc = strconv.Itoa(cfg.MaxConcurrency)
	}
	fmt.Fprintf(out, "Maximum request concurrency: %s\n", conc)

	var done atomic.Int64
	stop := func() {}
	if !s.disableTqdm {
		bar := newProgress(e.stderr, "bench", 5*time.Second)
		total := len(cfg.Requests)
		for _, c := range cfg.Conversations {
			total += len(c.Questions)
		}
		stop = bar.start(func() (int, int, string) { return int(done.Load()), total, "" })
		cfg.Progress = func(d, _ int) { done.Store(int64(d)) }
	}
	res, err := loadtest.Run(ctx, cfg)
	stop()
	if err != nil {
		return nil, err
	}
	res.ModelID, res.Label = t.modelID, s.label
	if len(cfg.Conversations) == 0 {
		res.NumPrompts = s.numPrompts
	}
	if res.Routing != nil {
		res.Routing.Balance = t.balance
	}
	for _, kv := range s.metadata {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--metadata %q: invalid metadata format, use KEY=VALUE", kv)
		}
		res.Metadata = append(res.Metadata, loadtest.KeyValue{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	if errs := res.FirstErrors(10); len(errs) > 0 {
		fmt.Fprintln(out, "Failed requests during benchmark run detected (capping to 10):")
		for i, msg := range errs {
			fmt.Fprintf(out, "Error %d: %s\n", i, msg)
		}
	}
	if err := res.WriteTable(out); err != nil {
		return nil, err
	}
	return res, nil
}

// fileName is vLLM's result file name.
func (s *serveFlags) fileName(res *loadtest.Result, now time.Time) string {
	label := s.label
	if label == "" {
		label = s.backend
	}
	conc := ""
	if res.MaxConcurrency > 0 {
		conc = fmt.Sprintf("-concurrency%d", res.MaxConcurrency)
	}
	model := res.ModelID[strings.LastIndex(res.ModelID, "/")+1:]
	dt := now.Format("20060102-150405")
	if res.RampUpStrategy != "" {
		return fmt.Sprintf("%s-ramp-up-%s-%dqps-%dqps%s-%s-%s.json", label, res.RampUpStrategy, s.rampStart, s.rampEnd, conc, model, dt)
	}
	return fmt.Sprintf("%s-%sqps%s-%s-%s.json", label, pyFloat(res.RequestRate), conc, model, dt)
}

// save writes the result file when asked, and returns its path.
func (s *serveFlags) save(res *loadtest.Result, now time.Time) (string, error) {
	if !s.saveDetailed {
		res.DropDetails()
	}
	if !s.saveResult && !s.appendRes {
		return "", nil
	}
	name := s.fileName(res, now)
	if s.resultFilename != "" {
		name = s.resultFilename
	}
	if s.resultDir != "" {
		if err := os.MkdirAll(s.resultDir, 0o755); err != nil {
			return "", err
		}
		name = filepath.Join(s.resultDir, name)
	}
	b, err := res.MarshalJSON()
	if err != nil {
		return "", err
	}
	if s.appendRes {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return "", err
		}
		line := b
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			line = append([]byte("\n"), b...)
		}
		_, err = f.Write(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return name, err
		}
	} else if err := os.WriteFile(name, b, 0o644); err != nil {
		return name, err
	}
	if os.Getenv(envPyTorchFormat) != "" {
		return name, writePyTorch(name, s.flagSet, s.model, b)
	}
	return name, nil
}

// judge fails the command when more requests failed than allowed.
func (s *serveFlags) judge(res *loadtest.Result) error {
	if res.Failed <= s.allowedFailures {
		return nil
	}
	msg := fmt.Sprintf("%d of %d requests failed (--allowed-failures %d)", res.Failed, res.Completed+res.Failed, s.allowedFailures)
	if errs := res.FirstErrors(1); len(errs) > 0 {
		msg += "; first error: " + errs[0]
	}
	return errors.New(msg)
}
