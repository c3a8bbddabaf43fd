package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress reports how far a long command has got: a bar redrawn in place on
// a terminal, or a plain line every interval otherwise.
type progress struct {
	w        io.Writer
	label    string
	tty      bool
	interval time.Duration
}

func newProgress(w io.Writer, label string, interval time.Duration) *progress {
	p := &progress{w: w, label: label, tty: isTerminal(w), interval: interval}
	if p.tty {
		p.interval = 200 * time.Millisecond
	}
	return p
}

// start polls state until stop is called; stop draws the final state.
func (p *progress) start(state func() (done, total int, extra string)) (stop func()) {
	begin := time.Now()
	startDone, _, _ := state()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if p.interval <= 0 {
			<-quit
			return
		}
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				d, total, extra := state()
				p.draw(begin, startDone, d, total, extra, false)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
			if p.tty {
				d, total, extra := state()
				p.draw(begin, startDone, d, total, extra, true)
			}
		})
	}
}

// draw writes one progress report. Rate and ETA count only the work done
// since start (a resumed run does not inflate them).
func (p *progress) draw(begin time.Time, startDone, done, total int, extra string, final bool) {
	el := time.Since(begin)
	rate := float64(done-startDone) / el.Seconds()
	eta := "?"
	if rate > 0 && total >= done {
		eta = (time.Duration(float64(total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	if extra != "" {
		extra = "  " + extra
	}
	if !p.tty {
		fmt.Fprintf(p.w, "%s: %d/%d done, %.1f/s, ETA %s%s\n", p.label, done, total, rate, eta, extra)
		return
	}
	const width = 30
	filled := width
	if total > 0 {
		filled = min(width, done*width/total)
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s %s %3.0f%% %d/%d  %.1f/s  ETA %s%s", p.label, bar, pct, done, total, rate, eta, extra)
	if final {
		fmt.Fprintln(p.w)
	}
}
