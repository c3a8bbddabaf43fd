package loadtest

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"
)

func gaps(offsets []time.Duration) []float64 {
	g := make([]float64, len(offsets))
	prev := time.Duration(0)
	for i, o := range offsets {
		g[i] = (o - prev).Seconds()
		prev = o
	}
	return g
}

func meanCV(xs []float64) (mean, cv float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var sq float64
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq/float64(len(xs))) / mean
}

// TestScheduleGamma checks the shape of the arrival process: the last
// request is sent at exactly n/rate, and the gaps' coefficient of variation
// is 1/sqrt(burstiness), as for vLLM's gamma arrivals.
func TestScheduleGamma(t *testing.T) {
	const n, rate = 20000, 5.0
	for _, b := range []float64{0.25, 1, 4} {
		offsets, rates, err := Arrival{Rate: rate, Burstiness: b}.Schedule(n, 7)
		if err != nil {
			t.Fatal(err)
		}
		if last := offsets[n-1]; last != time.Duration(n/rate*float64(time.Second)) {
			t.Errorf("burstiness %g: last request at %v, want %v", b, last, time.Duration(n/rate*float64(time.Second)))
		}
		_, cv := meanCV(gaps(offsets))
		if want := 1 / math.Sqrt(b); math.Abs(cv-want) > 0.05*want {
			t.Errorf("burstiness %g: coefficient of variation %.3f, want %.3f", b, cv, want)
		}
		if rates[0] != rate || rates[n-1] != rate {
			t.Errorf("rates %v..%v", rates[0], rates[n-1])
		}
		again, _, _ := Arrival{Rate: rate, Burstiness: b}.Schedule(n, 7)
		if again[n/2] != offsets[n/2] {
			t.Errorf("the same seed gave another schedule")
		}
	}
}

func TestScheduleSpecialCases(t *testing.T) {
	offsets, _, err := Arrival{}.Schedule(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offsets {
		if o != 0 {
			t.Errorf("an unlimited rate sends everything at 0, got %v", offsets)
		}
	}
	offsets, _, _ = Arrival{Rate: 4, Burstiness: math.Inf(1)}.Schedule(4, 1)
	for i, o := range offsets {
		if want := time.Duration(i+1) * 250 * time.Millisecond; o != want {
			t.Errorf("evenly spaced request %d at %v, want %v", i, o, want)
		}
	}
	_, rates, err := Arrival{RampUp: "linear", RampUpStartRPS: 1, RampUpEndRPS: 9}.Schedule(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1, 3, 5, 7, 9} {
		if rates[i] != want {
			t.Errorf("linear ramp rate %d = %v, want %v", i, rates[i], want)
		}
	}
	_, rates, _ = Arrival{RampUp: "exponential", RampUpStartRPS: 1, RampUpEndRPS: 16}.Schedule(5, 1)
	for i, want := range []float64{1, 2, 4, 8, 16} {
		if math.Abs(rates[i]-want) > 1e-12 {
			t.Errorf("exponential ramp rate %d = %v, want %v", i, rates[i], want)
		}
	}
	for _, a := range []Arrival{
		{RampUp: "linear", RampUpStartRPS: 0, RampUpEndRPS: 5},
		{RampUp: "exponential", RampUpStartRPS: 0, RampUpEndRPS: 5},
		{RampUp: "linear", RampUpStartRPS: 5, RampUpEndRPS: 1},
		{RampUp: "sine", RampUpStartRPS: 1, RampUpEndRPS: 5},
		{Rate: 1, Burstiness: -1},
	} {
		if _, _, err := a.Schedule(3, 1); err == nil {
			t.Errorf("%+v: no error", a)
		}
	}
}

// TestDispatchWaitsForEachOffset checks dispatch on a simulated clock: each
// request leaves at its offset, and a cancelled context stops the rest.
func TestDispatchWaitsForEachOffset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		offsets := []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, time.Second, 3 * time.Second}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		var sent []time.Duration
		n := dispatch(ctx, start, offsets, func(i int, at time.Time) { sent = append(sent, at.Sub(start)) })
		if n != 4 || len(sent) != 4 {
			t.Fatalf("dispatched %d, want 4 before the cancel", n)
		}
		for i, s := range sent {
			if s != offsets[i] {
				t.Errorf("request %d at %v, want %v", i, s, offsets[i])
			}
		}
	})
}
