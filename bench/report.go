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
	// Chat[row] are the times of each round's batch; ChatErr the failure
	// that stopped a row.
	Chat    map[string][]Sample
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
		Chat:      map[string][]Sample{},
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
				batch, err := MeasureConcurrent(ctx, row, cfg.Chat, cfg.Workers, cfg.PerWorker)
				if err != nil {
					r.ChatErr[row.Name] = err
					delete(r.Chat, row.Name)
					logf("%s on %s: %v", row.Name, cfg.Chat.Name, err)
					continue
				}
				if !warm {
					r.Chat[row.Name] = append(r.Chat[row.Name], batch)
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
	return medianOf(ws, func(s Sample) float64 { return n / s.Wall.Seconds() }), true
}

// ChatCPU returns the median CPU time per request (ns) of row.
func (r *Report) ChatCPU(row string) (float64, bool) {
	ws := r.Chat[row]
	if len(ws) == 0 {
		return 0, false
	}
	n := float64(r.Config.Workers * r.Config.PerWorker)
	return medianOf(ws, func(s Sample) float64 { return float64(s.CPU.Nanoseconds()) / n }), true
}

// ChatPaired returns the median over rounds of row's wall time divided by
// the floor's in the same round, and the same of CPU time. A round's two
// batches ran back to back, in an order rotated from round to round, so
// the machine's drift (other load, the heap's growth) cancels out of each
// ratio: steadier than the ratio of the two medians.
func (r *Report) ChatPaired(row string) (wall, cpu float64, ok bool) {
	rs, fs := r.Chat[row], r.Chat[RowFloor]
	if len(rs) == 0 || len(rs) != len(fs) {
		return 0, 0, false
	}
	ws, cs := make([]float64, len(rs)), make([]float64, len(rs))
	for i := range rs {
		ws[i] = float64(rs[i].Wall) / float64(fs[i].Wall)
		cs[i] = float64(rs[i].CPU) / float64(fs[i].CPU)
	}
	return median(ws), median(cs), true
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
		fmt.Fprintf(w, "Throughput ratios are this row's requests per second divided by the other's (higher is better). ")
		fmt.Fprintf(w, "Time ÷ floor is the median over rounds of this row's batch time divided by the floor's in the same round (wall, then CPU; lower is better).\n\n")
		fmt.Fprintf(w, "| client | requests/s | × floor | × %s | × %s | CPU per request | time ÷ floor | CPU ÷ floor |\n|---|--:|--:|--:|--:|--:|--:|--:|\n", RowOpenAIGo, RowGoOpenAI)
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
				fmt.Fprintf(w, "| %s | %s | | | | | | |\n", row, msg)
				continue
			}
			cpu, _ := r.ChatCPU(row)
			pw, pc, pok := r.ChatPaired(row)
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %s | %s | %s |\n", row, q, ratio(q, ok, f, fok), ratio(q, ok, o, ook), ratio(q, ok, g, gok),
				time.Duration(cpu).Round(100*time.Nanosecond), ratio(pw, pok, 1, true), ratio(pc, pok, 1, true))
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
// medians of this run: on wall time, as the issue states them, and on CPU
// time, which other load on the machine distorts less.
func (r *Report) targets(w io.Writer) {
	fmt.Fprintf(w, "\n### Targets (from this run's medians)\n\n")
	verdict := func(ok, known bool) string {
		switch {
		case !known:
			return "cannot be judged"
		case ok:
			return "**met**"
		}
		return "**not met**"
	}
	// atMost judges num ÷ den ≤ limit on scenario sc, on wall and CPU time.
	atMost := func(what, sc, num, den string, limit float64) {
		n, _, nok := r.StreamMedian(sc, num)
		d, _, dok := r.StreamMedian(sc, den)
		nc, ncok := r.StreamCPU(sc, num)
		dc, dcok := r.StreamCPU(sc, den)
		fmt.Fprintf(w, "- %s: wall time %s (%s ÷ %s = %s); CPU time %s (%s)\n", what,
			verdict(nok && dok && n <= limit*d, nok && dok), num, den, ratio(n, nok, d, dok),
			verdict(ncok && dcok && nc <= limit*dc, ncok && dcok), ratio(nc, ncok, dc, dcok))
	}
	atMost("content stream at most 3× the floor", "content", RowOurs, RowFloor, 3)
	atMost("content stream at least 5× faster than go-openai", "content", RowOurs, RowGoOpenAI, 1.0/5)
	if sc := r.scenario("content"); sc != nil {
		// Allocations per chunk beyond the floor's (the in-process
		// server's and the transport's share); the client's fixed
		// per-request allocations remain in, spread over the chunks.
		_, fa, fok := r.StreamMedian("content", RowFloor)
		perChunk := func(row string) (float64, bool) {
			_, a, ok := r.StreamMedian("content", row)
			return (a - fa) / float64(sc.Deltas), ok && fok
		}
		per, ok := perChunk(RowOurs)
		fmt.Fprintf(w, "- at most 1 allocation per content chunk for a caller keeping the text (%s): %s (%.3f per chunk beyond the floor's)\n",
			RowOurs, verdict(ok && per <= 1, ok), per)
		cper, cok := perChunk(RowOursCollect)
		fmt.Fprintf(w, "- no allocation per content chunk for a caller collecting the response (%s): %s (%.3f per chunk beyond the floor's, i.e. the request's fixed allocations spread over %d chunks)\n",
			RowOursCollect, verdict(cok && cper < 0.05, cok), cper, sc.Deltas)
	}
	atMost("tool-call stream at most 4× the floor", "tools", RowOurs, RowFloor, 4)
	if r.Config.Chat != nil {
		q, qok := r.ChatMedian(RowOurs)
		o, ook := r.ChatMedian(RowOpenAIGo)
		g, gok := r.ChatMedian(RowGoOpenAI)
		qc, qcok := r.ChatCPU(RowOurs)
		oc, ocok := r.ChatCPU(RowOpenAIGo)
		gc, gcok := r.ChatCPU(RowGoOpenAI)
		fmt.Fprintf(w, "- non-streaming throughput at least the best peer's: wall time %s (%.0f req/s, best peer %.0f); CPU time %s (%v per request, best peer %v)\n",
			verdict(qok && ook && gok && q >= max(o, g), qok && ook && gok), q, max(o, g),
			verdict(qcok && ocok && gcok && qc <= min(oc, gc), qcok && ocok && gcok),
			time.Duration(qc).Round(100*time.Nanosecond), time.Duration(min(oc, gc)).Round(100*time.Nanosecond))
		pw, pc, pok := r.ChatPaired(RowOurs)
		fmt.Fprintf(w, "- non-streaming chat at most 1.25× the floor (median of the rounds' ratios): wall time %s (%s); CPU time %s (%s)\n",
			verdict(pok && pw <= 1.25, pok), ratio(pw, pok, 1, true), verdict(pok && pc <= 1.25, pok), ratio(pc, pok, 1, true))
	}
}
