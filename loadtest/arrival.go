package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Arrival is the arrival process of a run: when each request is sent,
// relative to the start.
type Arrival struct {
	// Rate is the mean request rate per second (--request-rate); 0 or
	// +Inf sends every request at once.
	Rate float64
	// Burstiness is the shape of the gamma distribution of the gaps
	// between requests (--burstiness): 1 (or 0, the default) is a Poisson
	// process, lower is burstier, higher more uniform, +Inf evenly spaced.
	Burstiness float64
	// RampUp is "linear" or "exponential" to raise the rate from
	// RampUpStartRPS at the first request to RampUpEndRPS at the last
	// (--ramp-up-strategy); Rate must then be left unlimited.
	RampUp string
	// RampUpStartRPS is the rate at the first request (--ramp-up-start-rps).
	RampUpStartRPS float64
	// RampUpEndRPS is the rate at the last request (--ramp-up-end-rps).
	RampUpEndRPS float64
}

func (a Arrival) unlimited() bool { return a.Rate == 0 || math.IsInf(a.Rate, 1) }

func (a Arrival) burstiness() float64 {
	if a.Burstiness == 0 {
		return 1
	}
	return a.Burstiness
}

// validate checks the settings as vLLM does.
func (a Arrival) validate() error {
	if a.Rate < 0 || math.IsNaN(a.Rate) {
		return fmt.Errorf("--request-rate must be positive or inf, got %g", a.Rate)
	}
	if b := a.burstiness(); !(b > 0) {
		return fmt.Errorf("--burstiness must be positive, got %g", b)
	}
	switch a.RampUp {
	case "":
		return nil
	case "linear", "exponential":
	default:
		return fmt.Errorf("--ramp-up-strategy must be linear or exponential, got %q", a.RampUp)
	}
	switch {
	case !a.unlimited():
		return errors.New("--ramp-up-strategy sets the request rate: leave --request-rate out")
	case a.RampUpStartRPS < 0 || a.RampUpEndRPS < 0:
		return errors.New("--ramp-up-start-rps and --ramp-up-end-rps must not be negative")
	case a.RampUpStartRPS > a.RampUpEndRPS:
		return errors.New("--ramp-up-start-rps must not exceed --ramp-up-end-rps")
	case a.RampUpEndRPS == 0:
		return errors.New("--ramp-up-start-rps and --ramp-up-end-rps are both required with --ramp-up-strategy")
	case a.RampUp == "exponential" && a.RampUpStartRPS == 0:
		return errors.New("--ramp-up-start-rps must be above 0 for an exponential ramp-up")
	}
	return nil
}

// rateAt is the rate in effect for request i of n.
func (a Arrival) rateAt(i, n int) float64 {
	if a.RampUp == "" {
		if a.unlimited() {
			return math.Inf(1)
		}
		return a.Rate
	}
	progress := float64(i) / float64(max(n-1, 1))
	if a.RampUp == "linear" {
		return a.RampUpStartRPS + (a.RampUpEndRPS-a.RampUpStartRPS)*progress
	}
	return a.RampUpStartRPS * math.Pow(a.RampUpEndRPS/a.RampUpStartRPS, progress)
}

// Schedule returns when each of n requests is sent, as an offset from the
// start, and the rate in effect for it. As in vLLM, each gap is drawn from
// a gamma distribution with shape Burstiness and mean 1/rate (the first
// request waits one gap too); without a ramp-up the offsets are then scaled
// so that the last one is exactly n/Rate, which keeps the achieved rate
// equal to the configured one whatever the seed.
func (a Arrival) Schedule(n int, seed int64) (offsets []time.Duration, rates []float64, err error) {
	if err := a.validate(); err != nil {
		return nil, nil, err
	}
	rng := newRand(seed, 0x61727276)
	b := a.burstiness()
	delays := make([]float64, n)
	rates = make([]float64, n)
	sum := 0.0
	for i := range n {
		r := a.rateAt(i, n)
		if !(r > 0) {
			return nil, nil, fmt.Errorf("request %d would be sent at a rate of %g requests/s; the rate must stay above 0", i, r)
		}
		rates[i] = r
		switch {
		case math.IsInf(r, 1):
		case math.IsInf(b, 1):
			sum += 1 / r
		default:
			sum += gamma(rng, b) / (r * b)
		}
		delays[i] = sum
	}
	if a.RampUp == "" && n > 0 && delays[n-1] != 0 {
		f := float64(n) / a.Rate / delays[n-1]
		for i := range delays {
			delays[i] *= f
		}
	}
	offsets = make([]time.Duration, n)
	for i, d := range delays {
		offsets[i] = time.Duration(math.Round(d * float64(time.Second)))
	}
	return offsets, rates, nil
}

// gamma draws from the gamma distribution with the given shape and scale 1
// (Marsaglia and Tsang's method; shapes below 1 are boosted by U^(1/shape)).
func gamma(rng *rand.Rand, shape float64) float64 {
	if shape == 1 {
		return rng.ExpFloat64()
	}
	if shape < 1 {
		return gamma(rng, shape+1) * math.Pow(1-rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		var x, v float64
		for v <= 0 {
			x = rng.NormFloat64()
			v = 1 + c*x
		}
		v = v * v * v
		u := 1 - rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// dispatch calls send(i) for each request at start+offsets[i] (never
// earlier, and in order), and stops early when ctx ends. send must not
// block for long: it should hand the request to a goroutine. It returns
// how many requests were dispatched.
func dispatch(ctx context.Context, start time.Time, offsets []time.Duration, send func(i int, arrival time.Time)) int {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i, off := range offsets {
		at := start.Add(off)
		if wait := time.Until(at); wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return i
			}
		} else if ctx.Err() != nil {
			return i
		}
		send(i, time.Now())
	}
	return len(offsets)
}
