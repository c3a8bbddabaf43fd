package vllm

import (
	"time"

	"github.com/vllmgo/vllm/internal/sse"
)

// DefaultStreamIdleTimeout is how long a stream may go without receiving a
// byte before it fails with an idle timeout (see WithStreamIdleTimeout).
const DefaultStreamIdleTimeout = 5 * time.Minute

// DefaultMaxEventSize bounds one server-sent event of a stream: 64 MiB, so
// that very long tool arguments or logprob lines work out of the box.
const DefaultMaxEventSize = sse.DefaultMaxEventSize

// streamSettings holds the client-wide settings of streams (idle timeout,
// maximum event size).
type streamSettings struct {
	idleTimeout    time.Duration
	idleTimeoutSet bool
	maxEventSize   int
}

// streamRequestSettings are the per-request stream settings.
type streamRequestSettings struct {
	idleTimeout  *time.Duration
	splitThink   bool
	startInThink bool
}

// resolve returns the effective settings of one stream.
func (s *streamSettings) resolve(rc *requestConfig) (idle time.Duration, maxEvent int, rs streamRequestSettings) {
	idle = DefaultStreamIdleTimeout
	if s.idleTimeoutSet {
		idle = s.idleTimeout
	}
	if rc.stream.idleTimeout != nil {
		idle = *rc.stream.idleTimeout
	}
	if idle < 0 {
		idle = 0
	}
	maxEvent = s.maxEventSize
	if maxEvent <= 0 {
		maxEvent = DefaultMaxEventSize
	}
	return idle, maxEvent, rc.stream
}
