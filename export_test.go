package vllm

// Test helpers of package vllm used by the tests of package vllm_test.
var (
	NoGoroutineLeaks = noGoroutineLeaks
	WaitGoroutines   = waitGoroutines
)
