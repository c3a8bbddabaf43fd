package vllm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The calls that start within one window (1/256 of the timeout) share its
// deadline context; the next window has its own.
func TestSharedDeadlineWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newSharedDeadlines(256*time.Millisecond, timeoutError(256*time.Millisecond))
		t0 := time.Now()
		a := d.context(t0)
		if b := d.context(t0.Add(999 * time.Microsecond)); b != a {
			t.Fatal("a call within the window got another context")
		}
		if dl, ok := a.Deadline(); !ok || !dl.Equal(t0.Add(257*time.Millisecond)) {
			t.Fatalf("deadline %v, want the window's end plus the timeout", dl.Sub(t0))
		}
		c := d.context(t0.Add(time.Millisecond))
		if c == a {
			t.Fatal("a call after the window got its context")
		}
		if dl, _ := c.Deadline(); !dl.Equal(t0.Add(258 * time.Millisecond)) {
			t.Fatalf("next window's deadline %v", dl.Sub(t0))
		}
		time.Sleep(257 * time.Millisecond) // simulated
		synctest.Wait()                    // the deadline's timer has run
		if !errors.Is(context.Cause(a), ErrTimeout) || c.Err() != nil {
			t.Fatalf("first window %v, next %v", context.Cause(a), c.Err())
		}
	})
}

// A window opened on one clock is not used on a clock that is behind it: a
// client used outside a testing/synctest bubble and then inside one gets a
// window of the bubble's clock, whose deadline that clock reaches.
func TestSharedDeadlineClockBehind(t *testing.T) {
	d := newSharedDeadlines(256*time.Millisecond, timeoutError(256*time.Millisecond))
	outside := d.context(time.Now())
	synctest.Test(t, func(t *testing.T) {
		inside := d.context(time.Now())
		if inside == outside {
			t.Fatal("the bubble's call got the window of the real clock")
		}
		time.Sleep(257 * time.Millisecond) // simulated
		synctest.Wait()                    // the deadline's timer has run
		if !errors.Is(context.Cause(inside), ErrTimeout) {
			t.Fatalf("the bubble's window did not end: %v", context.Cause(inside))
		}
	})
}

// Calls sent with a context that can never be canceled are cut after at
// least the timeout and at most 1/256 of it more, wherever they start in a
// window; their context's values reach the transport.
func TestSharedDeadlineCutsCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 256 * time.Millisecond
		c := newMemServer(t, holdResponse(false)).Client(t, WithTimeout(timeout))
		req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
		var gotConn sync.WaitGroup
		gotConn.Add(1)
		traced := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Done() }})
		var wg sync.WaitGroup
		for i, ctx := range []context.Context{context.Background(), context.WithValue(context.Background(), struct{}{}, 1), traced} {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * 400 * time.Microsecond) // simulated: three starts in one window
				start := time.Now()
				_, err := c.Chat.Create(ctx, req)
				if d := time.Since(start); !errors.Is(err, ErrTimeout) || d < timeout || d > timeout+time.Millisecond {
					t.Errorf("call %d: %v after %v", i, err, d)
				}
			})
		}
		wg.Wait()
		gotConn.Wait() // the trace in the third call's context ran
	})
}

// A call whose context can be canceled, or with a timeout of its own, has
// an exact deadline; one whose context's deadline comes first keeps that.
func TestOwnDeadlines(t *testing.T) {
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	for _, tc := range []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		opts   []Option
		after  time.Duration
		isErrs []error
	}{
		{"cancelable context", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			nil, 100 * time.Millisecond, []error{ErrTimeout}},
		{"timeout of the call", func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			[]Option{WithTimeout(30 * time.Millisecond)}, 30 * time.Millisecond, []error{ErrTimeout}},
		{"earlier deadline of the context", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 40*time.Millisecond)
		}, nil, 40 * time.Millisecond, []error{context.DeadlineExceeded}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newMemServer(t, holdResponse(false)).Client(t, WithTimeout(100*time.Millisecond))
				ctx, cancel := tc.ctx()
				defer cancel()
				start := time.Now()
				_, err := c.Chat.Create(ctx, req, tc.opts...)
				for _, want := range tc.isErrs {
					if !errors.Is(err, want) {
						t.Fatalf("err %v, want %v", err, want)
					}
				}
				if d := time.Since(start); d != tc.after {
					t.Fatalf("cut after %v, want %v", d, tc.after)
				}
			})
		})
	}
}

// With the timeout disabled, a non-streaming call reaches the transport with
// the caller's own context: nothing of the client's can cut it, so it is not
// wrapped in a cancel context of its own (a context, a closure and the
// transport's registration on it per call, for nothing). The caller's
// cancellation still ends the call.
func TestNoTimeoutSendsCallersContext(t *testing.T) {
	body := fixture(t, "vllm-0.25.1-completion.json")
	var got context.Context
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Context()
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	c, err := New("http://vllm.invalid/v1", WithTimeout(0), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	req := &CompletionRequest{Model: "m", Prompt: PromptText("x")}
	background := context.Background()
	valued := context.WithValue(background, struct{}{}, 1)
	cancelable, cancel := context.WithCancel(background)
	defer cancel()
	for _, ctx := range []context.Context{background, valued, cancelable} {
		got = nil
		if _, err := c.Completions.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
		if got != ctx {
			t.Fatalf("the transport got %v, want the caller's context %v", got, ctx)
		}
	}
	cancel()
	if _, err := c.Completions.Create(cancelable, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled call: %v", err)
	}
	// A stream is still sent with a context the client can cancel (Close).
	got = nil
	if s, err := c.Completions.Stream(background, req); err == nil {
		s.Close()
	}
	if got == background {
		t.Fatal("a stream was sent with the caller's context")
	}
}
