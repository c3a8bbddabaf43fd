package vllm

import (
	"net/http"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// The goroutine-leak check shared by the tests of this package and (through
// export_test.go) of package vllm_test.

// leakGrace is how long goroutines may take to wind down after a test. It is
// generous so that a loaded machine does not report a leak; a leak-free test
// returns as soon as the count is back, usually within milliseconds.
const leakGrace = 10 * time.Second

// noGoroutineLeaks fails the test when goroutines started during it are still
// running once its cleanups (servers closed) have run. Call it first: its
// cleanup then runs last.
func noGoroutineLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() { waitGoroutines(t, before) })
}

// waitGoroutines polls until at most base goroutines run, and fails the test
// with every goroutine's stack if that does not happen within leakGrace.
func waitGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(leakGrace)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d goroutines left behind (%d before):\n%s", n-base, base, buf)
			return
		}
		// Idle keep-alive connections of the default transport (used by
		// httptest clients) are not leaks of the code under test.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		time.Sleep(10 * time.Millisecond) // outside a synctest bubble, goroutines wind down on the real clock
	}
}

// parallelBubble runs test in parallel with the other tests, inside a
// testing/synctest bubble: time is simulated, and the bubble is also the
// test's leak check, since synctest.Test fails when a goroutine started in
// the bubble is still blocked once test returns.
func parallelBubble(t *testing.T, test func(t *testing.T)) {
	t.Parallel()
	synctest.Test(t, test)
}
