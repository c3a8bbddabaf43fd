package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
)

func init() { register(newBenchCmd) }

const benchAbout = `Load-tests a server in the manner of vLLM's "vllm bench serve": it streams
--num-prompts requests, launched at --request-rate per second with Poisson
arrivals (or all at once with "inf"), at most --max-concurrency in flight, and
reports per-request latencies and overall throughput:

  TTFT  time to first token: request sent → first generated text
  TPOT  time per output token after the first: (E2EL - TTFT) / (tokens - 1)
  ITL   inter-token latency: the gaps between successive chunks of text
  E2EL  end-to-end latency: request sent → end of the stream

each as mean, median, P90 and P99 in milliseconds; request and token
throughput; and, with --goodput, the rate of requests that met every given
service-level objective. The table goes to stdout (--json prints the figures
as JSON instead), --output FILE also writes them as JSON to FILE, and a progress bar (plain lines when stderr is not a
terminal) goes to stderr.

Prompts are synthetic (--input-len words, asking for exactly --output-len
tokens with ignore_eos) or read from --dataset, a JSONL file whose lines hold
"prompt" and optionally "output_len". Token counts come from the server's
usage report. --warmup requests run first and are not counted.`

const benchExamples = `  vllm bench --num-prompts 200 --request-rate 10
  vllm bench --input-len 1024 --output-len 256 --max-concurrency 32 --output result.json
  vllm bench --dataset prompts.jsonl --endpoint chat --goodput ttft:500,tpot:50
  vllm bench --base-url http://gpu-1:8000/v1,http://gpu-2:8000/v1 --request-rate inf`

// benchPrompt is one request of the workload.
type benchPrompt struct {
	prompt    string
	outputLen int
}

type benchConfig struct {
	endpoint    string
	numPrompts  int
	rate        float64 // requests per second; +Inf: all at once
	rateText    string
	concurrency int
	inputLen    int
	outputLen   int
	dataset     string
	warmup      int
	seed        uint64
	jsonOut     string // --output FILE
	jsonStdout  bool   // --json
	goal        slo
}

func newBenchCmd(e *env) *cobra.Command {
	var g globals
	var cfg benchConfig
	var goodput string
	var seed int64
	cmd := &cobra.Command{
		Use:     "bench [flags]",
		Short:   "serving benchmark: TTFT, TPOT, ITL, latency, throughput, goodput",
		Long:    benchAbout,
		Example: benchExamples,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.seed = uint64(seed)
			return runBench(cmd.Context(), e, &g, cfg, goodput)
		},
	}
	f := cmd.Flags()
	g.register(f, flagsModel)
	f.StringVar(&cfg.endpoint, "endpoint", "completions", "API to load: completions or chat")
	f.IntVar(&cfg.numPrompts, "num-prompts", 100, "number of measured requests")
	f.StringVar(&cfg.rateText, "request-rate", "inf", "requests per second (Poisson arrivals), or inf to send all at once")
	f.IntVar(&cfg.concurrency, "max-concurrency", 0, "maximum requests in flight (0: unlimited)")
	f.IntVar(&cfg.inputLen, "input-len", 128, "synthetic prompt length in words (about one token each)")
	f.IntVar(&cfg.outputLen, "output-len", 64, "tokens to generate per request")
	f.StringVar(&cfg.dataset, "dataset", "", `JSONL file of {"prompt": ..., "output_len": N} lines instead of synthetic prompts`)
	f.IntVar(&cfg.warmup, "warmup", 1, "requests sent (and not measured) before the run")
	f.Int64Var(&seed, "seed", 0, "random seed for prompts and arrival times")
	f.BoolVar(&cfg.jsonStdout, "json", false, "print the results as JSON on stdout instead of the table")
	f.StringVarP(&cfg.jsonOut, "output", "o", "", "also write the results as JSON to this file")
	f.StringVar(&goodput, "goodput", "", "SLOs for goodput, in milliseconds: ttft:500,tpot:50,e2el:3000")
	return cmd
}

func runBench(ctx context.Context, e *env, g *globals, cfg benchConfig, goodput string) error {
	var err error
	switch {
	case cfg.endpoint != "completions" && cfg.endpoint != "chat":
		return usagef("--endpoint must be completions or chat")
	case cfg.numPrompts < 1:
		return usagef("--num-prompts must be at least 1")
	case cfg.concurrency < 0 || cfg.warmup < 0 || cfg.inputLen < 1 || cfg.outputLen < 1:
		return usagef("--max-concurrency, --warmup must be >= 0 and --input-len, --output-len >= 1")
	}
	if cfg.rateText == "inf" {
		cfg.rate = 0
	} else if cfg.rate, err = strconv.ParseFloat(cfg.rateText, 64); err != nil || cfg.rate <= 0 {
		return usagef("--request-rate must be a positive number or inf, got %q", cfg.rateText)
	}
	if cfg.goal, err = parseSLO(goodput); err != nil {
		return err
	}
	prompts, err := benchWorkload(&cfg)
	if err != nil {
		return err
	}

	conc := cfg.concurrency
	if conc == 0 {
		conc = cfg.numPrompts
	}
	c, err := g.client(vllm.WithMaxConnsPerHost(max(conc, 2)))
	if err != nil {
		return err
	}
	defer c.Close()
	model, err := g.resolveModel(ctx, c)
	if err != nil {
		return err
	}
	t := &benchTarget{c: c, model: model, chat: cfg.endpoint == "chat"}

	fmt.Fprintf(e.stderr, "bench: %d prompts to %s (%s), model %s, rate %s, max concurrency %s\n",
		cfg.numPrompts, strings.Join(g.baseURLs(), ","), cfg.endpoint, model, cfg.rateText, concText(cfg.concurrency))
	if cfg.warmup > 0 {
		for i := range cfg.warmup {
			if r := t.do(ctx, &prompts[i%len(prompts)]); !r.ok {
				return fmt.Errorf("warm-up request failed: %s", r.err)
			}
		}
	}
	results, dur := benchRun(ctx, e, &cfg, t, prompts)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted")
	}
	rep := buildReport(results, dur, cfg.goal)
	rep.Endpoint, rep.Model, rep.RequestRate, rep.MaxConcurrency = cfg.endpoint, model, cfg.rateText, cfg.concurrency
	if cfg.jsonStdout {
		if err := rep.writeJSON(e.stdout); err != nil {
			return err
		}
	} else {
		rep.writeTable(e.stdout)
	}
	if cfg.jsonOut != "" {
		fh, err := os.Create(cfg.jsonOut)
		if err != nil {
			return err
		}
		if err := rep.writeJSON(fh); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	if rep.Completed == 0 {
		return fmt.Errorf("every request failed")
	}
	return nil
}

func concText(n int) string {
	if n == 0 {
		return "unlimited"
	}
	return strconv.Itoa(n)
}

// benchWorkload returns numPrompts prompts, synthetic or from the dataset.
func benchWorkload(cfg *benchConfig) ([]benchPrompt, error) {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x76_6c_6c_6d))
	if cfg.dataset == "" {
		out := make([]benchPrompt, cfg.numPrompts)
		for i := range out {
			out[i] = benchPrompt{prompt: syntheticPrompt(rng, cfg.inputLen), outputLen: cfg.outputLen}
		}
		return out, nil
	}
	f, err := os.Open(cfg.dataset)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []benchPrompt
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec struct {
			Prompt    string `json:"prompt"`
			OutputLen int    `json:"output_len"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Prompt == "" {
			return nil, usagef("--dataset %s line %d: want {\"prompt\": \"...\", \"output_len\": N}", cfg.dataset, n)
		}
		if rec.OutputLen <= 0 {
			rec.OutputLen = cfg.outputLen
		}
		all = append(all, benchPrompt{prompt: rec.Prompt, outputLen: rec.OutputLen})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, usagef("--dataset %s holds no prompt", cfg.dataset)
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	out := make([]benchPrompt, cfg.numPrompts)
	for i := range out {
		out[i] = all[i%len(all)]
	}
	return out, nil
}

var benchWords = strings.Fields(`the of and to in is was for on are with as by at from that this be or
have an which one all were when there can more other if out about time some them would into
has two like him see could no than been its who now people my made over did down only way
find use may water long little very after words called just where most know get through back`)

func syntheticPrompt(rng *rand.Rand, words int) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
	}
	return b.String()
}

// benchRun sends the prompts on the configured schedule and returns the
// results (in prompt order) and the run's duration.
func benchRun(ctx context.Context, e *env, cfg *benchConfig, t *benchTarget, prompts []benchPrompt) ([]benchResult, time.Duration) {
	results := make([]benchResult, len(prompts))
	var finished atomic.Int64
	var sem chan struct{}
	if cfg.concurrency > 0 {
		sem = make(chan struct{}, cfg.concurrency)
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 0x61_72_72))
	bar := newProgress(e.stderr, "bench", 5*time.Second)
	stop := bar.start(func() (int, int, string) { return int(finished.Load()), len(prompts), "" })
	start := time.Now()
	var wg sync.WaitGroup
launch:
	for i := range prompts {
		if cfg.rate > 0 && i > 0 {
			// Poisson arrivals: exponential gaps with mean 1/rate.
			if !sleepCtx(ctx, time.Duration(rng.ExpFloat64()/cfg.rate*float64(time.Second))) {
				break
			}
		}
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				break launch
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = t.do(ctx, &prompts[i])
			finished.Add(1)
			if sem != nil {
				<-sem
			}
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	stop()
	return results, dur
}
