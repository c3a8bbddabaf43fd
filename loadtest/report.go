package loadtest

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WriteReport writes a self-contained HTML page (inline SVG, no script, no
// font or style from the network) about one run or a sweep.
//
// With one result the page draws the TTFT, ITL and E2EL distributions
// (which need a result saved with --save-detailed; E2EL only needs the
// latencies every file holds) and, over time, the output tokens per second
// and the requests in flight. With several results (a sweep) it draws each
// latency metric's mean, median and percentiles, and the throughputs,
// against the swept parameter, with the SLO as a horizontal line and the
// knee (see SweepSummary.Knee) as a vertical one. slo may be zero.
func WriteReport(w io.Writer, title string, results []*Result, slo SLO) error {
	if len(results) == 0 {
		return fmt.Errorf("a report needs at least one result")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<h1>%s</h1>\n",
		html.EscapeString(title), reportStyle, html.EscapeString(title))
	if len(results) == 1 {
		writeRunReport(&b, results[0])
	} else {
		writeSweepReport(&b, results, slo)
	}
	b.WriteString("</body>\n</html>\n")
	_, err := w.Write(b.Bytes())
	return err
}

const reportStyle = `
body{font-family:sans-serif;margin:2em;color:#222;max-width:1400px}
figure{display:inline-block;margin:0 1.5em 1.5em 0;vertical-align:top}
figcaption{font-weight:bold;margin-bottom:.3em}
table.summary{border-collapse:collapse;margin-bottom:1.5em}
table.summary td{padding:.15em .8em;border-bottom:1px solid #ddd}
table.summary td.v{text-align:right;font-variant-numeric:tabular-nums}
svg text{font-family:sans-serif;font-size:11px;fill:#333}
svg .axis-label{font-size:12px;fill:#000}
svg .grid{stroke:#e4e4e4}
svg .axis{stroke:#444}
svg .slo{stroke:#c0392b;stroke-dasharray:6 4}
svg .knee{stroke:#7f8c8d;stroke-dasharray:3 3}
svg .legend{font-size:11px}
`

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

func writeSummaryTable(b *bytes.Buffer, rows [][2]string) {
	b.WriteString("<table class=\"summary\">\n")
	for _, r := range rows {
		fmt.Fprintf(b, "<tr><td>%s</td><td class=\"v\">%s</td></tr>\n", html.EscapeString(r[0]), html.EscapeString(r[1]))
	}
	b.WriteString("</table>\n")
}

func rateText(r float64) string {
	if math.IsInf(r, 1) || r == 0 {
		return "inf"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func writeRunReport(b *bytes.Buffer, r *Result) {
	rows := [][2]string{
		{"Model", r.ModelID}, {"Backend", r.Backend}, {"Date", r.Date},
		{"Request rate (req/s)", rateText(r.RequestRate)},
		{"Successful / failed requests", fmt.Sprintf("%d / %d", r.Completed, r.Failed)},
		{"Benchmark duration (s)", fmt.Sprintf("%.2f", r.Duration)},
		{"Request throughput (req/s)", fmt.Sprintf("%.2f", r.RequestThroughput)},
		{"Output token throughput (tok/s)", fmt.Sprintf("%.2f", r.OutputThroughput)},
		{"Peak output token throughput (tok/s)", fmt.Sprintf("%.2f", r.MaxOutputTokensPerS)},
		{"Peak concurrent requests", strconv.Itoa(r.MaxConcurrentRequests)},
	}
	if r.MaxConcurrency > 0 {
		rows = append(rows, [2]string{"Maximum request concurrency", strconv.Itoa(r.MaxConcurrency)})
	}
	if r.RequestGoodput != nil {
		rows = append(rows, [2]string{"Request goodput (req/s)", fmt.Sprintf("%.2f", *r.RequestGoodput)})
	}
	for _, s := range r.Stats {
		rows = append(rows, [2]string{"Mean / median " + s.Metric + " (ms)", fmt.Sprintf("%.2f / %.2f", s.Mean, s.Median)})
	}
	writeSummaryTable(b, rows)

	outs := r.Outputs()
	var ttft, itl, e2el []float64
	for _, o := range outs {
		if o.Success {
			ttft = append(ttft, o.TTFT*1000)
			for _, g := range o.ITL {
				itl = append(itl, g*1000)
			}
		}
	}
	for i, l := range r.Latencies {
		if i < len(r.Errors) && r.Errors[i] != "" {
			continue
		}
		e2el = append(e2el, l*1000)
	}
	if outs == nil {
		b.WriteString("<p>The result was saved without per-request details (--save-detailed): only the end-to-end latencies can be drawn.</p>\n")
	}
	if len(ttft) > 0 {
		histogram(b, "ttft", "Time to first token", "TTFT (ms)", "Requests", ttft)
	}
	if len(itl) > 0 {
		histogram(b, "itl", "Inter-token latency", "ITL (ms)", "Token gaps", itl)
	}
	if len(e2el) > 0 {
		histogram(b, "e2el", "End-to-end latency", "E2EL (ms)", "Requests", e2el)
	}
	if tl := timeline(outs); len(tl.TokensPerSecond) > 0 {
		xs := make([]float64, len(tl.TokensPerSecond))
		for i := range xs {
			xs[i] = float64(i)
		}
		lineChart(b, chart{id: "tokens-per-second", title: "Output tokens per second", xLabel: "Time since start (s)", yLabel: "Output tokens per second (tok/s)",
			series: []series{{name: "tokens/s", x: xs, y: tl.TokensPerSecond}}})
		lineChart(b, chart{id: "in-flight", title: "Requests in flight", xLabel: "Time since start (s)", yLabel: "Requests in flight (requests)",
			series: []series{{name: "in flight", x: xs, y: tl.Concurrent}}})
	}
}

func writeSweepReport(b *bytes.Buffer, results []*Result, slo SLO) {
	param := SweepRequestRate
	ratesDiffer, concDiffer := false, false
	for _, r := range results[1:] {
		ratesDiffer = ratesDiffer || SweepValue(r, SweepRequestRate) != SweepValue(results[0], SweepRequestRate)
		concDiffer = concDiffer || r.MaxConcurrency != results[0].MaxConcurrency
	}
	if concDiffer && !ratesDiffer {
		param = SweepMaxConcurrency
	}
	sum := Summarize(param, results, nil, slo, 0)
	xLabel := "Request rate (req/s)"
	if param == SweepMaxConcurrency {
		xLabel = "Maximum concurrency (requests)"
	}
	rows := [][2]string{{"Model", results[0].ModelID}, {"Swept", string(param)}, {"Points", strconv.Itoa(len(results))}}
	if sum.Best >= 0 {
		rows = append(rows, [2]string{"Highest " + string(param) + " meeting the SLOs", rateText(sum.Points[sum.Best].Value)})
	} else if !slo.IsZero() {
		rows = append(rows, [2]string{"Highest " + string(param) + " meeting the SLOs", "none"})
	}
	if sum.Knee >= 0 {
		rows = append(rows, [2]string{"Knee", rateText(sum.Points[sum.Knee].Value)})
	}
	writeSummaryTable(b, rows)

	// An unlimited rate is drawn one step right of the highest finite one.
	xs := make([]float64, len(results))
	hiFinite := 0.0
	for i, p := range sum.Points {
		if !math.IsInf(p.Value, 1) {
			hiFinite = max(hiFinite, p.Value)
		}
		xs[i] = p.Value
	}
	infAt := math.Max(hiFinite*1.25, 1)
	for i := range xs {
		if math.IsInf(xs[i], 1) {
			xs[i] = infAt
		}
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, c int) int { return cmpFloat(xs[a], xs[c]) })
	pick := func(f func(*Result) (float64, bool)) ([]float64, []float64) {
		var x, y []float64
		for _, i := range order {
			if v, ok := f(results[i]); ok {
				x, y = append(x, xs[i]), append(y, v)
			}
		}
		return x, y
	}
	var vlines []float64
	if sum.Knee >= 0 {
		vlines = append(vlines, xs[sum.Knee])
	}
	infTick := 0.0
	for _, p := range sum.Points {
		if math.IsInf(p.Value, 1) {
			infTick = infAt
		}
	}
	limits := map[string]float64{MetricTTFT: slo.TTFT.Seconds() * 1000, MetricTPOT: slo.TPOT.Seconds() * 1000, MetricE2EL: slo.E2EL.Seconds() * 1000}
	for _, m := range metricInfo {
		s0 := results[0].Stat(m.name)
		if s0 == nil {
			continue
		}
		var ss []series
		x, y := pick(func(r *Result) (float64, bool) {
			if s := r.Stat(m.name); s != nil {
				return s.Mean, true
			}
			return 0, false
		})
		ss = append(ss, series{name: "mean", x: x, y: y})
		x, y = pick(func(r *Result) (float64, bool) {
			if s := r.Stat(m.name); s != nil {
				return s.Median, true
			}
			return 0, false
		})
		ss = append(ss, series{name: "median", x: x, y: y})
		for _, p := range s0.Percentiles {
			x, y := pick(func(r *Result) (float64, bool) {
				if s := r.Stat(m.name); s != nil {
					return s.Percentile(p.P)
				}
				return 0, false
			})
			ss = append(ss, series{name: "p" + percentileWord(p.P), x: x, y: y})
		}
		c := chart{id: m.name, title: m.title + " against " + string(param), xLabel: xLabel, yLabel: m.short + " (ms)", series: ss, vlines: vlines, infTick: infTick}
		if l := limits[m.name]; l > 0 {
			c.hlines = append(c.hlines, hline{y: l, label: fmt.Sprintf("SLO %g ms", l)})
		}
		lineChart(b, c)
	}
	x, y := pick(func(r *Result) (float64, bool) { return r.RequestThroughput, true })
	ss := []series{{name: "throughput", x: x, y: y}}
	if results[0].RequestGoodput != nil {
		x, y := pick(func(r *Result) (float64, bool) {
			if r.RequestGoodput == nil {
				return 0, false
			}
			return *r.RequestGoodput, true
		})
		ss = append(ss, series{name: "goodput", x: x, y: y})
	}
	lineChart(b, chart{id: "request-throughput", title: "Request throughput against " + string(param), xLabel: xLabel, yLabel: "Requests per second (req/s)", series: ss, vlines: vlines, infTick: infTick})
	x, y = pick(func(r *Result) (float64, bool) { return r.OutputThroughput, true })
	lineChart(b, chart{id: "output-throughput", title: "Output token throughput against " + string(param), xLabel: xLabel, yLabel: "Output tokens per second (tok/s)", series: []series{{name: "output", x: x, y: y}}, vlines: vlines, infTick: infTick})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type series struct {
	name string
	x, y []float64
}

type hline struct {
	y     float64
	label string
}

type chart struct {
	id, title, xLabel, yLabel string
	series                    []series
	hlines                    []hline
	vlines                    []float64
	infTick                   float64 // x drawn as "inf"; 0: none
	bars                      bool    // draw the first series as bars of width barW
	barW                      float64
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                   = 560, 320
	padL, padR, padT, padB           = 64, 16, 16, 48
	plotW                            = chartW - padL - padR
	plotH                            = chartH - padT - padB
	histogramBins                    = 30
	svgNS                            = "http://www.w3.org/2000/svg"
	ticksWanted                      = 5
	legendLine, legendGap, legendTop = 14, 110, padT + 4
)

// histogram draws the distribution of values as a bar chart.
func histogram(b *bytes.Buffer, id, title, xLabel, yLabel string, values []float64) {
	lo, hi := slices.Min(values), slices.Max(values)
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	w := (hi - lo) / histogramBins
	counts := make([]float64, histogramBins)
	for _, v := range values {
		i := min(int((v-lo)/w), histogramBins-1)
		counts[i]++
	}
	xs := make([]float64, histogramBins)
	for i := range xs {
		xs[i] = lo + float64(i)*w
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	p50, p99 := percentileOf(sorted, 50), percentileOf(sorted, 99)
	lineChart(b, chart{id: id, title: title, xLabel: xLabel, yLabel: yLabel,
		series: []series{{name: "count", x: xs, y: counts}}, bars: true, barW: w,
		vlines: []float64{p50, p99}})
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

func tickText(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func lineChart(b *bytes.Buffer, c chart) {
	xlo, xhi, yhi := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range c.series {
		for i := range s.x {
			xlo, xhi, yhi = min(xlo, s.x[i]), max(xhi, s.x[i]), max(yhi, s.y[i])
		}
	}
	if c.bars {
		xhi += c.barW
	}
	for _, h := range c.hlines {
		yhi = max(yhi, h.y)
	}
	for _, v := range c.vlines {
		xlo, xhi = min(xlo, v), max(xhi, v)
	}
	if math.IsInf(xlo, 1) {
		xlo, xhi = 0, 1
	}
	if !c.bars && xlo > 0 && xlo < (xhi-xlo) {
		xlo = 0
	}
	if xhi == xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	yhi *= 1.05
	if yhi == 0 {
		yhi = 1
	}
	px := func(x float64) float64 { return padL + (x-xlo)/(xhi-xlo)*plotW }
	py := func(y float64) float64 { return padT + plotH - y/yhi*plotH }

	fmt.Fprintf(b, "<figure id=\"%s\">\n<figcaption>%s</figcaption>\n", c.id, html.EscapeString(c.title))
	fmt.Fprintf(b, "<svg xmlns=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
		svgNS, chartW, chartH, chartW, chartH, html.EscapeString(c.title))
	// Grid and ticks.
	for _, t := range niceTicks(0, yhi, ticksWanted) {
		y := py(t)
		fmt.Fprintf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", padL, y, padL+plotW, y)
		fmt.Fprintf(b, "<text class=\"tick y\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", padL-6, y+4, tickText(t))
	}
	for _, t := range niceTicks(xlo, xhi, ticksWanted) {
		if c.infTick > 0 && t > c.infTick-(xhi-xlo)/10 {
			continue // the "inf" tick stands there
		}
		x := px(t)
		fmt.Fprintf(b, "<text class=\"tick x\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, padT+plotH+16, tickText(t))
	}
	if c.infTick > 0 {
		fmt.Fprintf(b, "<text class=\"tick x\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">inf</text>\n", px(c.infTick), padT+plotH+16)
	}
	// Axes.
	fmt.Fprintf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", padL, padT+plotH, padL+plotW, padT+plotH)
	fmt.Fprintf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", padL, padT, padL, padT+plotH)
	fmt.Fprintf(b, "<text class=\"axis-label x\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", padL+plotW/2, chartH-8, html.EscapeString(c.xLabel))
	fmt.Fprintf(b, "<text class=\"axis-label y\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">%s</text>\n",
		14, padT+plotH/2, 14, padT+plotH/2, html.EscapeString(c.yLabel))
	// Data.
	for i, s := range c.series {
		color := palette[i%len(palette)]
		if c.bars {
			bw := math.Max(c.barW/(xhi-xlo)*plotW-1, 1)
			for j := range s.x {
				if s.y[j] == 0 {
					continue
				}
				fmt.Fprintf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
					px(s.x[j]), py(s.y[j]), bw, py(0)-py(s.y[j]), color)
			}
			continue
		}
		var pts []string
		for j := range s.x {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.x[j]), py(s.y[j])))
		}
		fmt.Fprintf(b, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", color, strings.Join(pts, " "))
		for j := range s.x {
			fmt.Fprintf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(s.x[j]), py(s.y[j]), color)
		}
		if len(c.series) > 1 {
			lx := padL + 8 + i*legendGap%(plotW-legendGap)
			ly := legendTop + (i*legendGap/(plotW-legendGap))*legendLine
			fmt.Fprintf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text class=\"legend\" x=\"%d\" y=\"%d\">%s</text>\n",
				lx, ly, color, lx+14, ly+9, html.EscapeString(s.name))
		}
	}
	for _, h := range c.hlines {
		y := py(h.y)
		fmt.Fprintf(b, "<line class=\"slo\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			padL, y, padL+plotW, y, padL+plotW-4, y-4, html.EscapeString(h.label))
	}
	for i, v := range c.vlines {
		x := px(v)
		label, y := "knee", padT+plotH-6 // below the legend
		if c.bars {
			label, y = []string{"p50", "p99"}[i%2], padT+10+12*i
		}
		fmt.Fprintf(b, "<line class=\"knee\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/><text x=\"%.1f\" y=\"%d\">%s</text>\n",
			x, padT, x, padT+plotH, x+3, y, label)
	}
	b.WriteString("</svg>\n</figure>\n")
}
