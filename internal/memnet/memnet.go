// Package memnet is an in-memory network for tests: a net.Listener whose
// connections are buffered in-process pipes.
//
// A goroutine blocked on a loopback socket is not "durably blocked" in a
// testing/synctest bubble, so a bubble whose server and client talk over TCP
// never lets its fake clock advance. Every wait in memnet is on a channel
// created by the caller, so a client and a server started in one bubble block
// durably on each other and the bubble's time moves on.
//
// Connections behave like TCP ones as far as net/http can tell: writes are
// buffered (up to a window, then the writer waits for the reader), Close makes
// the peer read the remaining bytes then io.EOF, writing to a closed peer
// fails, SetLinger(0) makes Close a reset (the peer reads what was written,
// then ECONNRESET: deterministic, where TCP may drop unread bytes), and
// read and write deadlines end a blocked call with os.ErrDeadlineExceeded.
package memnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// window is how many bytes a writer may get ahead of its reader.
const window = 64 << 10

// Listener is an in-memory net.Listener. Dial connects to it by its address.
type Listener struct {
	addr   Addr
	accept chan net.Conn
	done   chan struct{}
	once   sync.Once
}

var (
	mu        sync.Mutex
	listeners = map[string]*Listener{}
	seq       int
)

// Listen returns a Listener at a new address "<name>-<n>.invalid:80", which
// no resolver knows, so that only Dial reaches it. Call it in the bubble that
// will use it.
func Listen(name string) *Listener {
	mu.Lock()
	defer mu.Unlock()
	seq++
	l := &Listener{
		addr:   Addr(fmt.Sprintf("%s-%d.invalid:80", name, seq)),
		accept: make(chan net.Conn),
		done:   make(chan struct{}),
	}
	listeners[string(l.addr)] = l
	return l
}

// Accept waits for the next connection made with Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.accept:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting connections and frees the address; connections
// already made stay open.
func (l *Listener) Close() error {
	l.once.Do(func() {
		mu.Lock()
		delete(listeners, string(l.addr))
		mu.Unlock()
		close(l.done)
	})
	return nil
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.addr }

// Dial connects to the listener at addr (host:port); its signature fits
// http.Transport.DialContext. It waits until the connection is accepted, the
// context ends or the listener closes. An address no listener has is refused.
func Dial(ctx context.Context, _, addr string) (net.Conn, error) {
	mu.Lock()
	l := listeners[addr]
	mu.Unlock()
	if l == nil {
		return nil, &net.OpError{Op: "dial", Net: "memnet", Addr: Addr(addr), Err: errRefused}
	}
	a, b := newPipe(), newPipe()
	client := &conn{r: a, w: b, local: Addr("client"), remote: l.addr}
	server := &conn{r: b, w: a, local: l.addr, remote: Addr("client")}
	client.init()
	server.init()
	select {
	case l.accept <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: "memnet", Addr: l.addr, Err: errRefused}
	}
}

var errRefused = errors.New("connection refused")

// Transport returns an HTTP transport that dials in-memory listeners, asks
// for no compression (as the library's own transport) and keeps idle
// connections for reuse.
func Transport() *http.Transport {
	return &http.Transport{DialContext: Dial, DisableCompression: true, MaxIdleConnsPerHost: 64}
}

// Addr is the address of an in-memory endpoint.
type Addr string

// Network returns "memnet".
func (Addr) Network() string { return "memnet" }

// String returns the address as given to Listen.
func (a Addr) String() string { return string(a) }

// pipe is one direction of a connection.
type pipe struct {
	mu       sync.Mutex
	buf      []byte // unread bytes are buf[off:]; the array is reused
	off      int
	wclosed  bool          // the writer closed: EOF after buf
	reset    bool          // the writer reset the connection: ECONNRESET
	rclosed  bool          // the reader closed: writes fail
	readable chan struct{} // signaled when data arrives or a side closes
	writable chan struct{} // signaled when room frees or a side closes
}

func newPipe() *pipe {
	return &pipe{readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

type conn struct {
	r, w          *pipe
	local, remote Addr
	rd, wd        deadline
	closeOnce     sync.Once
	closed        chan struct{}
	abort         bool // Close resets the connection (SetLinger(0))
}

func (c *conn) init() {
	c.closed = make(chan struct{})
	c.rd.init()
	c.wd.init()
}

func (c *conn) Read(b []byte) (int, error) {
	for {
		select {
		case <-c.closed:
			return 0, net.ErrClosed
		case <-c.rd.expired():
			return 0, os.ErrDeadlineExceeded
		default:
		}
		p := c.r
		p.mu.Lock()
		if p.off < len(p.buf) {
			n := copy(b, p.buf[p.off:])
			p.off += n
			if p.off == len(p.buf) {
				p.buf, p.off = p.buf[:0], 0
			}
			p.mu.Unlock()
			signal(p.writable)
			return n, nil
		}
		eof, reset := p.wclosed, p.reset
		p.mu.Unlock()
		if reset {
			return 0, &net.OpError{Op: "read", Net: "memnet", Source: c.local, Addr: c.remote, Err: os.NewSyscallError("read", syscall.ECONNRESET)}
		}
		if eof {
			return 0, io.EOF
		}
		if len(b) == 0 {
			return 0, nil
		}
		select {
		case <-p.readable:
		case <-c.closed:
		case <-c.rd.expired():
		case <-c.rd.changed():
		}
	}
}

func (c *conn) Write(b []byte) (int, error) {
	n := 0
	for {
		select {
		case <-c.closed:
			return n, net.ErrClosed
		case <-c.wd.expired():
			return n, os.ErrDeadlineExceeded
		default:
		}
		p := c.w
		p.mu.Lock()
		if p.rclosed {
			p.mu.Unlock()
			return n, io.ErrClosedPipe
		}
		if room := window - (len(p.buf) - p.off); room > 0 {
			k := min(room, len(b)-n)
			if p.off > 0 && len(p.buf)+k > cap(p.buf) {
				// Move the unread bytes down rather than grow the array.
				p.buf = p.buf[:copy(p.buf, p.buf[p.off:])]
				p.off = 0
			}
			p.buf = append(p.buf, b[n:n+k]...)
			n += k
		}
		p.mu.Unlock()
		signal(p.readable)
		if n == len(b) {
			return n, nil
		}
		select {
		case <-p.writable:
		case <-c.closed:
		case <-c.wd.expired():
		case <-c.wd.changed():
		}
	}
}

// Close ends both directions: the peer reads what was written, then io.EOF,
// and its writes fail.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.w.mu.Lock()
		c.w.wclosed = true
		c.w.reset = c.abort
		c.w.mu.Unlock()
		signal(c.w.readable)
		c.r.mu.Lock()
		c.r.rclosed = true
		c.r.buf, c.r.off = nil, 0
		c.r.mu.Unlock()
		signal(c.r.writable)
		c.rd.stop()
		c.wd.stop()
	})
	return nil
}

// SetLinger(0) makes Close reset the connection, as with TCP: once the peer
// has read what was written, its reads fail with ECONNRESET instead of
// io.EOF.
func (c *conn) SetLinger(sec int) error {
	c.abort = sec == 0
	return nil
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *conn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

// deadline is a settable point in time after which expired() is closed.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	done  chan struct{} // closed when the deadline passes
	moved chan struct{} // closed when the deadline is set again
}

func (d *deadline) init() {
	d.done = make(chan struct{})
	d.moved = make(chan struct{})
}

func (d *deadline) expired() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *deadline) changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.moved
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	select {
	case <-d.done:
		d.done = make(chan struct{})
	default:
	}
	close(d.moved)
	d.moved = make(chan struct{})
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.done)
		return
	}
	done := d.done
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.done == done {
			select {
			case <-done:
			default:
				close(done)
			}
		}
	})
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}
