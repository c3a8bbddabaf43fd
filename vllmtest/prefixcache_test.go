package vllmtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// promptWords returns a prompt of n distinct one-token words starting at from.
func promptWords(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(' ')
		}
		b.WriteString("w" + strconv.Itoa(i))
	}
	return b.String()
}

func TestPrefixCacheAdmit(t *testing.T) {
	toks := func(s string) []string { return splitTokens(s) }
	c := newPrefixCache(8, 4)
	p := toks(promptWords(0, 10)) // blocks [0,4) [4,8); 2 tokens in a partial block
	if len(p) < 10 {
		t.Fatalf("the fake tokenizer split %d words into %d tokens", 10, len(p))
	}
	n := len(p)
	if got := c.admit(p); got != 0 {
		t.Fatalf("first admit: %d cached, want 0", got)
	}
	if got, want := c.admit(p), (n/4)*4; got != want {
		t.Errorf("same prompt again: %d cached, want %d (its full blocks)", got, want)
	}
	// A prompt that is exactly its full blocks recomputes the last block.
	exact := p[:8]
	if got := c.admit(exact); got != 4 {
		t.Errorf("prompt of exactly 2 cached blocks: %d cached, want 4", got)
	}
	// A prompt sharing only the first block hits only it: keys chain.
	other := append(append([]string(nil), p[:4]...), toks(promptWords(100, 8))...)
	if got := c.admit(other); got != 4 {
		t.Errorf("shared first block: %d cached, want 4", got)
	}
	// The same second block after a different first block is not a hit.
	shifted := append(toks(promptWords(200, 4)), p[4:8]...)
	shifted = append(shifted, "x")
	if got := c.admit(shifted); got != 0 {
		t.Errorf("a block after a different prefix: %d cached, want 0", got)
	}
	q, h := c.counters()
	if wantQ := int64(n + n + 8 + len(other) + len(shifted)); q != wantQ {
		t.Errorf("queries %d, want %d", q, wantQ)
	}
	if wantH := int64((n/4)*4 + 4 + 4); h != wantH {
		t.Errorf("hits %d, want %d", h, wantH)
	}
}

func TestPrefixCacheLRUEviction(t *testing.T) {
	c := newPrefixCache(2, 4) // room for two blocks
	a, b := splitTokens(promptWords(0, 9)), splitTokens(promptWords(50, 9))
	c.admit(a) // a's two blocks
	if got := c.admit(a); got != 8 {
		t.Fatalf("a again: %d, want 8", got)
	}
	c.admit(b) // evicts a's blocks (least recently used)
	if got := c.admit(a); got != 0 {
		t.Errorf("a after eviction: %d cached, want 0", got)
	}
	if got := newPrefixCache(0, 16); got != nil {
		t.Errorf("zero blocks must turn the cache off")
	}
	var off *prefixCache
	if off.admit(a) != 0 {
		t.Errorf("a nil cache finds nothing")
	}
}

// chatOnce posts a non-streaming chat to s (no network) and returns the
// decoded usage and how long the server took on the simulated clock.
func chatOnce(t *testing.T, s *Server, content string, stream bool) (map[string]any, time.Duration) {
	t.Helper()
	body := `{"model":"` + DefaultModel + `","max_tokens":1,"messages":[{"role":"user","content":"` + content + `"}]`
	if stream {
		body += `,"stream":true,"stream_options":{"include_usage":true}`
	}
	body += "}"
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
	w := httptest.NewRecorder()
	start := time.Now()
	s.ServeHTTP(w, req)
	took := time.Since(start)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	text := w.Body.String()
	if stream {
		// the usage chunk is the last data event before [DONE]
		events := strings.Split(strings.TrimSpace(text), "\n\n")
		text = strings.TrimPrefix(events[len(events)-2], "data: ")
	}
	var out struct {
		Usage map[string]any `json:"usage"`
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%v: %s", err, text)
	}
	return out.Usage, took
}

func TestPrefixCacheUsageAndPrefillTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const perToken = time.Millisecond
		s := newServer([]Option{WithPrefixCaching(1000, 16), WithPromptTokensDetails(), WithPrefillTime(perToken), WithTTFT(10 * time.Millisecond)})
		defer s.cancel()
		prompt := promptWords(0, 60)

		u1, took1 := chatOnce(t, s, prompt, false)
		promptTokens := int(u1["prompt_tokens"].(float64))
		if u1["prompt_tokens_details"] != nil {
			t.Errorf("first request: prompt_tokens_details %v, want null (nothing cached)", u1["prompt_tokens_details"])
		}
		if want := 10*time.Millisecond + time.Duration(promptTokens)*perToken; took1 != want {
			t.Errorf("first request took %v, want TTFT + %d uncached tokens = %v", took1, promptTokens, want)
		}

		u2, took2 := chatOnce(t, s, prompt, false)
		details, _ := u2["prompt_tokens_details"].(map[string]any)
		cached := promptTokens - 1 - (promptTokens-1)%16 // full blocks, the last token recomputed
		if details == nil || int(details["cached_tokens"].(float64)) != cached {
			t.Errorf("second request: prompt_tokens_details %v, want cached_tokens %d", u2["prompt_tokens_details"], cached)
		}
		if want := 10*time.Millisecond + time.Duration(promptTokens-cached)*perToken; took2 != want {
			t.Errorf("second request took %v, want %v", took2, want)
		}

		u3, took3 := chatOnce(t, s, prompt, true)
		details, _ = u3["prompt_tokens_details"].(map[string]any)
		if details == nil || int(details["cached_tokens"].(float64)) != cached {
			t.Errorf("stream usage chunk: prompt_tokens_details %v, want cached_tokens %d", u3["prompt_tokens_details"], cached)
		}
		if want := 10*time.Millisecond + time.Duration(promptTokens-cached)*perToken; took3 != want {
			t.Errorf("stream took %v, want %v", took3, want)
		}
	})
}

func TestPrefixCacheDetailsNeedTheFlag(t *testing.T) {
	s := newServer(nil) // caching on by default, details off as in vLLM
	defer s.cancel()
	chatOnce(t, s, promptWords(0, 40), false)
	u, _ := chatOnce(t, s, promptWords(0, 40), false)
	if v, ok := u["prompt_tokens_details"]; !ok || v != nil {
		t.Errorf("without WithPromptTokensDetails: prompt_tokens_details = %v (present %v), want null", v, ok)
	}
	if q, h := s.cache.counters(); q == 0 || h == 0 {
		t.Errorf("the default cache saw %d queried and %d hit tokens, want both > 0", q, h)
	}
	off := newServer([]Option{WithPrefixCaching(0, 0), WithPromptTokensDetails()})
	defer off.cancel()
	chatOnce(t, off, promptWords(0, 40), false)
	u, _ = chatOnce(t, off, promptWords(0, 40), false)
	if u["prompt_tokens_details"] != nil {
		t.Errorf("caching off: prompt_tokens_details %v, want null", u["prompt_tokens_details"])
	}
}

func TestPrefixCacheMetrics(t *testing.T) {
	s := newServer([]Option{WithPrefixCaching(100, 16)})
	defer s.cancel()
	chatOnce(t, s, promptWords(0, 40), false)
	chatOnce(t, s, promptWords(0, 40), false)
	q, h := s.cache.counters()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	text := w.Body.String()
	for name, v := range map[string]int64{"vllm:prefix_cache_queries_total": q, "vllm:prefix_cache_hits_total": h} {
		line := name + `{engine="0",model_name="` + DefaultModel + `"} ` + pyFloat(float64(v))
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
	// POST /reset_prefix_cache empties the cache.
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, httptest.NewRequest(http.MethodPost, "/reset_prefix_cache", nil))
	if rw.Code != http.StatusOK {
		t.Fatalf("reset: %d %s", rw.Code, rw.Body)
	}
	before := h
	chatOnce(t, s, promptWords(0, 40), false)
	if _, h2 := s.cache.counters(); h2 != before {
		t.Errorf("after a reset the prompt still hit: hits %d -> %d", before, h2)
	}
}
