package vllm

import (
	"container/list"
	"hash/maphash"
	"math"
	"strings"
	"sync"
)

// Prefix-cache affinity (the PrefixAffinity balance). vLLM keeps the KV
// cache of the prompts it has served and reuses it for any later prompt that
// starts the same way; a client spreading calls over replicas blindly makes
// each replica recompute prefixes another replica holds. The affinity index
// remembers, for fixed-size blocks of the request bodies this client sent,
// which replicas were sent them. Each block's key chains the previous
// block's, so one key stands for the whole body up to the end of its block,
// as vLLM's own block hashes do for tokens. A request goes to the replica
// that holds its longest prefix, unless that replica is loaded beyond
// (1+affinityLoadSlack) times the mean: then, and for requests nothing is
// known of, to the least loaded one.
//
// Chat, completion and Responses bodies start with the model and the
// messages (or prompt, or input), and the sampling fields follow them, so
// the bytes of a body are a faithful stand-in for the rendered prompt: the
// next turn of a conversation repeats the previous turn's body up to the end
// of its last message.

// defaultAffinityIndex is the number of blocks the affinity index holds
// unless WithAffinityIndex says otherwise: with affinityBlock bytes per
// block, 64 MiB of request bodies for about 6 MiB of memory.
const defaultAffinityIndex = 1 << 16

const (
	// affinityBlock is the block size in bytes of request bodies: about 64
	// tokens of English text, four of vLLM's default 16-token blocks.
	affinityBlock = 256
	// affinityLoadSlack is ε of "consistent hashing with bounded loads": a
	// replica with more than (1+ε) times the mean number of calls in flight
	// is not chosen for its cache alone.
	affinityLoadSlack = 0.25
	// affinityMaxEndpoints is how many endpoints the index tells apart (a
	// bit each); endpoints beyond are balanced by load only.
	affinityMaxEndpoints = 64
)

var affinitySeed = maphash.MakeSeed()

// carriesPrompt reports whether r sends a prompt to generate from: a chat,
// completion or Responses request (streamed or not).
func carriesPrompt(r *apiRequest) bool {
	if r.method != "POST" || r.root || len(r.body) == 0 {
		return false
	}
	path, _, _ := strings.Cut(r.path, "?") // Client.RoundTripper keeps the query in path
	switch path {
	case "/chat/completions", "/completions", "/responses":
		return true
	}
	return false
}

// affinityKeys returns the chained block keys of a request: one key for an
// explicit affinity key, else one per full block of the body, and the
// last, partial block too (a short prompt still has a prefix to find).
func affinityKeys(r *apiRequest) []uint64 {
	if k := r.rc.affinityKey; k != "" {
		return []uint64{maphash.String(affinitySeed, "key\x00"+k)}
	}
	if !carriesPrompt(r) {
		return nil
	}
	body := r.body
	keys := make([]uint64, 0, (len(body)+affinityBlock-1)/affinityBlock)
	var prev uint64
	for start := 0; start < len(body); start += affinityBlock {
		var h maphash.Hash
		h.SetSeed(affinitySeed)
		var b [8]byte
		for i := range b {
			b[i] = byte(prev >> (8 * i))
		}
		_, _ = h.Write(b[:])
		_, _ = h.Write(body[start:min(start+affinityBlock, len(body))])
		prev = h.Sum64()
		keys = append(keys, prev)
	}
	return keys
}

// affinityIndex maps block keys to the set of endpoints (a bit each, by
// position in productionConfig.endpoints) that were sent that prefix, in
// LRU order with a bounded number of blocks.
type affinityIndex struct {
	capacity int

	mu      sync.Mutex
	lru     list.List // of *affinityEntry, most recent first
	entries map[uint64]*list.Element
	// ejections is each endpoint's ejection count when the index last
	// looked: a change means the endpoint was ejected (its cache may be
	// gone, e.g. a restarted replica) and its bit is cleared everywhere.
	ejections []uint64
}

type affinityEntry struct {
	key  uint64
	mask uint64
}

func newAffinityIndex(capacity, endpoints int) *affinityIndex {
	if capacity <= 0 {
		capacity = defaultAffinityIndex
	}
	return &affinityIndex{capacity: capacity, entries: make(map[uint64]*list.Element), ejections: make([]uint64, endpoints)}
}

// forgetEjected clears the bits of endpoints ejected since the last look.
// The caller holds mu.
func (x *affinityIndex) forgetEjected(eps []*endpoint) {
	var clearMask uint64
	for i, e := range eps[:min(len(eps), affinityMaxEndpoints)] {
		if n := e.ejections.Load(); n != x.ejections[i] {
			x.ejections[i] = n
			clearMask |= 1 << i
		}
	}
	if clearMask == 0 {
		return
	}
	for el := x.lru.Front(); el != nil; {
		next := el.Next()
		en := el.Value.(*affinityEntry)
		if en.mask &^= clearMask; en.mask == 0 {
			x.lru.Remove(el)
			delete(x.entries, en.key)
		}
		el = next
	}
}

// holders returns the endpoints (as a mask) that hold the longest prefix of
// keys any endpoint holds, and the length of that prefix in blocks.
func (x *affinityIndex) holders(keys []uint64, eps []*endpoint) (mask uint64, depth int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.forgetEjected(eps)
	for _, k := range keys {
		el, ok := x.entries[k]
		if !ok {
			break
		}
		m := el.Value.(*affinityEntry).mask
		if depth > 0 {
			m &= mask
		}
		if m == 0 {
			break
		}
		mask, depth = m, depth+1
	}
	return mask, depth
}

// record notes that endpoint i was sent the prefixes keys.
func (x *affinityIndex) record(keys []uint64, i int) {
	if i >= affinityMaxEndpoints {
		return
	}
	bit := uint64(1) << i
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, k := range keys {
		if el, ok := x.entries[k]; ok {
			el.Value.(*affinityEntry).mask |= bit
			x.lru.MoveToFront(el)
			continue
		}
		if x.lru.Len() >= x.capacity {
			old := x.lru.Back()
			en := x.lru.Remove(old).(*affinityEntry)
			delete(x.entries, en.key)
			// reuse the evicted entry's memory
			en.key, en.mask = k, bit
			x.entries[k] = x.lru.PushFront(en)
			continue
		}
		x.entries[k] = x.lru.PushFront(&affinityEntry{key: k, mask: bit})
	}
}

// size returns the number of blocks held.
func (x *affinityIndex) size() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lru.Len()
}

// affinityOrder orders group for a request with the given holders: the
// least loaded holder of the longest prefix first, when its load is within
// the bound, then the rest by load (buf holds group sorted by load already).
func affinityOrder(buf []*endpoint, all []*endpoint, holders uint64) []*endpoint {
	if holders == 0 || len(buf) < 2 {
		return buf
	}
	var total int64
	for _, e := range buf {
		total += e.outstanding.Load()
	}
	// The bound counts this call (the mean after it is sent) and is rounded
	// up, so that at low load an idle holder is always within it.
	limit := math.Ceil((1 + affinityLoadSlack) * float64(total+1) / float64(len(buf)))
	for i, e := range buf {
		pos := endpointIndex(all, e)
		if pos < 0 || pos >= affinityMaxEndpoints || holders&(1<<pos) == 0 {
			continue
		}
		if float64(e.outstanding.Load()+1) > limit {
			continue // loaded beyond the bound: not chosen for its cache alone
		}
		copy(buf[1:i+1], buf[:i])
		buf[0] = e
		return buf
	}
	return buf
}

func endpointIndex(all []*endpoint, e *endpoint) int {
	for i, x := range all {
		if x == e {
			return i
		}
	}
	return -1
}
