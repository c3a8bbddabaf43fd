package vllm

// Test helpers of package vllm used by the tests of package vllm_test.
var (
	NoGoroutineLeaks = noGoroutineLeaks
	WaitGoroutines   = waitGoroutines
	NewMemServer     = newMemServer
	InMemory         = inMemory
	CloseIdle        = closeIdle
	ByIndex          = byIndex
	ParallelBubble   = parallelBubble
	JSONEqual        = jsonEqual
	Fixture          = fixture
)

// MemServer, RecordedRequest and FixedReply are the raw test server's types,
// for package vllm_test.
type (
	ReadsBody       = readsBody
	MemServer       = memServer
	RecordedRequest = recordedRequest
	FixedReply      = fixedReply
)

// AffinityIndexSize returns the number of blocks in c's PrefixAffinity index.
func AffinityIndexSize(c *Client) int { return c.cfg.prod.affinity.size() }

// AffinityHolds reports whether c's PrefixAffinity index names endpoint i as
// a holder of any block.
func AffinityHolds(c *Client, i int) bool {
	x := c.cfg.prod.affinity
	x.mu.Lock()
	defer x.mu.Unlock()
	x.forgetEjected(c.cfg.prod.endpoints)
	for el := x.lru.Front(); el != nil; el = el.Next() {
		if el.Value.(*affinityEntry).mask&(1<<i) != 0 {
			return true
		}
	}
	return false
}
