package loadtest

import (
	"context"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// node is an element of a parsed page.
type node struct {
	name     string
	attr     map[string]string
	text     string
	children []*node
}

// parsePage parses the page as XML, which fails unless it is well-formed.
func parsePage(t *testing.T, page string) *node {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = true
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	return root
}

func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

var unitRE = regexp.MustCompile(`\((ms|s|req/s|tok/s|requests)\)$`)

// checkFigures checks every figure: a caption, exactly one SVG chart, an x
// and a y axis label each naming its unit, and drawn data.
func checkFigures(t *testing.T, root *node, wantIDs []string) map[string]*node {
	t.Helper()
	figs := root.all("figure")
	byID := map[string]*node{}
	for _, f := range figs {
		id := f.attr["id"]
		byID[id] = f
		if caps := f.all("figcaption"); len(caps) != 1 || strings.TrimSpace(caps[0].text) == "" {
			t.Errorf("figure %s: %d captions", id, len(caps))
		}
		svgs := f.all("svg")
		if len(svgs) != 1 {
			t.Errorf("figure %s holds %d charts, want 1", id, len(svgs))
			continue
		}
		labels := map[string]string{}
		for _, tx := range svgs[0].all("text") {
			switch tx.attr["class"] {
			case "axis-label x":
				labels["x"] = tx.text
			case "axis-label y":
				labels["y"] = tx.text
			}
		}
		for _, axis := range []string{"x", "y"} {
			if !unitRE.MatchString(labels[axis]) && !(axis == "y" && (labels[axis] == "Requests" || labels[axis] == "Token gaps")) {
				t.Errorf("figure %s: %s axis label %q names no unit", id, axis, labels[axis])
			}
		}
		if len(svgs[0].all("polyline"))+len(svgs[0].all("rect")) == 0 {
			t.Errorf("figure %s draws no data", id)
		}
	}
	var got []string
	for _, f := range figs {
		got = append(got, f.attr["id"])
	}
	if strings.Join(got, ",") != strings.Join(wantIDs, ",") {
		t.Errorf("figures %v, want %v", got, wantIDs)
	}
	return byID
}

func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	if strings.Contains(page, "<script") || strings.Contains(page, "@import") || strings.Contains(page, "<link") {
		t.Errorf("the page loads scripts or styles")
	}
	for _, m := range regexp.MustCompile(`https?://[^"' )]+`).FindAllString(page, -1) {
		if m != "http://www.w3.org/2000/svg" {
			t.Errorf("the page refers to %s", m)
		}
	}
}

func TestReportOneRun(t *testing.T) {
	res, err := Run(context.Background(), Config{
		BaseURL: "http://sim", Model: "m", Requests: sampleRandom(t, 20, 4, 6), MaxConcurrency: 4,
		HTTPClient: &http.Client{Transport: &sseTransport{tokens: 6, itl: time.Millisecond}},
		Metrics:    []string{MetricTTFT, MetricITL, MetricE2EL},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteReport(&b, "Run <1> & co", []*Result{res}, SLO{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	root := parsePage(t, page)
	checkSelfContained(t, page)
	if titles := root.all("title"); len(titles) != 1 || titles[0].text != "Run <1> & co" {
		t.Errorf("title %v", titles)
	}
	figs := checkFigures(t, root, []string{"ttft", "itl", "e2el", "tokens-per-second", "in-flight"})
	bars := 0
	for _, r := range figs["e2el"].all("rect") {
		if r.attr["class"] == "bar" {
			bars++
		}
	}
	if bars == 0 {
		t.Errorf("the E2EL histogram has no bar")
	}

	// Without details only the E2EL distribution is left.
	res.DropDetails()
	b.Reset()
	if err := WriteReport(&b, "r", []*Result{res}, SLO{}); err != nil {
		t.Fatal(err)
	}
	checkFigures(t, parsePage(t, b.String()), []string{"e2el"})
	if !strings.Contains(b.String(), "--save-detailed") {
		t.Errorf("the page does not say why the other charts are missing")
	}
}

func TestReportSweep(t *testing.T) {
	var results []*Result
	for i, rate := range []float64{1, 2, 4, math.Inf(1)} {
		r := point(rate, 0, []float64{1, 2, 3, 3.2}[i], 100, 100-20*i)
		for _, m := range []string{MetricTTFT, MetricTPOT, MetricITL} {
			r.Stats = append(r.Stats, MetricStats{Metric: m, Mean: 100 * float64(i+1), Median: 90 * float64(i+1), Percentiles: []Percentile{{99, 300 * float64(i+1)}}})
		}
		results = append(results, r)
	}
	var b strings.Builder
	if err := WriteReport(&b, "sweep", results, SLO{TTFT: 250 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	root := parsePage(t, page)
	checkSelfContained(t, page)
	figs := checkFigures(t, root, []string{"ttft", "tpot", "itl", "request-throughput", "output-throughput"})
	sloLines := func(f *node) int {
		n := 0
		for _, l := range f.all("line") {
			if l.attr["class"] == "slo" {
				n++
			}
		}
		return n
	}
	if sloLines(figs["ttft"]) != 1 || sloLines(figs["tpot"]) != 0 {
		t.Errorf("SLO lines: ttft %d, tpot %d; want 1 and 0", sloLines(figs["ttft"]), sloLines(figs["tpot"]))
	}
	if lines := figs["ttft"].all("polyline"); len(lines) != 3 {
		t.Errorf("ttft chart draws %d lines, want mean, median and p99", len(lines))
	}
	infTicks := 0
	for _, tx := range figs["request-throughput"].all("text") {
		if tx.attr["class"] == "tick x" && tx.text == "inf" {
			infTicks++
		}
	}
	if infTicks != 1 {
		t.Errorf("%d inf ticks, want 1", infTicks)
	}
	if !strings.Contains(page, "Knee") || !strings.Contains(page, "meeting the SLOs") {
		t.Errorf("the summary lacks the knee or the best rate")
	}
}
