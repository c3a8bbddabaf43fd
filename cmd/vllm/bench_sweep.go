package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm/loadtest"
)

const benchSweepLong = `Runs "vllm bench serve" once per value of --request-rate (1,2,4,8,inf) or
of --max-concurrency (1,8,64), with the same workload, writes one result file
per point (as --save-result names them, in --result-dir) and a summary file,
and prints a summary table.

With --goodput, a point meets the SLOs when at least --slo-attainment of its
requests (default 0.9: 90%, DistServe's definition of goodput) met every one;
the highest such value is reported. The knee is the last point where raising
the value still raised the request throughput at least half as much in
proportion. "vllm bench report SUMMARY.json" draws the sweep.

Every other flag is "vllm bench serve"'s. The exit status is 1 when a point
had more than --allowed-failures failed requests.`

const benchSweepExamples = `  vllm bench sweep --model Qwen/Qwen3-8B --request-rate 1,2,4,8,inf --num-prompts 200 \
      --goodput ttft:500 tpot:50 --result-dir sweep/
  vllm bench sweep --max-concurrency 1,8,64 --num-prompts 500 --result-dir sweep/
  vllm bench report sweep/sweep-request_rate-*.json -o sweep.html`

func newBenchSweepCmd(e *env) *cobra.Command {
	var s serveFlags
	var attainment float64
	cmd := newCommand("sweep [flags]", "serve at several request rates or concurrency limits; the highest meeting the SLOs", benchSweepLong, benchSweepExamples)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := s.check(cmd.Flags()); err != nil {
			return err
		}
		if attainment <= 0 || attainment > 1 {
			return usagef("--slo-attainment %g: want a share in (0, 1]", attainment)
		}
		return s.sweep(cmd, e, attainment)
	}
	s.register(cmd.Flags(), true)
	cmd.Flags().Float64Var(&attainment, "slo-attainment", loadtest.DefaultAttainment, "share of requests that must meet every SLO for a point to meet the SLOs")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (s *serveFlags) sweep(cmd *cobra.Command, e *env, attainment float64) error {
	ctx := cmd.Context()
	rates, concs := splitList(s.requestRate), splitList(s.maxConcurrency)
	if len(rates) > 1 && len(concs) > 1 {
		return usagef("sweep one of --request-rate and --max-concurrency; the other takes one value")
	}
	if len(rates) <= 1 && len(concs) <= 1 {
		return usagef("give --request-rate or --max-concurrency several comma-separated values to sweep over, e.g. --request-rate 1,2,4,8,inf")
	}
	if s.rampStrategy != "" {
		return usagef("--ramp-up-strategy does not combine with a sweep")
	}
	param := loadtest.SweepRequestRate
	var values []float64
	rate, conc := math.Inf(1), 0
	var err error
	if len(rates) > 1 {
		for _, r := range rates {
			v, err := parseRate(r)
			if err != nil {
				return err
			}
			values = append(values, v)
		}
		if len(concs) == 1 {
			if conc, err = parseConcurrency(concs[0]); err != nil {
				return err
			}
		}
	} else {
		param = loadtest.SweepMaxConcurrency
		for _, c := range concs {
			v, err := parseConcurrency(c)
			if err != nil {
				return err
			}
			values = append(values, float64(v))
		}
		if len(rates) == 1 {
			if rate, err = parseRate(rates[0]); err != nil {
				return err
			}
		}
	}
	t, err := s.target(ctx, e.stdout)
	if err != nil {
		return err
	}
	defer t.close()
	cfg, err := s.config(t, rate, conc)
	if err != nil {
		return err
	}
	s.saveResult = true
	var results []*loadtest.Result
	var files []string
	var overLimit []string
	for i, v := range values {
		c := cfg
		if param == loadtest.SweepRequestRate {
			c.Arrival.Rate = v
		} else {
			c.MaxConcurrency = int(v)
		}
		fmt.Fprintf(e.stdout, "Sweep point %d/%d: %s %s\n", i+1, len(values), param, pyFloat(v))
		res, err := runAndPrint(ctx, e, c, s, t)
		if err != nil {
			return err
		}
		if s.judge(res) != nil {
			overLimit = append(overLimit, fmt.Sprintf("%s %s (%d failed)", param, pyFloat(v), res.Failed))
		}
		name, err := s.save(res, time.Now())
		if err != nil {
			return err
		}
		results = append(results, res)
		files = append(files, filepath.Base(name))
	}
	sum := loadtest.Summarize(param, results, files, cfg.Goodput, attainment)
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	model := t.modelID[strings.LastIndex(t.modelID, "/")+1:]
	path := filepath.Join(s.resultDir, fmt.Sprintf("sweep-%s-%s-%s.json", param, model, time.Now().Format("20060102-150405")))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	writeSweepSummary(e, &sum, attainment)
	fmt.Fprintf(e.stdout, "Summary: %s\n", path)
	if len(overLimit) > 0 {
		return fmt.Errorf("more than --allowed-failures %d requests failed at %s", s.allowedFailures, strings.Join(overLimit, ", "))
	}
	return nil
}

func writeSweepSummary(e *env, sum *loadtest.SweepSummary, attainment float64) {
	w := e.stdout
	fmt.Fprintf(w, "%s\n", center(" Sweep Summary ", 72, '='))
	fmt.Fprintf(w, "%-16s %10s %8s %14s %14s %8s\n", sum.Parameter, "completed", "failed", "req/s", "goodput", "SLO met")
	for _, p := range sum.Points {
		good, met := "-", "-"
		if p.RequestGoodput != nil {
			good = strconv.FormatFloat(*p.RequestGoodput, 'f', 2, 64)
		}
		if p.Attainment != nil {
			met = fmt.Sprintf("%.0f%%", *p.Attainment*100)
		}
		fmt.Fprintf(w, "%-16s %10d %8d %14.2f %14s %8s\n", pyFloat(p.Value), p.Completed, p.Failed, p.RequestThroughput, good, met)
	}
	switch {
	case sum.SLO == nil:
		fmt.Fprintln(w, "No --goodput SLO given: no point judged.")
	case sum.Best < 0:
		fmt.Fprintf(w, "No %s met the SLOs (%.0f%% of requests good).\n", sum.Parameter, attainment*100)
	default:
		fmt.Fprintf(w, "Highest %s meeting the SLOs (%.0f%% of requests good): %s\n", sum.Parameter, attainment*100, pyFloat(sum.Points[sum.Best].Value))
	}
	if sum.Knee >= 0 {
		fmt.Fprintf(w, "Knee (throughput stops following the %s): %s\n", sum.Parameter, pyFloat(sum.Points[sum.Knee].Value))
	}
	fmt.Fprintln(w, strings.Repeat("=", 72))
}

// center centres s in width columns of fill, as Python's format "^" does.
func center(s string, width int, fill byte) string {
	pad := width - len(s)
	if pad <= 0 {
		return s
	}
	return strings.Repeat(string(fill), pad/2) + s + strings.Repeat(string(fill), pad-pad/2)
}
