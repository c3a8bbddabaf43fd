package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// SweepParameter names what a sweep varies.
type SweepParameter string

// The parameters a sweep can vary.
const (
	SweepRequestRate    SweepParameter = "request_rate"
	SweepMaxConcurrency SweepParameter = "max_concurrency"
)

// DefaultAttainment is the share of requests that must meet every SLO for
// a sweep point to count as meeting the SLOs: 90%, as in DistServe's
// definition of goodput.
const DefaultAttainment = 0.9

// Sweep runs cfg once per value of the parameter (a request rate, +Inf for
// all at once, or a concurrency limit), in the order given, and calls each
// with every result as it is ready; an error from each stops the sweep.
func Sweep(ctx context.Context, cfg Config, param SweepParameter, values []float64, each func(*Result) error) ([]*Result, error) {
	if len(values) == 0 {
		return nil, errors.New("a sweep needs at least one value")
	}
	var out []*Result
	for _, v := range values {
		c := cfg
		switch param {
		case SweepRequestRate:
			c.Arrival.Rate = v
		case SweepMaxConcurrency:
			if v < 1 || v != math.Trunc(v) {
				return out, fmt.Errorf("--max-concurrency %g: want a whole number above 0", v)
			}
			c.MaxConcurrency = int(v)
		default:
			return out, fmt.Errorf("a sweep varies %s or %s, not %q", SweepRequestRate, SweepMaxConcurrency, param)
		}
		r, err := Run(ctx, c)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if each != nil {
			if err := each(r); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// SweepSummary is the outcome of a sweep, as written to its summary file.
type SweepSummary struct {
	// Parameter is what the sweep varied.
	Parameter SweepParameter `json:"parameter"`
	// SLO holds the goodput objectives in milliseconds (ttft, tpot, e2el);
	// empty when none was given.
	SLO map[string]float64 `json:"slo,omitempty"`
	// Attainment is the share of requests that must meet the SLOs.
	Attainment float64 `json:"slo_attainment_target"`
	// Points holds one entry per run, in the order run.
	Points []SweepPoint `json:"points"`
	// Best is the index in Points of the highest value that met the SLOs,
	// or -1 when none did (or no SLO was given).
	Best int `json:"best"`
	// Knee is the index in Points of the last point where raising the
	// parameter still raised throughput at least half as much in
	// proportion, or -1 when there are fewer than two finite points.
	Knee int `json:"knee"`
}

// SweepPoint is one run of a sweep.
type SweepPoint struct {
	// Value is the parameter's value; a request rate of "inf" is written as
	// null.
	Value float64 `json:"-"`
	// File is the run's result file, relative to the summary's directory.
	File string `json:"file,omitempty"`
	// RequestThroughput is completed requests per second.
	RequestThroughput float64 `json:"request_throughput"`
	// RequestGoodput is good requests per second; nil without an SLO.
	RequestGoodput *float64 `json:"request_goodput"`
	// OutputThroughput is output tokens per second.
	OutputThroughput float64 `json:"output_throughput"`
	// Completed counts the successful requests.
	Completed int `json:"completed"`
	// Failed counts the failed requests.
	Failed int `json:"failed"`
	// Attainment is the share of requests that met every SLO; nil without
	// an SLO.
	Attainment *float64 `json:"slo_attainment"`
	// MeetsSLO reports whether Attainment reached the target.
	MeetsSLO bool `json:"meets_slo"`
}

// MarshalJSON writes the point with its value under "value" ("inf" for an
// unlimited rate).
func (p SweepPoint) MarshalJSON() ([]byte, error) {
	type plain SweepPoint
	b, err := json.Marshal(plain(p))
	if err != nil {
		return nil, err
	}
	v := []byte(`"inf"`)
	if !math.IsInf(p.Value, 1) {
		v = []byte(pyFloat(p.Value))
	}
	return append(append([]byte(`{"value": `), v...), append([]byte(", "), b[1:]...)...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *SweepPoint) UnmarshalJSON(b []byte) error {
	type plain SweepPoint
	var v struct {
		Value json.RawMessage `json:"value"`
		plain
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = SweepPoint(v.plain)
	if string(v.Value) == `"inf"` {
		p.Value = math.Inf(1)
		return nil
	}
	return json.Unmarshal(v.Value, &p.Value)
}

// sloMillis is the SLO as the summary writes it.
func sloMillis(s SLO) map[string]float64 {
	if s.IsZero() {
		return nil
	}
	m := map[string]float64{}
	for k, d := range map[string]float64{"ttft": s.TTFT.Seconds(), "tpot": s.TPOT.Seconds(), "e2el": s.E2EL.Seconds()} {
		if d > 0 {
			m[k] = d * 1000
		}
	}
	return m
}

// SweepValue is the value of the swept parameter in a result.
func SweepValue(r *Result, param SweepParameter) float64 {
	if param == SweepMaxConcurrency {
		return float64(r.MaxConcurrency)
	}
	if r.RequestRate == 0 {
		return math.Inf(1)
	}
	return r.RequestRate
}

// Summarize builds the summary of a sweep's results. files, when not nil,
// names each result's file. With an SLO, a point meets it when at least
// attainment (0 means DefaultAttainment) of its requests were good.
func Summarize(param SweepParameter, results []*Result, files []string, slo SLO, attainment float64) SweepSummary {
	if attainment <= 0 {
		attainment = DefaultAttainment
	}
	s := SweepSummary{Parameter: param, SLO: sloMillis(slo), Attainment: attainment, Best: -1, Knee: -1}
	for i, r := range results {
		p := SweepPoint{
			Value: SweepValue(r, param), RequestThroughput: r.RequestThroughput, RequestGoodput: r.RequestGoodput,
			OutputThroughput: r.OutputThroughput, Completed: r.Completed, Failed: r.Failed,
		}
		if i < len(files) {
			p.File = files[i]
		}
		if r.RequestGoodput != nil && !slo.IsZero() {
			total := float64(r.Completed + r.Failed)
			a := 0.0
			if total > 0 {
				a = math.Round(*r.RequestGoodput*r.Duration) / total
			}
			p.Attainment = &a
			p.MeetsSLO = a >= attainment
			if p.MeetsSLO && (s.Best < 0 || p.Value > s.Points[s.Best].Value) {
				s.Best = len(s.Points)
			}
		}
		s.Points = append(s.Points, p)
	}
	s.Knee = knee(s.Points)
	return s
}

// knee finds the last point, in order of the parameter, whose throughput
// gain over the previous point is at least half the relative increase of
// the parameter.
func knee(points []SweepPoint) int {
	idx := make([]int, 0, len(points))
	for i, p := range points {
		if !math.IsInf(p.Value, 1) && p.Value > 0 {
			idx = append(idx, i)
		}
	}
	// Sort the finite points by value (few points: insertion sort).
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && points[idx[j]].Value < points[idx[j-1]].Value; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	if len(idx) < 2 {
		return -1
	}
	k := idx[0]
	for n := 1; n < len(idx); n++ {
		prev, cur := points[idx[n-1]], points[idx[n]]
		if prev.RequestThroughput <= 0 {
			k = idx[n]
			continue
		}
		gain := cur.RequestThroughput/prev.RequestThroughput - 1
		step := cur.Value/prev.Value - 1
		if gain < step/2 {
			break
		}
		k = idx[n]
	}
	return k
}

// ReadSweep reads a sweep summary file and the result files it names
// (relative to the summary's directory).
func ReadSweep(path string) (*SweepSummary, []*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var s SweepSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Parameter == "" {
		return nil, nil, fmt.Errorf("%s is not a sweep summary", path)
	}
	var results []*Result
	for _, p := range s.Points {
		r, err := ReadResult(filepath.Join(filepath.Dir(path), p.File))
		if err != nil {
			return nil, nil, err
		}
		results = append(results, r)
	}
	return &s, results, nil
}
