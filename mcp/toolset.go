package vllmmcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultTimeout bounds each request to a server (initialize, tools/list,
// tools/call) when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Server is an MCP server to connect to.
type Server struct {
	// Name identifies the server in errors, and prefixes its tool names
	// when another server offers a tool of the same name. Required; unique
	// within a Connect; letters, digits, '_' and '-'.
	Name string
	// Transport reaches the server: an *mcp.CommandTransport runs a command
	// that speaks MCP on its stdin/stdout, an *mcp.StreamableClientTransport
	// talks to a streamable HTTP endpoint, and any other transport of the
	// SDK works too (mcp.NewInMemoryTransports for a server in the same
	// process). A command's standard error, when its Stderr is not set, is
	// kept (the last 4 KiB) for the errors that say why the server failed.
	Transport mcp.Transport
}

// Options tune a Toolset. The zero value is ready to use.
type Options struct {
	// Timeout bounds each request to a server: the initialize handshake,
	// each tools/list and each tools/call (default DefaultTimeout; negative:
	// no bound but the caller's context). A call that runs out of time is
	// cancelled on the server and reported to the model as a tool error.
	Timeout time.Duration
	// Filter, when set, keeps only the tools it returns true for (server is
	// the Server's Name, tool the server's definition, before any renaming).
	// A tool left out is not checked, offered or callable.
	Filter func(server string, tool *mcp.Tool) bool
}

// Toolset is a set of connected MCP servers whose tools an agent can run.
// It is safe for concurrent use. Close ends every session (and stops the
// servers started as commands).
type Toolset struct {
	servers []*session
	timeout time.Duration
	filter  func(string, *mcp.Tool) bool
}

// session is one connected server.
type session struct {
	name   string
	cs     *mcp.ClientSession
	stderr *tailBuffer // nil unless the server is a command whose stderr is ours

	stale atomic.Bool // the server said its tool list changed

	mu    sync.Mutex
	tools []*mcp.Tool // the last list read; nil before the first

	exited chan struct{} // closed when the session ended
	endErr error         // why it ended; read after exited is closed
	closed atomic.Bool   // Close was called: an end that is not a fault
}

var serverName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Connect connects to every server (concurrently) and returns the Toolset.
// If any server fails to start or to complete the MCP handshake, the
// sessions already made are closed and the error (an *Error) names the
// server, what failed and, for a command, the end of what it wrote to
// standard error.
func Connect(ctx context.Context, servers []Server, opts *Options) (*Toolset, error) {
	if opts == nil {
		opts = &Options{}
	}
	ts := &Toolset{timeout: opts.Timeout, filter: opts.Filter}
	if ts.timeout == 0 {
		ts.timeout = DefaultTimeout
	}
	seen := map[string]bool{}
	for i, s := range servers {
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("vllmmcp: servers[%d].Name is required", i)
		case !serverName.MatchString(s.Name):
			return nil, fmt.Errorf("vllmmcp: servers[%d].Name %q: use only letters, digits, '_' and '-'", i, s.Name)
		case seen[s.Name]:
			return nil, fmt.Errorf("vllmmcp: servers[%d].Name %q is given twice", i, s.Name)
		case s.Transport == nil:
			return nil, fmt.Errorf("vllmmcp: servers[%d] (%q): Transport is required", i, s.Name)
		}
		seen[s.Name] = true
	}
	ts.servers = make([]*session, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts.servers[i], errs[i] = ts.connect(ctx, s)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		ts.Close()
		return nil, err
	}
	return ts, nil
}

// connect starts one session.
func (ts *Toolset) connect(ctx context.Context, s Server) (*session, error) {
	sess := &session{name: s.Name, exited: make(chan struct{})}
	if ct, ok := s.Transport.(*mcp.CommandTransport); ok && ct.Command != nil && ct.Command.Stderr == nil {
		sess.stderr = &tailBuffer{max: 4096}
		ct.Command.Stderr = sess.stderr
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "vllm-go", Version: "v1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { sess.stale.Store(true) },
		Capabilities:           &mcp.ClientCapabilities{}, // no roots: this client offers none
	})
	cctx, cancel := ts.requestContext(ctx)
	defer cancel()
	cs, err := client.Connect(cctx, s.Transport, nil)
	if err != nil {
		return nil, sess.fail("start", "", ts.explain(ctx, cctx, err))
	}
	sess.cs = cs
	go func() {
		err := cs.Wait()
		if err == nil && !sess.closed.Load() {
			err = errors.New("the server ended the session")
		}
		sess.endErr = err
		close(sess.exited)
	}()
	return sess, nil
}

// requestContext bounds one request by the Toolset's timeout.
func (ts *Toolset) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ts.timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, ts.timeout, errTimeout{ts.timeout})
}

// errTimeout is the cause of a request context that ran out of time.
type errTimeout struct{ d time.Duration }

func (e errTimeout) Error() string { return "timed out after " + e.d.String() }

// Timeout reports true: the request timed out.
func (e errTimeout) Timeout() bool { return true }

// Is matches context.DeadlineExceeded.
func (e errTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// explain returns the error of a request made with rctx (derived from
// ctx): the caller's cancellation as it is, the Toolset's own timeout as
// "timed out after …", anything else unchanged.
func (ts *Toolset) explain(ctx, rctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if rctx.Err() != nil {
		return context.Cause(rctx)
	}
	return err
}

// Close ends every session. It returns the first error of closing one
// (a server that had already failed is not an error of Close).
func (ts *Toolset) Close() error {
	var first error
	for _, s := range ts.servers {
		if s == nil || s.cs == nil {
			continue
		}
		s.closed.Store(true)
		select {
		case <-s.exited:
			continue // already over; its error was reported to the calls
		default:
		}
		if err := s.cs.Close(); err != nil && first == nil && !errors.Is(err, mcp.ErrConnectionClosed) {
			first = s.fail("close", "", err)
		}
		<-s.exited
	}
	return first
}

// Error is a failure of an MCP server or of one of its tools.
type Error struct {
	// Server is the server's Name.
	Server string
	// Tool is the tool's name on the server, when the failure is about
	// one tool.
	Tool string
	// Op is what failed: "start", "list tools", "call", "result" (a result
	// that cannot be read) or "schema" (a tool vLLM would reject).
	Op string
	// Err is the underlying error (context.DeadlineExceeded matches a
	// timeout, context.Canceled a cancelled call).
	Err error
	// Stderr is the end of what the server's command wrote to standard
	// error, when the server is a command whose stderr this package kept.
	Stderr string
}

// Error says which server (and tool) failed at what, and why.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("MCP server ")
	b.WriteString(fmt.Sprintf("%q", e.Server))
	if e.Tool != "" {
		b.WriteString(fmt.Sprintf(", tool %q", e.Tool))
	}
	b.WriteString(": ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Stderr != "" {
		b.WriteString("; its stderr ends with: ")
		b.WriteString(strings.TrimSpace(e.Stderr))
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// fail returns an *Error of this server.
func (s *session) fail(op, tool string, err error) *Error {
	e := &Error{Server: s.name, Tool: tool, Op: op, Err: err}
	if s.stderr != nil {
		e.Stderr = s.stderr.String()
	}
	return e
}

// gone returns the error of a request to a server whose session ended, or
// nil while it runs.
func (s *session) gone() error {
	select {
	case <-s.exited:
		if s.closed.Load() {
			return errors.New("the session is closed")
		}
		return fmt.Errorf("the server is gone: %w", s.endErr)
	default:
		return nil
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

var _ io.Writer = (*tailBuffer)(nil)

// Write keeps the end of p (and of what came before).
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// String returns what is kept.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
