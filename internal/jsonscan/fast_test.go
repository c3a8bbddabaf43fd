package jsonscan

import (
	"fmt"
	"testing"
)

// Key and Int read compact JSON on a fast path and leave the rest to the
// general one (key, intAny): for any input, both must end the same way —
// the same name or value, the same position, the same error.
func checkFastPaths(t *testing.T, in []byte, members int) {
	t.Helper()
	n1, n2 := members, members
	var fast, slow Scanner
	fast.Start(in)
	slow.Start(in)
	k1, ok1 := fast.Key(&n1)
	k2, ok2 := slow.key(&n2)
	if string(k1) != string(k2) || ok1 != ok2 || fast.I != slow.I || n1 != n2 || fmt.Sprint(fast.Err()) != fmt.Sprint(slow.Err()) {
		t.Fatalf("Key(%q, n=%d): fast %q %v at %d n=%d err %v; general %q %v at %d n=%d err %v",
			in, members, k1, ok1, fast.I, n1, fast.Err(), k2, ok2, slow.I, n2, slow.Err())
	}
	fast.Start(in)
	slow.Start(in)
	v1, ok1 := fast.Int()
	v2, ok2 := slow.intAny()
	if v1 != v2 || ok1 != ok2 || fast.I != slow.I || fmt.Sprint(fast.Err()) != fmt.Sprint(slow.Err()) {
		t.Fatalf("Int(%q): fast %d %v at %d err %v; general %d %v at %d err %v",
			in, v1, ok1, fast.I, fast.Err(), v2, ok2, slow.I, slow.Err())
	}
}

var fastPathSeeds = []string{
	`"id":"x"`, `,"id":"x"`, `,"finish_reason":null}`, `"a":1`, `,"a"`, `,"ab`, `"a" :1`, ` "a":1`,
	`,"a\"b":1`, `,"é":1`, `}`, `,}`, ``, `,`, `"`, `"abcdefgh":`, `"abcdefg":`, `,"abcdefghijklmnop":0`,
	`0`, `0,`, `01`, `0.5`, `1e3`, `7}`, `-3,`, `123456789012345678,`, `1234567890123456789,`,
	`9223372036854775807}`, `9223372036854775808}`, `42`, ` 42`, `4x`, `x`,
}

// fastPathTail follows each seed once more, so that the fast paths, which
// read eight bytes at a time, get to read short seeds too.
const fastPathTail = `        ,"x":1}`

func TestFastPathsAgree(t *testing.T) {
	for _, s := range fastPathSeeds {
		for _, members := range []int{0, 1} {
			checkFastPaths(t, []byte(s), members)
			checkFastPaths(t, []byte(s+fastPathTail), members)
		}
	}
}

func FuzzFastPathsAgree(f *testing.F) {
	for _, s := range fastPathSeeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s+fastPathTail), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, first bool) {
		members := 1
		if first {
			members = 0
		}
		checkFastPaths(t, in, members)
	})
}
