package vllmtest

import (
	"container/list"
	"hash/maphash"
	"sync"
	"time"
)

// Automatic prefix caching as vLLM does it: a prompt's tokens are cut into
// blocks of a fixed number of tokens; each full block is keyed by a hash
// that chains the previous block's key, so a key stands for the whole prefix
// up to the end of its block. A request's cached tokens are the leading full
// blocks already held; when every token would hit, the last block is
// computed again (vLLM needs the logits of the last prompt token). Blocks
// are kept in LRU order and the least recently used is evicted when the
// cache is full.

// DefaultBlockSize is vLLM's default KV-cache block size, in tokens.
const DefaultBlockSize = 16

// DefaultGPUBlocks is the number of KV-cache blocks a server holds unless
// WithPrefixCaching says otherwise: 65 536 tokens at the default block size.
const DefaultGPUBlocks = 4096

// prefixSeed keys every server's block hashes the same way, so that equal
// prompts have equal keys on every replica of a test.
var prefixSeed = maphash.MakeSeed()

type prefixCache struct {
	blockSize, capacity int

	mu      sync.Mutex
	lru     *list.List // of uint64 keys, most recent first
	index   map[uint64]*list.Element
	queries int64 // prompt tokens looked up
	hits    int64 // prompt tokens found
}

func newPrefixCache(blocks, blockSize int) *prefixCache {
	if blocks <= 0 {
		return nil
	}
	if blockSize <= 0 {
		blockSize = DefaultBlockSize
	}
	return &prefixCache{blockSize: blockSize, capacity: blocks, lru: list.New(), index: make(map[uint64]*list.Element)}
}

// blockKeys returns the chained key of every full block of tokens.
func (c *prefixCache) blockKeys(tokens []string) []uint64 {
	keys := make([]uint64, 0, len(tokens)/c.blockSize)
	var prev uint64
	for end := c.blockSize; end <= len(tokens); end += c.blockSize {
		var h maphash.Hash
		h.SetSeed(prefixSeed)
		var b [8]byte
		for i := range b {
			b[i] = byte(prev >> (8 * i))
		}
		_, _ = h.Write(b[:])
		for _, t := range tokens[end-c.blockSize : end] {
			_, _ = h.WriteString(t)
			_ = h.WriteByte(0)
		}
		prev = h.Sum64()
		keys = append(keys, prev)
	}
	return keys
}

// admit looks the prompt up and caches its full blocks; it returns the
// number of prompt tokens found in the cache. A nil cache finds nothing.
func (c *prefixCache) admit(tokens []string) int {
	if c == nil || len(tokens) == 0 {
		return 0
	}
	keys := c.blockKeys(tokens)
	c.mu.Lock()
	defer c.mu.Unlock()
	hit := 0
	for _, k := range keys {
		if _, ok := c.index[k]; !ok {
			break
		}
		hit++
	}
	cached := hit * c.blockSize
	if cached >= len(tokens) { // the last token is always computed
		cached -= c.blockSize
	}
	c.queries += int64(len(tokens))
	c.hits += int64(cached)
	for _, k := range keys {
		if e, ok := c.index[k]; ok {
			c.lru.MoveToFront(e)
			continue
		}
		c.index[k] = c.lru.PushFront(k)
		if c.lru.Len() > c.capacity {
			old := c.lru.Back()
			c.lru.Remove(old)
			delete(c.index, old.Value.(uint64))
		}
	}
	return cached
}

// counters returns the prompt tokens looked up and found so far.
func (c *prefixCache) counters() (queries, hits int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries, c.hits
}

// reset empties the cache (POST /reset_prefix_cache); counters stay.
func (c *prefixCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.index)
}

// prefill is the time the prefill of a request's uncached prompt tokens
// adds to its time to first token.
func (s *Server) prefill(promptTokens, cached int) time.Duration {
	return time.Duration(promptTokens-cached) * s.cfg.prefillPerToken
}

// WithPrefixCaching sets the server's automatic prefix cache: blocks
// KV-cache blocks of blockSize tokens each (vLLM's --num-gpu-blocks-override
// and --block-size). Zero blocks turns prefix caching off (vLLM's
// --no-enable-prefix-caching); a blockSize of zero means DefaultBlockSize.
// Without this option the cache is on with DefaultGPUBlocks blocks of
// DefaultBlockSize tokens, as vLLM enables it by default. The cache shows
// in /metrics (vllm:prefix_cache_queries_total, vllm:prefix_cache_hits_total),
// in usage with WithPromptTokensDetails, and in latency with WithPrefillTime.
func WithPrefixCaching(blocks, blockSize int) Option {
	return func(c *config) { c.cacheBlocks, c.blockSize = max(blocks, 0), blockSize }
}

// WithPromptTokensDetails reports usage.prompt_tokens_details.cached_tokens
// in chat and completion responses, as vLLM does with
// --enable-prompt-tokens-details.
func WithPromptTokensDetails() Option {
	return func(c *config) { c.promptDetails = true }
}

// WithPrefillTime adds d to the time to first token for every prompt token
// not found in the prefix cache, so that a cache hit shows in latency as it
// does on a GPU.
func WithPrefillTime(d time.Duration) Option {
	return func(c *config) { c.prefillPerToken = max(d, 0) }
}
