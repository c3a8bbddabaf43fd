// Command benchreport runs every client side by side on the benchmark
// scenarios for a number of rounds, rotating the order of the clients each
// round, verifies every result exactly, and prints a markdown report of the
// medians with their ratios to the floor (io.Copy of the body) and to each
// peer, followed by the long-line probes and the targets.
//
// Usage, from the bench directory:
//
//	go run ./cmd/benchreport -rounds 15 > report.md
//
// The non-streaming comparison with the floor alone, paired round by round:
//
//	go run ./cmd/benchreport -streams=false -probes=false -rows floor,vllm-go -rounds 160 -requests 100
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/vllmgo/vllm/bench"
)

func main() {
	rounds := flag.Int("rounds", 15, "measured rounds (after one warm-up round)")
	chunks := flag.Int("chunks", 20000, "text chunks of the content and reasoning scenarios")
	fragments := flag.Int("fragments", 5000, "argument fragments per call of the four-call tool scenario")
	workers := flag.Int("workers", 64, "concurrent callers of the non-streaming scenario")
	perWorker := flag.Int("requests", 20, "requests per caller per round of the non-streaming scenario")
	chatChars := flag.Int("chat-chars", 2000, "characters of the non-streaming response's content")
	probes := flag.Bool("probes", true, "run the 100 KiB and 40 MiB line probes")
	withStreams := flag.Bool("streams", true, "measure the streaming scenarios (false: non-streaming chat only)")
	only := flag.String("rows", "", "comma-separated rows to measure, e.g. floor,vllm-go (default: every row)")
	quiet := flag.Bool("q", false, "no progress on stderr")
	flag.Parse()

	streams := []*bench.Scenario{
		bench.ContentScenario(*chunks),
		bench.ReasoningScenario(*chunks, "reasoning"),
		bench.ReasoningScenario(*chunks, "reasoning_content"),
		bench.ToolCallsScenario(4, *fragments),
	}
	if !*withStreams {
		streams = nil
	}
	chat := bench.ChatScenario(*chatChars)
	all := append(append([]*bench.Scenario{}, streams...), chat)
	var probeScs []*bench.Scenario
	if *probes {
		probeScs = []*bench.Scenario{bench.LongLineScenario(100 << 10), bench.LongLineScenario(40 << 20)}
		all = append(all, probeScs...)
	}
	srv := bench.NewServer(all...)
	defer srv.Close()
	every := bench.NewRows(srv.URL)
	defer func() {
		for _, r := range every {
			r.Close()
		}
	}()
	rows := every
	if *only != "" {
		rows = selectRows(rows, strings.Split(*only, ","))
	}

	var log io.Writer = os.Stderr
	if *quiet {
		log = nil
	}
	startLoad := loadavg()
	start := time.Now().UTC()
	rep := bench.Run(context.Background(), rows, bench.ReportConfig{
		Rounds: *rounds, Streams: streams, Chat: chat, Workers: *workers, PerWorker: *perWorker,
		Probes: probeScs, Log: log,
	})
	end := time.Now().UTC()

	w := os.Stdout
	fmt.Fprintf(w, "## Run of %s – %s UTC\n\n", start.Format("2006-01-02 15:04"), end.Format("15:04"))
	fmt.Fprintf(w, "- machine: %s, %d logical CPUs (GOMAXPROCS %d), %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "- %s\n", runtime.Version())
	fmt.Fprintf(w, "- load average (1, 5, 15 min) at start: %s; at end: %s\n", startLoad, loadavg())
	fmt.Fprintf(w, "- command: `go run ./cmd/benchreport %s`\n", strings.Join(os.Args[1:], " "))
	for _, sc := range streams {
		fmt.Fprintf(w, "- scenario %s: %d text-carrying chunks, %d bytes\n", sc.Name, sc.Deltas, len(sc.Body))
	}
	fmt.Fprintf(w, "- scenario chat: one %d-byte JSON response per request\n\n", len(chat.Body))
	rep.Markdown(w)
	for _, sc := range streams {
		for _, row := range rep.Rows {
			if reason, ok := bench.Unsupported(row, sc.Name); ok {
				fmt.Fprintf(w, "\n%s on %s: %s.\n", row, sc.Name, reason)
			}
		}
	}
}

// cpuModel returns the processor's model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
			return string(bytes.TrimSpace(v))
		}
	}
	return "unknown CPU"
}

// loadavg returns the first three fields of /proc/loadavg.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// selectRows returns the rows named, in their usual order; an unknown name
// is a usage error.
func selectRows(rows []*bench.Row, names []string) []*bench.Row {
	want := map[string]bool{}
	for _, name := range names {
		want[strings.TrimSpace(name)] = true
	}
	var out []*bench.Row
	for _, r := range rows {
		if want[r.Name] {
			out = append(out, r)
			delete(want, r.Name)
		}
	}
	for name := range want {
		fmt.Fprintf(os.Stderr, "benchreport: no row %q\n", name)
		os.Exit(2)
	}
	return out
}
