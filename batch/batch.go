// Package batch runs a function over many inputs with bounded concurrency:
// typically one vllm request per input, each with its own result and error,
// one failure not stopping the others.
//
// Any function can be batched; a batch of chat requests is
//
//	results := batch.Run(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
//		return c.Chat.Create(ctx, r)
//	}, nil)
//
// and a batch of completions the same with c.Completions.Create. The client's
// own limits (vllm.WithMaxInFlight, vllm.WithRateLimit) and retries still
// apply to every request. To send several conversations to vLLM in a single
// request, use vllm's ChatService.CreateMany instead.
//
// The package uses only the public API of package vllm.
package batch

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultConcurrency is the number of items a batch runs at once when
// Options.Concurrency is not set.
const DefaultConcurrency = 8

// ErrStopped matches the error of a batch item that was never run because
// the batch stopped: its context ended, an earlier item failed with
// StopOnError set, or the caller stopped iterating.
var ErrStopped = errors.New("batch: stopped")

// Options configures Run and Stream. The zero value runs DefaultConcurrency
// items at once and runs every item whatever the others do.
type Options struct {
	// Concurrency is the number of items run at once (default
	// DefaultConcurrency).
	Concurrency int
	// StopOnError stops the batch at the first failed item: items running
	// are cancelled (through their context) and items not started are not
	// run (their error matches ErrStopped).
	StopOnError bool
	// OnProgress, when set, is called after each item finishes, one call at
	// a time, in completion order.
	OnProgress func(Progress)
}

// Progress reports a batch's progress after an item finished.
type Progress struct {
	// Index is the input index of the item that finished.
	Index int
	// Err is the item's error, nil on success.
	Err error
	// Done counts the items finished so far.
	Done int
	// Failed counts the finished items that failed (part of Done).
	Failed int
	// Total is the number of items in the batch.
	Total int
}

// Result is the outcome of one batch item.
type Result[T any] struct {
	// Index is the item's index in the inputs.
	Index int
	// Value is the item's result when Err is nil.
	Value T
	// Err is the item's error.
	Err error
}

// Run runs fn on every input with bounded concurrency and returns the
// results in input order, each with its own error: one failure does not stop
// the others unless opts.StopOnError is set. When ctx ends, running items are
// cancelled and the rest are not started (their error matches ErrStopped and
// the context's error). Run returns only once every goroutine it started has
// finished. opts may be nil.
func Run[In, Out any](ctx context.Context, inputs []In, fn func(context.Context, In) (Out, error), opts *Options) []Result[Out] {
	out := make([]Result[Out], len(inputs))
	for r := range Stream(ctx, inputs, fn, opts) {
		out[r.Index] = r
	}
	return out
}

// Stream is Run yielding each result as soon as its item finishes
// (completion order). Stopping the iteration early cancels the items running
// and skips the rest; the loop's exit waits until every goroutine of the
// batch has finished, so nothing is left running.
func Stream[In, Out any](ctx context.Context, inputs []In, fn func(context.Context, In) (Out, error), opts *Options) iter.Seq[Result[Out]] {
	var o Options
	if opts != nil {
		o = *opts
	}
	return func(yield func(Result[Out]) bool) {
		n := len(inputs)
		if n == 0 {
			return
		}
		conc := o.Concurrency
		if conc <= 0 {
			conc = DefaultConcurrency
		}
		conc = min(conc, n)
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)

		results := make(chan Result[Out], conc)
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					r := Result[Out]{Index: i}
					if ctx.Err() != nil {
						r.Err = &stoppedError{cause: context.Cause(ctx)}
					} else {
						r.Value, r.Err = fn(ctx, inputs[i])
						if r.Err != nil && o.StopOnError {
							// Stop before this worker takes another item.
							cancel(&itemFailure{index: i, err: r.Err})
						}
					}
					results <- r
				}
			}()
		}
		go func() {
			wg.Wait()
			close(results)
		}()

		// However the loop ends (finished, the caller stopped, a panic in
		// the caller's loop body), cancel what runs and wait for it.
		defer func() {
			cancel(errIterationStopped)
			for range results {
			}
		}()
		p := Progress{Total: n}
		for r := range results {
			p.Done++
			p.Index, p.Err = r.Index, r.Err
			if r.Err != nil {
				p.Failed++
			}
			if o.OnProgress != nil {
				o.OnProgress(p)
			}
			if !yield(r) {
				return
			}
		}
	}
}

var errIterationStopped = errors.New("the caller stopped iterating")

// itemFailure is the cause of a batch stopped by StopOnError.
type itemFailure struct {
	index int
	err   error
}

func (e *itemFailure) Error() string {
	return "item " + strconv.Itoa(e.index) + " failed: " + e.err.Error()
}

// stoppedError is the error of an item never run.
type stoppedError struct{ cause error }

func (e *stoppedError) Error() string {
	return "batch: stopped before this item ran: " + e.cause.Error()
}

// Is matches ErrStopped.
func (e *stoppedError) Is(target error) bool { return target == ErrStopped }

// Unwrap returns the context's error when the caller's context ended (so
// errors.Is(err, context.Canceled) holds), nothing otherwise.
func (e *stoppedError) Unwrap() error {
	var f *itemFailure
	if errors.As(e.cause, &f) || e.cause == errIterationStopped {
		return nil
	}
	return e.cause
}
