package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/loadtest"
	"github.com/vllmgo/vllm/metrics"
	"github.com/vllmgo/vllm/vllmtest"
)

// PrefixWorkload describes the prefix-routing benchmark: many concurrent
// multi-turn conversations that all start with one system prompt, a share of
// them also with one hot document, over several vllmtest replicas that each
// simulate vLLM's prefix cache with a bounded number of blocks.
type PrefixWorkload struct {
	Replicas      int           // vLLM replicas
	BlocksEach    int           // KV-cache blocks of 16 tokens per replica
	Conversations int           // conversations in all
	Concurrency   int           // conversations running at once
	Turns         int           // turns per conversation
	SystemWords   int           // length of the shared system prompt
	DocumentWords int           // length of the hot shared document
	DocumentShare float64       // share of conversations quoting the document
	QuestionWords int           // length of each user turn
	AnswerTokens  int           // max_tokens of each turn
	MaxPause      time.Duration // conversations pause up to this between turns
	PrefillPerTok time.Duration // server time per uncached prompt token
	TTFT          time.Duration // server base time to first token
	Seed          uint64
}

// DefaultPrefixWorkload is the workload of docs/benchmarks.md.
func DefaultPrefixWorkload() PrefixWorkload {
	return PrefixWorkload{
		Replicas: 4, BlocksEach: 1536, Conversations: 96, Concurrency: 32, Turns: 6,
		SystemWords: 600, DocumentWords: 1500, DocumentShare: 0.5, QuestionWords: 60, AnswerTokens: 24,
		MaxPause: 20 * time.Millisecond, PrefillPerTok: 100 * time.Microsecond, TTFT: 2 * time.Millisecond, Seed: 1,
	}
}

// PrefixResult is what one strategy did with the workload.
type PrefixResult struct {
	Strategy         string
	Requests         int
	PromptTokens     int // from usage
	CachedTokens     int // from usage.prompt_tokens_details.cached_tokens
	MetricsQueries   float64
	MetricsHits      float64       // vllm:prefix_cache_hits_total summed over replicas
	TTFTp50, TTFTp99 time.Duration // measured: wall time to the first token
	// ModelTTFTp50 and ModelTTFTp99 are the server's modelled time to
	// first token, TTFT + uncached prompt tokens × PrefillPerTok, from
	// each request's usage: what an idle machine would measure.
	ModelTTFTp50, ModelTTFTp99 time.Duration
	PerReplica                 []int // requests served by each replica
	Errors                     int
}

// HitRate is cached / prompt tokens, from usage.
func (r PrefixResult) HitRate() float64 {
	if r.PromptTokens == 0 {
		return 0
	}
	return float64(r.CachedTokens) / float64(r.PromptTokens)
}

// Uncached is the prefill work left: prompt tokens not found in a cache.
func (r PrefixResult) Uncached() int { return r.PromptTokens - r.CachedTokens }

// LoadImbalance is max/mean requests per replica.
func (r PrefixResult) LoadImbalance() float64 {
	if len(r.PerReplica) == 0 {
		return 0
	}
	total, most := 0, 0
	for _, n := range r.PerReplica {
		total += n
		most = max(most, n)
	}
	return float64(most) * float64(len(r.PerReplica)) / float64(total)
}

// strategies run by RunPrefix: the three balances over the replicas, and
// one replica holding the same total cache (the ideal a router approaches).
var prefixStrategies = []struct {
	name    string
	balance vllm.Balance
	single  bool
}{
	{"one replica, same total cache", vllm.LeastOutstanding, true},
	{"RoundRobin", vllm.RoundRobin, false},
	{"LeastOutstanding", vllm.LeastOutstanding, false},
	{"PrefixAffinity", vllm.PrefixAffinity, false},
}

// RunPrefix runs the workload once per strategy, each on fresh replicas.
func RunPrefix(ctx context.Context, w PrefixWorkload) ([]PrefixResult, error) {
	var out []PrefixResult
	for _, st := range prefixStrategies {
		r, err := runPrefixOnce(ctx, w, st.name, st.balance, st.single)
		if err != nil {
			return out, fmt.Errorf("%s: %w", st.name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// conversations generates the workload's conversations (the generator of
// vllm bench serve --dataset-name prefix-conversations).
func (w PrefixWorkload) conversations() ([]loadtest.Conversation, error) {
	return loadtest.PrefixConversations{
		Conversations: w.Conversations, Turns: w.Turns, SystemLen: w.SystemWords, DocumentLen: w.DocumentWords,
		DocumentShare: w.DocumentShare, QuestionLen: w.QuestionWords, OutputLen: w.AnswerTokens, MaxPause: w.MaxPause,
	}.Generate(loadtest.SampleOptions{Seed: int64(w.Seed)})
}

func runPrefixOnce(ctx context.Context, w PrefixWorkload, name string, balance vllm.Balance, single bool) (PrefixResult, error) {
	replicas, blocks := w.Replicas, w.BlocksEach
	if single {
		replicas, blocks = 1, w.BlocksEach*w.Replicas
	}
	var srvs []*vllmtest.Server
	var urls []string
	for i := 0; i < replicas; i++ {
		s := vllmtest.NewServer(vllmtest.WithPrefixCaching(blocks, 16), vllmtest.WithPromptTokensDetails(),
			vllmtest.WithPrefillTime(w.PrefillPerTok), vllmtest.WithTTFT(w.TTFT), vllmtest.WithTokens(w.AnswerTokens))
		defer s.Close()
		srvs = append(srvs, s)
		urls = append(urls, s.URL)
	}
	opts := []vllm.Option{vllm.WithBalance(balance)}
	if len(urls) > 1 {
		opts = append(opts, vllm.WithEndpoints(urls[1:]...))
	}
	c, err := vllm.New(urls[0], opts...)
	if err != nil {
		return PrefixResult{}, err
	}
	defer c.Close()

	convs, err := w.conversations()
	if err != nil {
		return PrefixResult{}, err
	}
	res := PrefixResult{Strategy: name}
	var mu sync.Mutex
	var ttfts, model []time.Duration
	conv := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < w.Concurrency; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range conv {
				cv := &convs[id]
				msgs := []vllm.Message{vllm.System(cv.System)}
				for turn, q := range cv.Questions {
					msgs = append(msgs, vllm.User(q))
					text, usage, ttft, err := prefixTurn(ctx, c, msgs, w.AnswerTokens)
					mu.Lock()
					res.Requests++
					if err != nil {
						res.Errors++
					} else {
						res.PromptTokens += usage.PromptTokens
						if d := usage.PromptTokensDetails; d != nil {
							res.CachedTokens += d.CachedTokens
						}
						ttfts = append(ttfts, ttft)
						uncached := usage.PromptTokens
						if d := usage.PromptTokensDetails; d != nil {
							uncached -= d.CachedTokens
						}
						model = append(model, w.TTFT+time.Duration(uncached)*w.PrefillPerTok)
					}
					mu.Unlock()
					if err != nil {
						break
					}
					msgs = append(msgs, vllm.Assistant(text))
					time.Sleep(cv.Pauses[turn])
				}
			}
		}()
	}
	for id := 0; id < w.Conversations; id++ {
		conv <- id
	}
	close(conv)
	wg.Wait()

	res.TTFTp50, res.TTFTp99 = percentiles(ttfts)
	res.ModelTTFTp50, res.ModelTTFTp99 = percentiles(model)
	for _, s := range srvs {
		served := 0
		for _, r := range s.Requests() {
			if r.Path == "/v1/chat/completions" {
				served++
			}
		}
		res.PerReplica = append(res.PerReplica, served)
		mc, err := vllm.New(s.URL)
		if err != nil {
			return res, err
		}
		m, err := metrics.Scrape(ctx, mc)
		mc.Close()
		if err != nil {
			return res, err
		}
		res.MetricsQueries += m.PrefixCacheQueries
		res.MetricsHits += m.PrefixCacheHits
	}
	return res, nil
}

// percentiles returns the median and the 99th percentile of ds (sorted).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}

// prefixTurn streams one turn and returns its text, usage and time to
// first token.
func prefixTurn(ctx context.Context, c *vllm.Client, msgs []vllm.Message, maxTokens int) (string, vllm.Usage, time.Duration, error) {
	// Streams ask for the usage chunk by default.
	req := &vllm.ChatRequest{Model: vllmtest.DefaultModel, Messages: msgs}
	req.MaxTokens = &maxTokens
	start := time.Now()
	s, err := c.Chat.Stream(ctx, req)
	if err != nil {
		return "", vllm.Usage{}, 0, err
	}
	defer s.Close()
	var ttft time.Duration
	var text strings.Builder
	var usage vllm.Usage
	for ev, err := range s.Events() {
		if err != nil {
			return "", usage, 0, err
		}
		switch ev.Type {
		case vllm.EventContent:
			if ttft == 0 {
				ttft = time.Since(start)
			}
			text.WriteString(ev.Text)
		case vllm.EventUsage:
			usage = *ev.Usage
		}
	}
	return text.String(), usage, ttft, nil
}

// WritePrefixTable writes the results as a Markdown table.
func WritePrefixTable(out io.Writer, rs []PrefixResult) {
	fmt.Fprintln(out, "| strategy | prompt tokens | cached (usage) | hit rate (usage) | hit rate (/metrics) | prefill left (uncached tokens) | modelled TTFT p50 | p99 | measured TTFT p50 | p99 | requests per replica | max/mean |")
	fmt.Fprintln(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|")
	for _, r := range rs {
		mrate := 0.0
		if r.MetricsQueries > 0 {
			mrate = r.MetricsHits / r.MetricsQueries
		}
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
		fmt.Fprintf(out, "| %s | %d | %d | %.1f%% | %.1f%% | %d | %s | %s | %s | %s | %v | %.2f |\n", r.Strategy, r.PromptTokens, r.CachedTokens,
			100*r.HitRate(), 100*mrate, r.Uncached(), ms(r.ModelTTFTp50), ms(r.ModelTTFTp99), ms(r.TTFTp50), ms(r.TTFTp99), r.PerReplica, r.LoadImbalance())
		if r.Errors > 0 {
			fmt.Fprintf(out, "|   %d requests failed |||||||||||\n", r.Errors)
		}
	}
}
