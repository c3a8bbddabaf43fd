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
// maximum event size). It is owned by the streaming layer.
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

// WithStreamIdleTimeout bounds how long a stream may wait for its next bytes
// (the idle timeout; DefaultStreamIdleTimeout when not set). The clock runs
// only while the stream waits for the server, never while the caller handles
// an event, and it is restarted by every read that returns data; when it
// fires, the stream fails with a *StreamError of KindIdleTimeout that
// matches ErrTimeout. Zero disables it. It is independent of WithTimeout,
// which for streams covers only the wait for the response headers.
func WithStreamIdleTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("WithStreamIdleTimeout", "must not be negative, got %v", d)
		}
		c.stream.idleTimeout, c.stream.idleTimeoutSet = d, true
		return nil
	}
}

// WithMaxEventSize bounds the size of one server-sent event of a stream
// (DefaultMaxEventSize when not set). A larger event fails the stream with a
// *StreamError of KindTooLarge; the event decoder never buffers more than about
// twice this size for a stream.
func WithMaxEventSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return invalid("WithMaxEventSize", "must be positive, got %d", n)
		}
		c.stream.maxEventSize = n
		return nil
	}
}

// WithRequestIdleTimeout overrides the client's stream idle timeout
// (WithStreamIdleTimeout) for this stream; zero disables it. It has no
// effect on requests that do not stream.
func WithRequestIdleTimeout(d time.Duration) RequestOption {
	return func(rc *requestConfig) { rc.stream.idleTimeout = &d }
}

// WithThinkSplit makes a chat stream move the text a model writes between
// <think> and </think> in its content into EventReasoning events (and the
// accumulated reasoning), for servers that run without a reasoning parser.
// It uses a ThinkSplitter per choice, so tags split across chunks are
// recognised, and the accumulated response equals what SplitThink gives for
// the whole content. startInThink is ThinkSplitter.StartInThink: set it when
// the chat template opens the think block in the prompt (DeepSeek-R1, Qwen3
// thinking templates), so that the output starts as reasoning. It has no
// effect on requests other than chat streams.
func WithThinkSplit(startInThink bool) RequestOption {
	return func(rc *requestConfig) {
		rc.stream.splitThink, rc.stream.startInThink = true, startInThink
	}
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
