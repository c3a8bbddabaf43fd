package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// The generator draws, per conversation, its document share and then one
// pause per turn from the stream (seed, conversation): the order the
// prefix-routing benchmark of bench/ drew them in, so that both send the
// same workload.
func TestPrefixConversationsGenerate(t *testing.T) {
	d := PrefixConversations{Conversations: 4, Turns: 2, SystemLen: 3, DocumentLen: 2, DocumentShare: 0.5, QuestionLen: 2, OutputLen: 5, MaxPause: 10 * time.Millisecond}
	convs, err := d.Generate(SampleOptions{Seed: 7, RequestIDPrefix: "p-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 4 {
		t.Fatalf("%d conversations", len(convs))
	}
	withDoc := 0
	for id, c := range convs {
		rng := rand.New(rand.NewPCG(7, uint64(id)))
		wantSystem := "Policy: s0 s1 s2"
		if rng.Float64() < 0.5 {
			wantSystem += "\nDocument: d0 d1"
			withDoc++
		}
		want := Conversation{
			System:    wantSystem,
			Questions: []string{"c" + itoa(id) + " t0 q" + itoa(id) + ".0.0 q" + itoa(id) + ".0.1", "c" + itoa(id) + " t1 q" + itoa(id) + ".1.0 q" + itoa(id) + ".1.1"},
			Pauses:    []time.Duration{time.Duration(rng.Int64N(int64(10 * time.Millisecond))), time.Duration(rng.Int64N(int64(10 * time.Millisecond)))},
			OutputLen: 5, ID: "p-" + itoa(id) + "-",
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("conversation %d:\n%#v\nwant\n%#v", id, c, want)
		}
	}
	if withDoc == 0 || withDoc == 4 {
		t.Errorf("%d of 4 conversations quote the document; the seed should mix them", withDoc)
	}
	for _, bad := range []PrefixConversations{{Conversations: 0, Turns: 1}, {Conversations: 1, Turns: 1, DocumentShare: 1.5}, {Conversations: 1, Turns: 1, MaxPause: -1}} {
		if _, err := bad.Generate(SampleOptions{}); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// A run of conversations sends each turn with the history so far (the
// previous answers as generated), one conversation at a time under
// MaxConcurrency 1 (the next starts after the last pause of the one before),
// and sums the cached tokens from usage, which the server's /metrics
// confirm.
func TestRunConversations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithTokens(4),
			vllmtest.WithPrefixCaching(64, 4), vllmtest.WithPromptTokensDetails(), vllmtest.WithTTFT(time.Millisecond))
		defer srv.Close()
		d := PrefixConversations{Conversations: 2, Turns: 3, SystemLen: 40, QuestionLen: 3, OutputLen: 4, MaxPause: 5 * time.Millisecond}
		convs, err := d.Generate(SampleOptions{Seed: 1, RequestIDPrefix: "p-"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Config{
			BaseURL: srv.RootURL(), Backend: "openai-chat", Model: "m", Conversations: convs, MaxConcurrency: 1,
			HTTPClient: srv.Client(), MetricsClient: srv.Client(), Replicas: []string{srv.RootURL()},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.NumPrompts != 6 || res.Completed != 6 || res.Failed != 0 {
			t.Fatalf("num_prompts %d completed %d failed %d: %v", res.NumPrompts, res.Completed, res.Failed, res.Errors)
		}
		var got []vllmtest.Request
		for _, r := range srv.Requests() {
			if r.Path == "/v1/chat/completions" {
				got = append(got, r)
			}
		}
		if len(got) != 6 {
			t.Fatalf("server saw %d requests", len(got))
		}
		// Under MaxConcurrency 1 the conversations run one after the other,
		// in whichever order they took the slot; each sends its turns in
		// order.
		type msg struct{ Role, Content string }
		sent := map[int]int{} // turns sent per conversation
		order := []int{}      // conversations in the order they ran
		for i, r := range got {
			var body struct {
				Messages      []msg          `json:"messages"`
				MaxTokens     int            `json:"max_completion_tokens"`
				Model         string         `json:"model"`
				Stream        bool           `json:"stream"`
				StreamOptions map[string]any `json:"stream_options"`
			}
			dec := json.NewDecoder(bytes.NewReader(r.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil || len(body.Messages) == 0 {
				t.Fatalf("request %d: %v: %s", i, err, r.Body)
			}
			conv := int(body.Messages[len(body.Messages)-1].Content[1] - '0') // "cN tM ..."
			if len(order) == 0 || order[len(order)-1] != conv {
				if len(order) > 0 && sent[order[len(order)-1]] != 3 {
					t.Fatalf("request %d: conversation %d began before conversation %d ended", i, conv, order[len(order)-1])
				}
				order = append(order, conv)
			}
			turn := sent[conv]
			sent[conv]++
			c := convs[conv]
			want := []msg{{"system", c.System}}
			for k := 0; k < turn; k++ {
				want = append(want, msg{"user", c.Questions[k]}, msg{"assistant", res.GeneratedTexts[conv*3+k]})
			}
			want = append(want, msg{"user", c.Questions[turn]})
			if !reflect.DeepEqual(body.Messages, want) || body.MaxTokens != 4 || body.Model != "m" || !body.Stream ||
				!reflect.DeepEqual(body.StreamOptions, map[string]any{"include_usage": true}) {
				t.Fatalf("request %d: %s\nwant messages %v", i, r.Body, want)
			}
			if !strings.HasPrefix(string(r.Body), `{"max_completion_tokens":4,"messages":[{"role":"system","content":"Policy: s0 s1`) {
				t.Errorf("request %d: the messages do not lead the body (the prefix a router hashes): %.80s", i, r.Body)
			}
			if id := r.Header.Get("X-Request-Id"); id != "p-"+itoa(conv)+"-"+itoa(turn) {
				t.Errorf("request %d: X-Request-Id %q", i, id)
			}
		}
		first, second := order[0], order[1]
		if wait := res.StartTimes[second*3] - (res.StartTimes[first*3+2] + res.Latencies[first*3+2] + convs[first].Pauses[2].Seconds()); wait < 0 {
			t.Errorf("conversation %d started %.6fs before conversation %d's last pause ended", second, -wait, first)
		}
		g := res.Routing
		if g == nil || g.CachedTokens <= 0 || g.CachedTokens+g.UncachedTokens != res.TotalInputTokens {
			t.Fatalf("routing %+v, total input tokens %d", g, res.TotalInputTokens)
		}
		want := []Replica{{URL: srv.RootURL(), Requests: 6, PrefixCacheQueries: float64(res.TotalInputTokens), PrefixCacheHits: float64(g.CachedTokens)}}
		if !reflect.DeepEqual(g.Replicas, want) {
			t.Fatalf("replicas %+v, want %+v (from /metrics, as usage says)", g.Replicas, want)
		}
		if rate, ok := g.MetricsHitRate(); !ok || rate != g.HitRate() {
			t.Fatalf("hit rate from /metrics %v %v, from usage %v", rate, ok, g.HitRate())
		}
	})
}

// A workload of conversations needs the chat backend.
func TestRunConversationsNeedChat(t *testing.T) {
	convs, _ := PrefixConversations{Conversations: 1, Turns: 1}.Generate(SampleOptions{})
	_, err := Run(context.Background(), Config{BaseURL: "http://x", Model: "m", Conversations: convs})
	if err == nil || !strings.Contains(err.Error(), "openai-chat") {
		t.Fatalf("err %v", err)
	}
}

// Routing is written after vLLM's keys and read back; a result without it
// writes none of its keys.
func TestRoutingJSON(t *testing.T) {
	r := &Result{Date: "d", Backend: "openai-chat", ModelID: "m", Routing: &Routing{Balance: "prefix-affinity", CachedTokens: 30, UncachedTokens: 10,
		Replicas: []Replica{{URL: "http://a", Requests: 3, PrefixCacheQueries: 20, PrefixCacheHits: 15}, {URL: "http://b", Requests: 1, PrefixCacheQueries: 20, PrefixCacheHits: 15}}}}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tail := `"rtfx": 0.0, "balance": "prefix-affinity", "total_cached_tokens": 30, "total_uncached_tokens": 10, "prefix_cache_hit_rate": 0.75, ` +
		`"metrics_prefix_cache_hit_rate": 0.75, "replica_requests_max_mean": 1.5, "replicas": [{"url": "http://a", "requests": 3, "prefix_cache_queries": 20.0, "prefix_cache_hits": 15.0}, ` +
		`{"url": "http://b", "requests": 1, "prefix_cache_queries": 20.0, "prefix_cache_hits": 15.0}]}`
	if !strings.HasSuffix(string(b), tail) {
		t.Fatalf("%s\nwant the suffix\n%s", b, tail)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Routing, r.Routing) || back.Metadata != nil {
		t.Fatalf("read back %+v, metadata %v", back.Routing, back.Metadata)
	}
	r.Routing = nil
	b, _ = r.MarshalJSON()
	for _, k := range []string{"balance", "cached", "replica"} {
		if strings.Contains(string(b), k) {
			t.Errorf("%q in a result without routing: %s", k, b)
		}
	}
}

func TestParsePrefixCounters(t *testing.T) {
	text := `# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1200.0
vllm:prefix_cache_queries_total{engine="1",model_name="m x"} 300
vllm:prefix_cache_hits_total{engine="0",model_name="m"} 900.0 1700000000000
vllm:prefix_cache_hits_created{engine="0"} 5
vllm:num_requests_running 3
`
	c := parsePrefixCounters(strings.NewReader(text))
	if c != (prefixCounters{queries: 1500, hits: 900, ok: true}) {
		t.Fatalf("%+v", c)
	}
	if c := parsePrefixCounters(strings.NewReader("vllm:num_requests_running 3\n")); c.ok {
		t.Fatalf("counters found in %+v", c)
	}
}
