package vllm

import (
	"testing"
)

func TestAffinityOrderBoundedLoad(t *testing.T) {
	a, b, c := &endpoint{name: "a"}, &endpoint{name: "b"}, &endpoint{name: "c"}
	all := []*endpoint{a, b, c}
	set := func(na, nb, nc int64) {
		a.outstanding.Store(na)
		b.outstanding.Store(nb)
		c.outstanding.Store(nc)
	}
	byLoad := func() []*endpoint { // as order() leaves them: least loaded first
		buf := []*endpoint{a, b, c}
		for i := 1; i < len(buf); i++ {
			for j := i; j > 0 && buf[j].outstanding.Load() < buf[j-1].outstanding.Load(); j-- {
				buf[j], buf[j-1] = buf[j-1], buf[j]
			}
		}
		return buf
	}
	holderA := uint64(1) // bit 0: endpoint a
	for _, tc := range []struct {
		na, nb, nc int64
		want       string
	}{
		{0, 0, 0, "a"}, // idle: the holder, whatever the others
		{1, 1, 0, "a"}, // ceil(1.25*3/3)=2 >= 1+1
		{2, 1, 0, "c"}, // ceil(1.25*4/3)=2 < 2+1: not on affinity alone
		{5, 0, 0, "b"}, // hot holder: least loaded (b before c, stably)
		{4, 4, 4, "a"}, // ceil(1.25*13/3)=6 >= 5
	} {
		set(tc.na, tc.nb, tc.nc)
		got := affinityOrder(byLoad(), all, holderA)[0].name
		if got != tc.want {
			t.Errorf("load a=%d b=%d c=%d: first %s, want %s", tc.na, tc.nb, tc.nc, got, tc.want)
		}
	}
	set(0, 0, 0)
	if got := affinityOrder(byLoad(), all, 0)[0].name; got != "a" {
		t.Errorf("no holders: first %s, want the least loaded a", got)
	}
}

func TestAffinityIndexLongestPrefixAndEviction(t *testing.T) {
	a, b := &endpoint{}, &endpoint{}
	eps := []*endpoint{a, b}
	x := newAffinityIndex(8, 2)
	x.record([]uint64{1, 2, 3}, 0) // a: prefix 1-2-3
	x.record([]uint64{1, 2, 9}, 1) // b: prefix 1-2-9
	if m, d := x.holders([]uint64{1, 2, 3, 4}, eps); m != 1 || d != 3 {
		t.Errorf("1-2-3-4: holders %b depth %d, want a at 3", m, d)
	}
	if m, d := x.holders([]uint64{1, 2, 7}, eps); m != 3 || d != 2 {
		t.Errorf("1-2-7: holders %b depth %d, want a and b at 2", m, d)
	}
	if m, d := x.holders([]uint64{5}, eps); m != 0 || d != 0 {
		t.Errorf("unknown: holders %b depth %d", m, d)
	}
	// Ejecting b clears it everywhere; 9 held only by b goes.
	b.ejections.Add(1)
	if m, _ := x.holders([]uint64{1, 2, 9}, eps); m != 1 {
		t.Errorf("after b's ejection: holders %b, want a only", m)
	}
	if x.size() != 3 {
		t.Errorf("size %d, want 3 (b's own block dropped)", x.size())
	}
	// Filling the index evicts the least recently used blocks.
	x.record([]uint64{10, 11, 12, 13, 14, 15, 16}, 1)
	if x.size() != 8 {
		t.Fatalf("size %d, want the bound 8", x.size())
	}
	if m, _ := x.holders([]uint64{1}, eps); m != 0 {
		t.Errorf("the oldest block survived a full index")
	}
}
