package bench

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is one verified measurement of one row on one scenario.
type Sample struct {
	Wall time.Duration
	// CPU is the CPU time (user and system) the whole process used during
	// the run: the client, the in-process server and the garbage collector.
	// Unlike Wall it hardly grows when other programs load the machine.
	CPU time.Duration
	// Allocs is the number of heap allocations during the run, in the
	// whole process (the in-process server's few allocations included).
	Allocs uint64
}

// Measure runs row once on sc after a garbage collection, verifies the
// result exactly and returns the measurement. A run whose result differs
// from what was rendered is an error, never a sample.
func Measure(ctx context.Context, row *Row, sc *Scenario) (Sample, error) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU()
	start := time.Now()
	res, err := row.Do(ctx, sc)
	wall := time.Since(start)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&m1)
	if err != nil {
		return Sample{}, err
	}
	if err := sc.Verify(res); err != nil {
		return Sample{}, err
	}
	return Sample{Wall: wall, CPU: cpu, Allocs: m1.Mallocs - m0.Mallocs}, nil
}

// doVerified sends sc with row and verifies the result.
func doVerified(ctx context.Context, row *Row, sc *Scenario) error {
	res, err := row.Do(ctx, sc)
	if err != nil {
		return err
	}
	return sc.Verify(res)
}

// MeasureConcurrent sends workers × perWorker requests for sc with row,
// workers at a time, verifies every result and returns the wall and CPU
// time of the whole batch (Allocs is not counted). Every request is sent
// with ctx itself, as BenchmarkChat64 sends them (context.Background there):
// a first failure stops the workers between requests, not by canceling a
// context the calls would all share.
func MeasureConcurrent(ctx context.Context, row *Row, sc *Scenario, workers, perWorker int) (Sample, error) {
	runtime.GC()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		failed   atomic.Bool
		firstErr error
		start    = make(chan struct{})
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range perWorker {
				if failed.Load() {
					return
				}
				if err := doVerified(ctx, row, sc); err != nil {
					once.Do(func() { firstErr = err; failed.Store(true) })
					return
				}
			}
		}()
	}
	cpu0 := processCPU()
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)
	return Sample{Wall: wall, CPU: processCPU() - cpu0}, firstErr
}

// Probe runs row once on sc and reports whether the result was exact:
// "ok", or what went wrong.
func Probe(ctx context.Context, row *Row, sc *Scenario) string {
	res, err := row.Do(ctx, sc)
	if err == nil {
		err = sc.Verify(res)
	}
	if err != nil {
		return "fails: " + oneLine(err.Error())
	}
	return "ok"
}

// oneLine shortens an error message to one line for a table cell.
func oneLine(s string) string {
	const max = 110
	s = strings.NewReplacer("\n", " ", "|", "/").Replace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
