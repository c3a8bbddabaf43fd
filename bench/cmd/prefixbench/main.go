// Command prefixbench runs the prefix-routing benchmark (bench.RunPrefix):
// the same multi-turn workload over vllmtest replicas that simulate vLLM's
// prefix cache, under RoundRobin, LeastOutstanding and PrefixAffinity, and
// on one replica holding the same total cache. It prints a Markdown table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/vllmgo/vllm/bench"
)

func main() {
	w := bench.DefaultPrefixWorkload()
	flag.IntVar(&w.Replicas, "replicas", w.Replicas, "vLLM replicas")
	flag.IntVar(&w.BlocksEach, "blocks", w.BlocksEach, "KV-cache blocks of 16 tokens per replica")
	flag.IntVar(&w.Conversations, "conversations", w.Conversations, "conversations in all")
	flag.IntVar(&w.Concurrency, "concurrency", w.Concurrency, "conversations at once")
	flag.IntVar(&w.Turns, "turns", w.Turns, "turns per conversation")
	flag.Float64Var(&w.DocumentShare, "document-share", w.DocumentShare, "share of conversations quoting the hot document")
	flag.DurationVar(&w.MaxPause, "max-pause", w.MaxPause, "longest random pause between turns")
	flag.DurationVar(&w.PrefillPerTok, "prefill-per-token", w.PrefillPerTok, "server time per uncached prompt token")
	flag.Parse()
	fmt.Printf("%s, GOMAXPROCS %d, %s\n\n", time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("workload: %+v\n\n", w)
	rs, err := bench.RunPrefix(context.Background(), w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "prefixbench:", err)
		os.Exit(1)
	}
	bench.WritePrefixTable(os.Stdout, rs)
}
