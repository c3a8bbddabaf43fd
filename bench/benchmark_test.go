package bench

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/vllmgo/vllm"
)

// The benchmarks run only under -bench: the scenarios are rendered on first
// use. Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 | tee new.txt
//	benchstat old.txt new.txt
//
// Sub-benchmark names are scenario=…/client=… so that benchstat can put
// the clients side by side: benchstat -col /client new.txt

// Sizes of the benchmark scenarios.
const (
	streamChunks   = 20000 // content and reasoning scenarios
	toolCalls      = 4
	toolFragments  = 5000 // per call
	chatChars      = 2000 // content of the non-streaming response
	chatConcurrent = 64
)

var (
	benchOnce   sync.Once
	benchServer *Server
	benchRows   []*Row
	benchStream []*Scenario
	benchChat   *Scenario
)

func benchSetup() {
	benchOnce.Do(func() {
		benchStream = []*Scenario{
			ContentScenario(streamChunks),
			ReasoningScenario(streamChunks, "reasoning"),
			ReasoningScenario(streamChunks, "reasoning_content"),
			ToolCallsScenario(toolCalls, toolFragments),
		}
		benchChat = ChatScenario(chatChars)
		benchServer = NewServer(append(benchStream, benchChat)...)
		benchRows = NewRows(benchServer.URL)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchServer != nil {
		for _, r := range benchRows {
			r.Close()
		}
		benchServer.Close()
	}
	os.Exit(code)
}

// BenchmarkStream reads each streaming scenario with each client, one
// request per iteration, verifying every result exactly. Besides ns/op and
// allocs/op it reports ns/event and allocs/event, an event being one chunk
// that carries generated text (allocations are counted in the whole process,
// so the in-process server's few per request are included, as the floor
// row shows).
func BenchmarkStream(b *testing.B) {
	benchSetup()
	for _, sc := range benchStream {
		b.Run("scenario="+sc.Name, func(b *testing.B) {
			for _, row := range benchRows {
				b.Run("client="+row.Name, func(b *testing.B) { benchStreamRow(b, row, sc) })
			}
		})
	}
}

func benchStreamRow(b *testing.B, row *Row, sc *Scenario) {
	if reason, ok := Unsupported(row.Name, sc.Name); ok {
		b.Skip(reason)
	}
	ctx := context.Background()
	if _, err := Measure(ctx, row, sc); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(sc.Body)))
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	n := 0
	for b.Loop() {
		if err := doVerified(ctx, row, sc); err != nil {
			b.Fatal(err)
		}
		n++
	}
	runtime.ReadMemStats(&m1)
	events := float64(n * sc.Deltas)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/events, "allocs/event")
}

// BenchmarkChat64 sends non-streaming chat requests from 64 concurrent
// goroutines per client, verifying every response; it reports requests per
// second besides ns/op (wall time divided by requests).
func BenchmarkChat64(b *testing.B) {
	benchSetup()
	for _, row := range benchRows {
		if row.StreamOnly {
			continue
		}
		b.Run("client="+row.Name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := Measure(ctx, row, benchChat); err != nil {
				b.Fatal(err)
			}
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((chatConcurrent + procs - 1) / procs)
			b.ReportAllocs()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := doVerified(ctx, row, benchChat); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			// CPU time per request is steadier than wall time on a shared
			// machine: other processes' load stretches wall time only.
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/req")
		})
	}
}

// BenchmarkChat64Paired is BenchmarkChat64 as a ratio to the floor, the
// measure of the non-streaming target: each iteration is a round of two
// batches, 64 callers × 100 requests of the floor and of this module's
// client, back to back in alternating order, and it reports the median over
// rounds of vllm-go's batch time divided by the floor's (wall and CPU).
// Paired so, the machine's drift between and within processes cancels out
// of each ratio. Run it with -benchtime 20x (rounds) and -count for
// benchstat.
func BenchmarkChat64Paired(b *testing.B) {
	benchSetup()
	var floor, ours *Row
	for _, r := range benchRows {
		switch r.Name {
		case RowFloor:
			floor = r
		case RowOurs:
			ours = r
		}
	}
	for _, r := range []*Row{floor, ours} { // connections and heap warm
		if _, err := MeasureConcurrent(context.Background(), r, benchChat, chatConcurrent, 10); err != nil {
			b.Fatal(err)
		}
	}
	var wall, cpu []float64
	for round := 0; b.Loop(); round++ {
		order := []*Row{floor, ours}
		if round%2 == 1 {
			order[0], order[1] = ours, floor
		}
		var s [2]Sample
		for _, r := range order {
			x, err := MeasureConcurrent(context.Background(), r, benchChat, chatConcurrent, 100)
			if err != nil {
				b.Fatal(err)
			}
			if r == ours {
				s[1] = x
			} else {
				s[0] = x
			}
		}
		wall = append(wall, float64(s[1].Wall)/float64(s[0].Wall))
		cpu = append(cpu, float64(s[1].CPU)/float64(s[0].CPU))
	}
	b.ReportMetric(median(wall), "wall÷floor")
	b.ReportMetric(median(cpu), "cpu÷floor")
}

// BenchmarkLongLine reads a stream whose one tool-argument line is 40 MiB
// long with every row. openai-go's scanner stops at 32 MiB lines: the
// benchmark checks that it fails exactly so and times the others.
func BenchmarkLongLine(b *testing.B) {
	sc := LongLineScenario(40 << 20)
	srv := NewServer(sc)
	defer srv.Close()
	for _, row := range NewRows(srv.URL) {
		b.Run("client="+row.Name, func(b *testing.B) {
			defer row.Close()
			got := Probe(context.Background(), row, sc)
			if row.Name == RowOpenAIGo {
				if got != "fails: bufio.Scanner: token too long" {
					b.Fatalf("openai-go on a 40 MiB line: %s (expected its 32 MiB scanner limit)", got)
				}
				b.Skip("openai-go cannot read a 40 MiB line: " + got)
			}
			if got != "ok" {
				b.Fatal(got)
			}
			b.SetBytes(int64(len(sc.Body)))
			for b.Loop() {
				if got := Probe(context.Background(), row, sc); got != "ok" {
					b.Fatal(got)
				}
			}
		})
	}
}

// BenchmarkBalanceChat64 is BenchmarkChat64 for this module's client over
// two endpoints (two names of the same server), under LeastOutstanding and
// under PrefixAffinity: the difference is what routing by prefix costs per
// request (hashing the body's blocks, the index lookup and update).
func BenchmarkBalanceChat64(b *testing.B) {
	benchSetup()
	u, err := url.Parse(benchServer.URL)
	if err != nil {
		b.Fatal(err)
	}
	other := "http://localhost:" + u.Port() + u.Path
	for _, bal := range []struct {
		name string
		b    vllm.Balance
	}{{"LeastOutstanding", vllm.LeastOutstanding}, {"PrefixAffinity", vllm.PrefixAffinity}} {
		b.Run("balance="+bal.name, func(b *testing.B) {
			c, err := vllm.New(benchServer.URL, vllm.WithEndpoints(other), vllm.WithBalance(bal.b),
				vllm.WithHTTPClient(&http.Client{Transport: NewTransport()}))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((chatConcurrent + procs - 1) / procs)
			b.ReportAllocs()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				req := &vllm.ChatRequest{Model: benchChat.Name, Messages: []vllm.Message{vllm.User(userPrompt)}}
				for pb.Next() {
					if _, err := c.Chat.Create(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/req")
		})
	}
}
