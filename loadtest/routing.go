package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Routing is how a run's requests were spread over servers and what their
// prefix caches made of the prompts. Result.Routing holds it for a run with
// Config.Replicas or Conversations; it is written to the result file as
// keys of its own after vLLM's.
type Routing struct {
	// Balance names the strategy that chose the servers, e.g.
	// "prefix-affinity"; Run leaves it to the caller, who knows it.
	Balance string
	// CachedTokens sums the successful requests' prompt tokens found in a
	// prefix cache, from usage (prompt_tokens_details.cached_tokens: vLLM
	// reports them with --enable-prompt-tokens-details).
	CachedTokens int
	// UncachedTokens sums their other prompt tokens: the prefill work left.
	UncachedTokens int
	// Replicas holds one entry per Config.Replicas, in order.
	Replicas []Replica
}

// Replica is what one server did in a run.
type Replica struct {
	// URL is the server's root URL, as given in Config.Replicas.
	URL string
	// Requests counts the responses it sent (any status).
	Requests int
	// PrefixCacheQueries and PrefixCacheHits are the increase over the run
	// of its vllm:prefix_cache_queries_total and
	// vllm:prefix_cache_hits_total (prompt tokens looked up and found);
	// both -1 when its /metrics could not be read or lacks them.
	PrefixCacheQueries, PrefixCacheHits float64
}

// HitRate is cached / prompt tokens, from usage; 0 without prompt tokens.
func (g *Routing) HitRate() float64 {
	if t := g.CachedTokens + g.UncachedTokens; t > 0 {
		return float64(g.CachedTokens) / float64(t)
	}
	return 0
}

// MetricsHitRate is hits / queries of the prefix caches summed over the
// replicas, from their /metrics; ok is false when any replica's counters
// are missing or nothing was looked up.
func (g *Routing) MetricsHitRate() (rate float64, ok bool) {
	var q, h float64
	for _, r := range g.Replicas {
		if r.PrefixCacheQueries < 0 {
			return 0, false
		}
		q, h = q+r.PrefixCacheQueries, h+r.PrefixCacheHits
	}
	if q <= 0 {
		return 0, false
	}
	return h / q, true
}

// LoadImbalance is the most requests any replica answered over the mean
// (1 is perfectly even); 0 without replicas or requests.
func (g *Routing) LoadImbalance() float64 {
	total, most := 0, 0
	for _, r := range g.Replicas {
		total += r.Requests
		most = max(most, r.Requests)
	}
	if total == 0 {
		return 0
	}
	return float64(most) * float64(len(g.Replicas)) / float64(total)
}

// replicaOf returns the entry of Config.Replicas that u (a response's
// request URL) belongs to: same scheme and host, its path under the
// replica's. User info is not compared (it may be redacted).
func (s *sender) replicaOf(u *url.URL) string {
	for i, r := range s.replicas {
		if u.Scheme == r.Scheme && u.Host == r.Host && strings.HasPrefix(u.Path, r.Path) {
			return s.cfg.Replicas[i]
		}
	}
	return ""
}

// prefixCounters are a replica's prefix-cache counters; ok is false when
// they could not be read.
type prefixCounters struct {
	queries, hits float64
	ok            bool
}

// scrapeReplicas reads each replica's prefix-cache counters from its
// /metrics, directly (not through Config.HTTPClient, whose transport may
// send the request to another replica).
func (s *sender) scrapeReplicas(ctx context.Context) []prefixCounters {
	if len(s.replicas) == 0 {
		return nil
	}
	hc := s.cfg.MetricsClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	out := make([]prefixCounters, len(s.replicas))
	for i, r := range s.replicas {
		out[i] = s.scrape(ctx, hc, r)
	}
	return out
}

func (s *sender) scrape(ctx context.Context, hc *http.Client, root *url.URL) prefixCounters {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(root.String(), "/")+"/metrics", nil)
	if err != nil {
		return prefixCounters{}
	}
	if a := s.header.Get("Authorization"); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return prefixCounters{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return prefixCounters{}
	}
	return parsePrefixCounters(io.LimitReader(resp.Body, 16<<20))
}

// parsePrefixCounters sums vllm:prefix_cache_queries_total and
// vllm:prefix_cache_hits_total over their label sets in a Prometheus text
// exposition.
func parsePrefixCounters(r io.Reader) prefixCounters {
	var c prefixCounters
	var seenQ, seenH bool
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end < 0 {
			continue
		}
		name, rest := line[:end], line[end:]
		if name != "vllm:prefix_cache_queries_total" && name != "vllm:prefix_cache_hits_total" {
			continue
		}
		if rest[0] == '{' {
			close := strings.LastIndexByte(rest, '}')
			if close < 0 {
				continue
			}
			rest = rest[close+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if name == "vllm:prefix_cache_queries_total" {
			c.queries, seenQ = c.queries+v, true
		} else {
			c.hits, seenH = c.hits+v, true
		}
	}
	c.ok = seenQ && seenH && sc.Err() == nil
	return c
}

// routing sums the run's routing figures from its outputs and the counters
// read before and after it.
func (s *sender) routing(outputs []Output, before, after []prefixCounters) *Routing {
	g := &Routing{}
	index := map[string]int{}
	for i, r := range s.cfg.Replicas {
		g.Replicas = append(g.Replicas, Replica{URL: r, PrefixCacheQueries: -1, PrefixCacheHits: -1})
		index[r] = i
		if b, a := before[i], after[i]; b.ok && a.ok {
			g.Replicas[i].PrefixCacheQueries, g.Replicas[i].PrefixCacheHits = a.queries-b.queries, a.hits-b.hits
		}
	}
	for i := range outputs {
		o := &outputs[i]
		if i, ok := index[o.Server]; ok && o.Server != "" {
			g.Replicas[i].Requests++
		}
		if o.Success {
			g.CachedTokens += o.CachedTokens
			g.UncachedTokens += o.PromptLen - o.CachedTokens
		}
	}
	return g
}

// writeRoutingTable writes the routing lines of the result table.
func (g *Routing) writeTable(line func(label, value string), b *strings.Builder) {
	b.WriteString(center("Prefix Cache and Routing", tableWidth, '-') + "\n")
	if g.Balance != "" {
		line("Balance:", g.Balance)
	}
	line("Cached prompt tokens:", strconv.Itoa(g.CachedTokens))
	line("Uncached prompt tokens (prefill left):", strconv.Itoa(g.UncachedTokens))
	line("Prefix cache hit rate (usage, %):", fmt.Sprintf("%.2f", 100*g.HitRate()))
	if rate, ok := g.MetricsHitRate(); ok {
		line("Prefix cache hit rate (/metrics, %):", fmt.Sprintf("%.2f", 100*rate))
	}
	if len(g.Replicas) > 0 {
		counts := make([]string, len(g.Replicas))
		for i, r := range g.Replicas {
			counts[i] = strconv.Itoa(r.Requests)
		}
		line("Requests per replica:", strings.Join(counts, " "))
		line("Max/mean requests per replica:", fmt.Sprintf("%.2f", g.LoadImbalance()))
	}
}
