package vllm

// Test helpers of package vllm used by the tests of package vllm_test.
var (
	NoGoroutineLeaks      = noGoroutineLeaks
	WaitGoroutines        = waitGoroutines
	NewMemServer          = newMemServer
	NewUnstartedMemServer = newUnstartedMemServer
	InMemory              = inMemory
)

// MemServer is memServer, for package vllm_test.
type MemServer = memServer
