package vllm_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// replicas starts n vllmtest servers, in memory, and a client balancing over
// them.
func replicas(t *testing.T, n int, opts ...vllm.Option) ([]*vllmtest.Server, *vllm.Client) {
	t.Helper()
	var srvs []*vllmtest.Server
	var urls []string
	for i := 0; i < n; i++ {
		s := vllmtest.NewServer(vllmtest.WithInMemoryNetwork())
		t.Cleanup(s.Close)
		srvs = append(srvs, s)
		urls = append(urls, s.URL)
	}
	c, err := vllm.New(urls[0], append([]vllm.Option{vllm.WithHTTPClient(srvs[0].Client()), vllm.WithEndpoints(urls[1:]...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srvs, c
}

// served returns how many chat requests each server got.
func served(srvs []*vllmtest.Server) []int {
	n := make([]int, len(srvs))
	for i, s := range srvs {
		for _, r := range s.Requests() {
			if r.Path == "/v1/chat/completions" {
				n[i]++
			}
		}
	}
	return n
}

var longSystem = strings.Repeat("You are a careful assistant who answers in full sentences. ", 20)

// converse runs a conversation of turns turns, each re-sending the whole
// history, as a chat application does.
func converse(t *testing.T, c *vllm.Client, id string, turns int, opts ...vllm.Option) {
	t.Helper()
	msgs := []vllm.Message{vllm.System(longSystem)}
	for turn := 0; turn < turns; turn++ {
		msgs = append(msgs, vllm.User("conversation "+id+", question "+strconv.Itoa(turn)+": "+strings.Repeat("why? ", 40)))
		resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: vllmtest.DefaultModel, Messages: msgs}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, vllm.Assistant(resp.Text()))
	}
}

func TestPrefixAffinityKeepsAConversationOnOneReplica(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srvs, c := replicas(t, 3, vllm.WithBalance(vllm.PrefixAffinity))
	before := served(srvs)
	converse(t, c, "a", 6)
	after := served(srvs)
	holders := 0
	for i := range srvs {
		if d := after[i] - before[i]; d == 6 {
			holders++
		} else if d != 0 {
			t.Errorf("replica %d got %d of the conversation's 6 turns", i, d)
		}
	}
	if holders != 1 {
		t.Errorf("turns per replica %v, want all 6 on one", after)
	}

	// The same conversation under RoundRobin spreads, which is what the
	// strategy is for (and shows the test can tell them apart).
	rr, crr := replicas(t, 3)
	converse(t, crr, "a", 6)
	if n := served(rr); n[0] == 6 || n[1] == 6 || n[2] == 6 {
		t.Errorf("round robin kept the conversation on one replica: %v", n)
	}
}

func TestPrefixAffinityKey(t *testing.T) {
	srvs, c := replicas(t, 3, vllm.WithBalance(vllm.PrefixAffinity))
	// Different prompts, one session key: one replica.
	for i := 0; i < 6; i++ {
		req := &vllm.ChatRequest{Model: vllmtest.DefaultModel, Messages: []vllm.Message{vllm.User("unrelated prompt " + strconv.Itoa(i))}}
		if _, err := c.Chat.Create(context.Background(), req, vllm.WithAffinityKey("session-7")); err != nil {
			t.Fatal(err)
		}
	}
	n := served(srvs)
	if n[0] != 6 && n[1] != 6 && n[2] != 6 {
		t.Errorf("calls of one affinity key spread over replicas: %v", n)
	}
	for _, s := range srvs {
		for _, r := range s.Requests() {
			if strings.Contains(string(r.Body), "session-7") || r.Header.Get("X-Affinity-Key") != "" {
				t.Errorf("the affinity key was sent: %s %v", r.Body, r.Header)
			}
		}
	}
}

func TestPrefixAffinityIndexFull(t *testing.T) {
	srvs, c := replicas(t, 3, vllm.WithBalance(vllm.PrefixAffinity), vllm.WithAffinityIndex(4))
	// Each turn's body is many more than 4 blocks of 256 bytes: the index
	// keeps only the most recent blocks, so the prefix of the next turn is
	// never found and the calls spread by load, without error.
	converse(t, c, "b", 6)
	if got := vllm.AffinityIndexSize(c); got > 4 {
		t.Errorf("index holds %d blocks, bound is 4", got)
	}
	n := served(srvs)
	if n[0] == 6 || n[1] == 6 || n[2] == 6 {
		t.Errorf("with an index too small to hold a prefix the turns still stuck to one replica: %v", n)
	}
	if _, err := vllm.New(srvs[0].URL, vllm.WithAffinityIndex(0)); err == nil {
		t.Errorf("WithAffinityIndex(0) accepted")
	}
}

func TestPrefixAffinityForgetsAnEjectedReplica(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srvs, c := replicas(t, 3, vllm.WithBalance(vllm.PrefixAffinity),
			vllm.WithCircuitBreaker(vllm.BreakerPolicy{Failures: 1, CoolDown: time.Hour, HalfOpenRequests: 1}),
			vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
		converse(t, c, "c", 2)
		n := served(srvs)
		home := -1
		for i, v := range n {
			if v == 2 {
				home = i
			}
		}
		if home < 0 {
			t.Fatalf("turns per replica %v, want both on one", n)
		}
		if !vllm.AffinityHolds(c, home) {
			t.Fatalf("the index does not name replica %d as a holder", home)
		}
		// The home replica fails once: its breaker opens (it is ejected), the
		// call is retried elsewhere, and the index forgets the home replica.
		srvs[home].Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503})
		converse(t, c, "c", 1)
		if vllm.AffinityHolds(c, home) {
			t.Errorf("replica %d still in the index after it was ejected", home)
		}
	})
}
