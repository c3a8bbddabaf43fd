package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm/loadtest"
)

const benchReportLong = `Writes one self-contained HTML page (inline SVG charts; no script, font or
style from the network, so it reads offline and as an attachment) from result
files of "vllm bench serve", "vllm bench sweep" or vLLM's own benchmark.

One result: the TTFT, ITL and E2EL distributions (saved with --save-detailed;
without it only E2EL), output tokens per second and requests in flight over
time. Several results, or a sweep summary: each latency metric's mean, median
and percentiles and the throughputs against the request rate (or the
concurrency limit), with the --goodput SLOs as lines and the knee marked.`

const benchReportExamples = `  vllm bench report result.json -o report.html
  vllm bench report sweep/sweep-request_rate-Qwen3-8B-20261202-110000.json -o sweep.html
  vllm bench report a.json b.json c.json --goodput ttft:500 -o rates.html`

func newBenchReportCmd(e *env) *cobra.Command {
	var out, title string
	var goodput []string
	cmd := newCommand("report RESULT.json... [-o report.html]", "an HTML page of charts from result files", benchReportLong, benchReportExamples)
	cmd.Args = argCount(1, -1, "at least one result file")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		slo, err := parseGoodput(goodput)
		if err != nil {
			return err
		}
		results, sum, err := readBenchResults(args)
		if err != nil {
			return err
		}
		if sum != nil && slo.IsZero() {
			slo = sloOf(sum.SLO)
		}
		if title == "" {
			title = "vLLM serving benchmark: " + results[0].ModelID
		}
		var b bytes.Buffer
		if err := loadtest.WriteReport(&b, title, results, slo); err != nil {
			return err
		}
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "vllm bench report: wrote %s (%d result(s))\n", out, len(results))
		return nil
	}
	cmd.Flags().StringVarP(&out, "output", "o", "report.html", "HTML file to write")
	cmd.Flags().StringVar(&title, "title", "", "page title (default: the model)")
	cmd.Flags().Var(listFlag{&goodput}, "goodput", "SLOs to draw, KEY:VALUE in ms (default: a sweep summary's)")
	return cmd
}

// readBenchResults reads benchmark result files; a single sweep summary stands for its
// result files.
func readBenchResults(paths []string) ([]*loadtest.Result, *loadtest.SweepSummary, error) {
	if len(paths) == 1 {
		b, err := os.ReadFile(paths[0])
		if err != nil {
			return nil, nil, err
		}
		var probe struct {
			Parameter string `json:"parameter"`
		}
		if json.Unmarshal(b, &probe) == nil && probe.Parameter != "" {
			sum, results, err := loadtest.ReadSweep(paths[0])
			return results, sum, err
		}
	}
	var out []*loadtest.Result
	for _, p := range paths {
		r, err := loadtest.ReadResult(p)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return out, nil, nil
}

func sloOf(ms map[string]float64) loadtest.SLO {
	var pairs []string
	for k, v := range ms {
		pairs = append(pairs, fmt.Sprintf("%s:%g", k, v))
	}
	slo, _ := parseGoodput(pairs)
	return slo
}

const benchCompareLong = `Prints every figure two result files both hold (of "vllm bench serve" or of
vLLM's own benchmark) side by side, with the change from the first to the
second in percent: counts, throughputs, peaks, and each metric's mean,
median, standard deviation and percentiles.`

func newBenchCompareCmd(e *env) *cobra.Command {
	cmd := newCommand("compare A.json B.json", "two result files side by side, with the change in percent", benchCompareLong, "  vllm bench compare before.json after.json")
	cmd.Args = argCount(2, 2, "two result files")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		a, err := loadtest.ReadResult(args[0])
		if err != nil {
			return err
		}
		b, err := loadtest.ReadResult(args[1])
		if err != nil {
			return err
		}
		nameA, nameB := filepath.Base(args[0]), filepath.Base(args[1])
		if nameA == nameB {
			nameA, nameB = args[0], args[1]
		}
		nameA, nameB = strings.TrimSuffix(nameA, ".json"), strings.TrimSuffix(nameB, ".json")
		return loadtest.WriteComparison(e.stdout, nameA, nameB, a, b)
	}
	return cmd
}
