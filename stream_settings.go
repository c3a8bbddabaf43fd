package vllm

import (
	"time"

	"github.com/vllmgo/vllm/internal/sse"
)

// defaultStreamIdleTimeout is how long a stream may go without receiving a
// byte when WithStreamIdleTimeout is not given (its doc states it).
const defaultStreamIdleTimeout = 5 * time.Minute

// defaultMaxEventSize bounds one server-sent event of a stream when
// WithMaxEventSize is not given (its doc states it).
const defaultMaxEventSize = sse.DefaultMaxEventSize

// streamSettings holds the client-wide settings of streams (idle timeout,
// maximum event size).
type streamSettings struct {
	idleTimeout    time.Duration
	idleTimeoutSet bool
	maxEventSize   int
}

// streamRequestSettings are the per-request stream settings, and the think
// splitting that non-streaming chat calls apply too.
type streamRequestSettings struct {
	idleTimeout  *time.Duration
	splitThink   bool
	startInThink bool
}

// resolve returns the effective settings of one stream.
func (s *streamSettings) resolve(rc *requestConfig) (idle time.Duration, maxEvent int, rs streamRequestSettings) {
	idle = defaultStreamIdleTimeout
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
		maxEvent = defaultMaxEventSize
	}
	return idle, maxEvent, rc.stream
}
