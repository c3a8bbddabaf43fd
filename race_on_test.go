//go:build race

package vllm_test

// raceEnabled reports whether the tests run under the race detector, which
// makes them 10 to 30 times slower: the load tests then run a smaller load.
const raceEnabled = true
