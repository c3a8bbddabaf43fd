package vllm

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultBatchConcurrency is the number of requests a batch runs at once when
// BatchOptions.Concurrency is not set.
const DefaultBatchConcurrency = 8

// ErrBatchStopped matches the error of a batch item that was never run
// because the batch stopped: its context ended, an earlier item failed with
// StopOnError set, or the caller stopped iterating.
var ErrBatchStopped = errors.New("vllm: batch stopped")

// BatchOptions configures RunBatch and StreamBatch. The zero value runs
// DefaultBatchConcurrency items at once and runs every item whatever the
// others do.
type BatchOptions struct {
	// Concurrency is the number of items run at once (default
	// DefaultBatchConcurrency). The client's own limits (WithMaxInFlight,
	// WithRateLimit) still apply to every request.
	Concurrency int
	// StopOnError stops the batch at the first failed item: items running
	// are cancelled (through their context) and items not started are not
	// run (their error matches ErrBatchStopped).
	StopOnError bool
	// OnProgress, when set, is called after each item finishes, one call at
	// a time, in completion order.
	OnProgress func(BatchProgress)
}

// BatchProgress reports a batch's progress after an item finished.
type BatchProgress struct {
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

// BatchResult is the outcome of one batch item.
type BatchResult[T any] struct {
	// Index is the item's index in the inputs.
	Index int
	// Value is the item's result when Err is nil.
	Value T
	// Err is the item's error.
	Err error
}

// RunBatch runs fn on every input with bounded concurrency and returns the
// results in input order, each with its own error: one failure does not stop
// the others unless opts.StopOnError is set. When ctx ends, running items are
// cancelled and the rest are not started (their error matches
// ErrBatchStopped and the context's error). RunBatch returns only once every
// goroutine it started has finished. opts may be nil.
//
//	results := vllm.RunBatch(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
//		return c.Chat.Create(ctx, r)
//	}, &vllm.BatchOptions{Concurrency: 16})
func RunBatch[In, Out any](ctx context.Context, inputs []In, fn func(context.Context, In) (Out, error), opts *BatchOptions) []BatchResult[Out] {
	out := make([]BatchResult[Out], len(inputs))
	for r := range StreamBatch(ctx, inputs, fn, opts) {
		out[r.Index] = r
	}
	return out
}

// StreamBatch is RunBatch yielding each result as soon as its item finishes
// (completion order). Stopping the iteration early cancels the items running
// and skips the rest; the loop's exit waits until every goroutine of the
// batch has finished, so nothing is left running.
func StreamBatch[In, Out any](ctx context.Context, inputs []In, fn func(context.Context, In) (Out, error), opts *BatchOptions) iter.Seq[BatchResult[Out]] {
	var o BatchOptions
	if opts != nil {
		o = *opts
	}
	return func(yield func(BatchResult[Out]) bool) {
		n := len(inputs)
		if n == 0 {
			return
		}
		conc := o.Concurrency
		if conc <= 0 {
			conc = DefaultBatchConcurrency
		}
		conc = min(conc, n)
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)

		results := make(chan BatchResult[Out], conc)
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
					r := BatchResult[Out]{Index: i}
					if ctx.Err() != nil {
						r.Err = &batchStoppedError{cause: context.Cause(ctx)}
					} else {
						r.Value, r.Err = fn(ctx, inputs[i])
						if r.Err != nil && o.StopOnError {
							// Stop before this worker takes another item.
							cancel(&batchFailure{index: i, err: r.Err})
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
		p := BatchProgress{Total: n}
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

// batchFailure is the cause of a batch stopped by StopOnError.
type batchFailure struct {
	index int
	err   error
}

func (e *batchFailure) Error() string {
	return "item " + strconv.Itoa(e.index) + " failed: " + e.err.Error()
}

// batchStoppedError is the error of an item never run.
type batchStoppedError struct{ cause error }

func (e *batchStoppedError) Error() string {
	return "vllm: batch stopped before this item ran: " + e.cause.Error()
}

// Is matches ErrBatchStopped.
func (e *batchStoppedError) Is(target error) bool { return target == ErrBatchStopped }

// Unwrap returns the context's error when the caller's context ended (so
// errors.Is(err, context.Canceled) holds), nothing otherwise.
func (e *batchStoppedError) Unwrap() error {
	var bf *batchFailure
	if errors.As(e.cause, &bf) || e.cause == errIterationStopped {
		return nil
	}
	return e.cause
}

// CreateBatch sends the chat requests with bounded concurrency and returns
// the responses in input order (see RunBatch). opts may be nil.
func (s *ChatService) CreateBatch(ctx context.Context, reqs []*ChatRequest, opts *BatchOptions, ropts ...RequestOption) []BatchResult[*ChatResponse] {
	return RunBatch(ctx, reqs, func(ctx context.Context, r *ChatRequest) (*ChatResponse, error) {
		return s.Create(ctx, r, ropts...)
	}, opts)
}

// CreateBatch sends the completion requests with bounded concurrency and
// returns the responses in input order (see RunBatch). opts may be nil.
func (s *CompletionsService) CreateBatch(ctx context.Context, reqs []*CompletionRequest, opts *BatchOptions, ropts ...RequestOption) []BatchResult[*CompletionResponse] {
	return RunBatch(ctx, reqs, func(ctx context.Context, r *CompletionRequest) (*CompletionResponse, error) {
		return s.Create(ctx, r, ropts...)
	}, opts)
}
