package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// ReportConfig says what a side-by-side run measures.
type ReportConfig struct {
	// Rounds is the number of measured rounds (a warm-up round comes
	// first and is not counted). Each round runs every row once on every
	// scenario, in an order rotated by one row per round.
	Rounds int
	// Streams are the streaming scenarios, measured one request at a time.
	Streams []*Scenario
	// Chat is the non-streaming scenario, measured as throughput: Workers
	// concurrent callers sending PerWorker requests each per round.
	Chat               *Scenario
	Workers, PerWorker int
	// Probes are scenarios run once per row for correctness only.
	Probes []*Scenario
	// Log, when set, receives progress lines.
	Log io.Writer
}

// Report holds the verified samples of a run.
type Report struct {
	Config ReportConfig
	// Rows are the row names in display order.
	Rows []string
	// Stream[scenario][row] are the samples; StreamErr the failure that
	// stopped a row on a scenario (its samples are then discarded).
	Stream    map[string]map[string][]Sample
	StreamErr map[string]map[string]error
	// Chat[row] are the wall times of each round's batch; ChatErr the
	// failure that stopped a row.
	Chat    map[string][]time.Duration
	ChatErr map[string]error
	// Probes[scenario][row] is "ok" or the failure.
	Probes map[string]map[string]string
}

// Run measures rows side by side on the scenarios of cfg, all served by the
// same server. Every result is verified; a row that fails on a scenario is
// reported with its error and not timed there again.
func Run(ctx context.Context, rows []*Row, cfg ReportConfig) *Report {
	r := &Report{
		Config:    cfg,
		Stream:    map[string]map[string][]Sample{},
		StreamErr: map[string]map[string]error{},
		Chat:      map[string][]time.Duration{},
		ChatErr:   map[string]error{},
		Probes:    map[string]map[string]string{},
	}
	for _, row := range rows {
		r.Rows = append(r.Rows, row.Name)
	}
	for _, sc := range cfg.Streams {
		r.Stream[sc.Name] = map[string][]Sample{}
		r.StreamErr[sc.Name] = map[string]error{}
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	for round := 0; round <= cfg.Rounds; round++ {
		warm := round == 0
		order := rotate(rows, round)
		for _, sc := range cfg.Streams {
			for _, row := range order {
				if r.StreamErr[sc.Name][row.Name] != nil {
					continue
				}
				s, err := Measure(ctx, row, sc)
				if err != nil {
					r.StreamErr[sc.Name][row.Name] = err
					delete(r.Stream[sc.Name], row.Name)
					logf("%s on %s: %v", row.Name, sc.Name, err)
					continue
				}
				if !warm {
					r.Stream[sc.Name][row.Name] = append(r.Stream[sc.Name][row.Name], s)
				}
			}
		}
		if cfg.Chat != nil {
			for _, row := range order {
				if row.StreamOnly || r.ChatErr[row.Name] != nil {
					continue
				}
				wall, err := MeasureConcurrent(ctx, row, cfg.Chat, cfg.Workers, cfg.PerWorker)
				if err != nil {
					r.ChatErr[row.Name] = err
					delete(r.Chat, row.Name)
					logf("%s on %s: %v", row.Name, cfg.Chat.Name, err)
					continue
				}
				if !warm {
					r.Chat[row.Name] = append(r.Chat[row.Name], wall)
				}
			}
		}
		if warm {
			logf("warm-up round done")
		} else {
			logf("round %d/%d done", round, cfg.Rounds)
		}
	}
	for _, sc := range cfg.Probes {
		r.Probes[sc.Name] = map[string]string{}
		for _, row := range rows {
			r.Probes[sc.Name][row.Name] = Probe(ctx, row, sc)
			logf("probe %s, %s: %s", sc.Name, row.Name, r.Probes[sc.Name][row.Name])
		}
	}
	return r
}

// rotate returns rows starting at index k modulo len(rows).
func rotate(rows []*Row, k int) []*Row {
	n := len(rows)
	out := make([]*Row, 0, n)
	for i := range n {
		out = append(out, rows[(i+k)%n])
	}
	return out
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// StreamMedian returns the median wall time (ns) and allocations of row on
// the scenario, and false when the row has no samples there.
func (r *Report) StreamMedian(scenario, row string) (ns, allocs float64, ok bool) {
	ss := r.Stream[scenario][row]
	if len(ss) == 0 {
		return 0, 0, false
	}
	return medianOf(ss, func(s Sample) float64 { return float64(s.Wall.Nanoseconds()) }),
		medianOf(ss, func(s Sample) float64 { return float64(s.Allocs) }), true
}

// StreamCPU returns the median CPU time (ns) of row on the scenario.
func (r *Report) StreamCPU(scenario, row string) (float64, bool) {
	ss := r.Stream[scenario][row]
	if len(ss) == 0 {
		return 0, false
	}
	return medianOf(ss, func(s Sample) float64 { return float64(s.CPU.Nanoseconds()) }), true
}

func medianOf(ss []Sample, f func(Sample) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return median(xs)
}

// ChatMedian returns the median throughput of row in requests per second.
func (r *Report) ChatMedian(row string) (float64, bool) {
	ws := r.Chat[row]
	if len(ws) == 0 {
		return 0, false
	}
	n := float64(r.Config.Workers * r.Config.PerWorker)
	rates := make([]float64, len(ws))
	for i, w := range ws {
		rates[i] = n / w.Seconds()
	}
	return median(rates), true
}

func (r *Report) scenario(name string) *Scenario {
	for _, sc := range r.Config.Streams {
		if sc.Name == name {
			return sc
		}
	}
	return nil
}

// ratio formats a/b, or "—" when either is missing.
func ratio(a float64, aok bool, b float64, bok bool) string {
	if !aok || !bok || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// Markdown writes the report as markdown tables of medians with ratios.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "### Streams: median of %d rounds, one request at a time\n\n", r.Config.Rounds)
	fmt.Fprintf(w, "Time ratios are this row's median wall time divided by the other's (lower is better). ")
	fmt.Fprintf(w, "CPU is the median CPU time of the whole process during a request (client, in-process server, GC), less sensitive to other load on the machine than wall time.\n\n")
	fmt.Fprintf(w, "| scenario | client | median wall | ns/event | allocs/event | ÷ floor | ÷ %s | ÷ %s | median CPU | CPU ÷ floor |\n", RowOpenAIGo, RowGoOpenAI)
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, sc := range r.Config.Streams {
		fns, _, fok := r.StreamMedian(sc.Name, RowFloor)
		ons, _, ook := r.StreamMedian(sc.Name, RowOpenAIGo)
		gns, _, gok := r.StreamMedian(sc.Name, RowGoOpenAI)
		fcpu, fcok := r.StreamCPU(sc.Name, RowFloor)
		for _, row := range r.Rows {
			ns, allocs, ok := r.StreamMedian(sc.Name, row)
			if !ok {
				msg := "not run"
				if err := r.StreamErr[sc.Name][row]; err != nil {
					msg = "fails: " + oneLine(err.Error())
				}
				fmt.Fprintf(w, "| %s | %s | %s | | | | | | | |\n", sc.Name, row, msg)
				continue
			}
			cpu, cok := r.StreamCPU(sc.Name, row)
			fmt.Fprintf(w, "| %s | %s | %s | %.0f | %.3f | %s | %s | %s | %s | %s |\n",
				sc.Name, row, time.Duration(ns).Round(10*time.Microsecond),
				ns/float64(sc.Deltas), allocs/float64(sc.Deltas),
				ratio(ns, ok, fns, fok), ratio(ns, ok, ons, ook), ratio(ns, ok, gns, gok),
				time.Duration(cpu).Round(10*time.Microsecond), ratio(cpu, cok, fcpu, fcok))
		}
	}
	if r.Config.Chat != nil {
		fmt.Fprintf(w, "\n### Non-streaming chat: %d concurrent callers × %d requests per round, median of %d rounds\n\n",
			r.Config.Workers, r.Config.PerWorker, r.Config.Rounds)
		fmt.Fprintf(w, "Throughput ratios are this row's requests per second divided by the other's (higher is better).\n\n")
		fmt.Fprintf(w, "| client | requests/s | × floor | × %s | × %s |\n|---|--:|--:|--:|--:|\n", RowOpenAIGo, RowGoOpenAI)
		f, fok := r.ChatMedian(RowFloor)
		o, ook := r.ChatMedian(RowOpenAIGo)
		g, gok := r.ChatMedian(RowGoOpenAI)
		for _, row := range r.Rows {
			q, ok := r.ChatMedian(row)
			if !ok && r.ChatErr[row] == nil {
				continue // a row that reads streams only
			}
			if !ok {
				msg := "not run"
				if err := r.ChatErr[row]; err != nil {
					msg = "fails: " + oneLine(err.Error())
				}
				fmt.Fprintf(w, "| %s | %s | | | |\n", row, msg)
				continue
			}
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s |\n", row, q, ratio(q, ok, f, fok), ratio(q, ok, o, ook), ratio(q, ok, g, gok))
		}
	}
	if len(r.Config.Probes) > 0 {
		fmt.Fprintf(w, "\n### Long SSE lines (one tool-argument fragment per line): exact result or failure\n\n| client |")
		for _, sc := range r.Config.Probes {
			fmt.Fprintf(w, " %s (%d-byte line) |", sc.Name, longestLine(sc.Body))
		}
		fmt.Fprintf(w, "\n|---|")
		for range r.Config.Probes {
			fmt.Fprintf(w, "---|")
		}
		fmt.Fprintln(w)
		for _, row := range r.Rows {
			fmt.Fprintf(w, "| %s |", row)
			for _, sc := range r.Config.Probes {
				fmt.Fprintf(w, " %s |", r.Probes[sc.Name][row])
			}
			fmt.Fprintln(w)
		}
	}
	r.targets(w)
}

// longestLine returns the length of the longest line of b.
func longestLine(b []byte) int {
	longest, start := 0, 0
	for i, c := range b {
		if c == '\n' {
			longest = max(longest, i-start)
			start = i + 1
		}
	}
	return max(longest, len(b)-start)
}

// targets writes the targets, each marked met or not met from the
// medians of this run.
func (r *Report) targets(w io.Writer) {
	fmt.Fprintf(w, "\n### Targets (from this run's medians)\n\n")
	mark := func(ok bool) string {
		if ok {
			return "**met**"
		}
		return "**not met**"
	}
	line := func(what string, ok, known bool, detail string) {
		if !known {
			fmt.Fprintf(w, "- %s: cannot be judged (%s)\n", what, detail)
			return
		}
		fmt.Fprintf(w, "- %s: %s (%s)\n", what, mark(ok), detail)
	}
	ours, _, ook := r.StreamMedian("content", RowOurs)
	floor, _, fok := r.StreamMedian("content", RowFloor)
	gop, _, gok := r.StreamMedian("content", RowGoOpenAI)
	cpuRatio := func(sc string) string {
		o, ook := r.StreamCPU(sc, RowOurs)
		f, fok := r.StreamCPU(sc, RowFloor)
		return "; in CPU time " + ratio(o, ook, f, fok)
	}
	line("content stream ≤ 3× the floor", ook && fok && ours <= 3*floor, ook && fok,
		"vllm-go ÷ floor = "+ratio(ours, ook, floor, fok)+cpuRatio("content"))
	line("content stream ≥ 5× faster than go-openai", ook && gok && gop >= 5*ours, ook && gok,
		"go-openai ÷ vllm-go = "+ratio(gop, gok, ours, ook))
	if sc := r.scenario("content"); sc != nil {
		_, allocs, ok := r.StreamMedian("content", RowOurs)
		per := allocs / float64(sc.Deltas)
		line("≤ 1 allocation per content chunk for a caller keeping the text", ok && per <= 1, ok,
			fmt.Sprintf("%.3f allocs per content chunk, whole process, server and transport included", per))
	}
	tns, _, tok := r.StreamMedian("tools", RowOurs)
	tfl, _, tfok := r.StreamMedian("tools", RowFloor)
	line("tool-call stream ≤ 4× the floor", tok && tfok && tns <= 4*tfl, tok && tfok,
		"vllm-go ÷ floor = "+ratio(tns, tok, tfl, tfok)+cpuRatio("tools"))
	if r.Config.Chat != nil {
		q, qok := r.ChatMedian(RowOurs)
		o, ook := r.ChatMedian(RowOpenAIGo)
		g, gok := r.ChatMedian(RowGoOpenAI)
		best := max(o, g)
		line("non-streaming throughput ≥ the best peer", qok && ook && gok && q >= best, qok && ook && gok,
			fmt.Sprintf("vllm-go %.0f req/s, best peer %.0f req/s", q, best))
	}
}
