package main

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
)

func init() { register(newBatchCmd) }

const batchAbout = `Runs every request of IN.jsonl, the OpenAI/vLLM batch input format, one JSON
object per line:
  {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
and appends one line per request to OUT.jsonl, in the batch output format:
  {"id": "...", "custom_id": "r1", "response": {"status_code": 200,
   "request_id": "...", "body": {...}}, "error": null}
Output lines follow completion order, not input order.

A request the server rejects (an HTTP error that retrying cannot cure, e.g.
400) is written with its status and the server's error object in "error". A
request that still fails after --retries retries of a retryable error (timeout,
connection failure, 429, 5xx) is not written: rerun the same command to retry
it.

Resumable: each line is appended whole and synced to disk, so the command may
be stopped at any moment (Ctrl-C, kill -9, a crash) and run again with the
same arguments: it reads the ids already in OUT.jsonl, drops a torn last line,
and runs only what is missing, so OUT.jsonl ends with every request exactly
once.

Bad input lines (invalid JSON, missing custom_id, url or body, duplicate
custom_id) are reported on stderr with their line number and written to the
errors file; they never stop the rest. The exit status is 0 when every valid
request is in OUT.jsonl and no input line was bad, 1 otherwise.

With several base URLs (--base-url a,b,c) requests are spread over them, and
a retry goes to the next one.

--shard INDEX/COUNT runs only the requests of shard INDEX (by a hash of their
custom_id), each shard resumable in its own output; --shard COUNT takes INDEX
from JOB_COMPLETION_INDEX, as set by a Kubernetes Indexed Job. "vllm batch
merge" joins the shard outputs in input order (see docs/cli.md for a Job).`

const batchExamples = `  vllm batch requests.jsonl -o results.jsonl
  vllm batch requests.jsonl -o results.jsonl --concurrency 64 --retries 5
  vllm batch in.jsonl -o out.jsonl --base-url http://gpu-1:8000/v1,http://gpu-2:8000/v1
  vllm batch in.jsonl -o out-2.jsonl --shard 2/8     # one of 8 shards
  vllm batch merge in.jsonl out-*.jsonl -o out.jsonl
  # the input format:
  echo '{"custom_id":"q1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"Hi"}]}}' > in.jsonl`

// batchInput is one line of the input file.
type batchInput struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// batchOutput is one line of the output file.
type batchOutput struct {
	ID       string         `json:"id"`
	CustomID string         `json:"custom_id"`
	Response *batchResponse `json:"response"`
	Error    any            `json:"error"`
}

type batchResponse struct {
	StatusCode int             `json:"status_code"`
	RequestID  string          `json:"request_id"`
	Body       json.RawMessage `json:"body"`
}

// batchItem is a valid input line to run.
type batchItem struct {
	line int
	in   batchInput
}

type batchConfig struct {
	in, out, errs string
	concurrency   int
	retries       int
	backoff       time.Duration
	progressEvery time.Duration
	shard         shardSpec
}

func newBatchCmd(e *env) *cobra.Command {
	var g globals
	var cfg batchConfig
	cmd := newCommand("batch [flags] IN.jsonl -o OUT.jsonl", "run an OpenAI/vLLM batch file (JSONL), resumably", batchAbout, batchExamples)
	cmd.Args = argCount(1, 1, "exactly one input file")
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		cfg.in = pos[0]
		return runBatch(cmd.Context(), e, &g, cfg)
	}
	fs := cmd.Flags()
	g.register(fs, flagsServer)
	fs.StringVarP(&cfg.out, "output", "o", "", "output file (required; appended to, resumable)")
	fs.StringVar(&cfg.errs, "errors", "", "file for bad input lines (default OUT with .errors.jsonl)")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "requests in flight at once")
	fs.IntVar(&cfg.retries, "retries", 3, "retries of a request that failed with a retryable error")
	fs.DurationVar(&cfg.backoff, "backoff", 500*time.Millisecond, "first retry delay (doubles each retry, with jitter)")
	fs.DurationVar(&cfg.progressEvery, "progress-interval", 10*time.Second, "how often to print a progress line when stderr is not a terminal")
	fs.Var(&cfg.shard, "shard", "run only shard INDEX of COUNT (INDEX defaults to $JOB_COMPLETION_INDEX: --shard COUNT)")
	cmd.AddCommand(newBatchMergeCmd(e))
	return cmd
}

func runBatch(ctx context.Context, e *env, g *globals, cfg batchConfig) error {
	switch {
	case cfg.out == "":
		return usagef("--output OUT.jsonl is required")
	case cfg.concurrency < 1:
		return usagef("--concurrency must be at least 1")
	case cfg.retries < 0:
		return usagef("--retries must not be negative")
	}
	if err := cfg.shard.resolve(); err != nil {
		return err
	}
	if cfg.errs == "" {
		cfg.errs = strings.TrimSuffix(cfg.out, ".jsonl") + ".errors.jsonl"
	}
	if err := notTheInput(cfg.in, cfg.out, cfg.errs); err != nil {
		return err
	}
	c, err := g.client(
		vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: cfg.retries + 1, BaseDelay: cfg.backoff, MaxDelay: 30 * time.Second}),
	)
	if err != nil {
		return err
	}
	defer c.Close()
	b := &batchRun{e: e, cfg: cfg, c: c}
	return b.run(ctx)
}

type batchRun struct {
	e   *env
	cfg batchConfig
	c   *vllm.Client

	out     *os.File
	outMu   sync.Mutex
	errFile *os.File

	total, already             int
	done, httpErrors, unfinish atomic.Int64
	badLines                   atomic.Int64
	errMu                      sync.Mutex
}

func (b *batchRun) run(ctx context.Context) error {
	// The input first: a missing input leaves no output file behind.
	in, err := os.Open(b.cfg.in)
	if err != nil {
		return err
	}
	defer in.Close()
	done, err := recoverOutput(b.cfg.out)
	if err != nil {
		return err
	}
	b.out, err = os.OpenFile(b.cfg.out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer b.out.Close()
	// The errors file is rewritten on every run (the same bad lines are
	// found again, so it never holds duplicates) and exists only when a
	// line is bad.
	if err := os.Remove(b.cfg.errs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	defer func() {
		if b.errFile != nil {
			b.errFile.Close()
		}
	}()

	items := make(chan batchItem)
	var wg sync.WaitGroup
	for range b.cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				b.runItem(ctx, it)
			}
		}()
	}
	// Count the work first so that progress has a total.
	var foreign int
	b.total, b.already, foreign = countInput(b.cfg.in, done, b.cfg.shard)
	start := time.Now()
	stopProgress := b.startProgress(start)
	readErr := b.readInput(ctx, in, done, items)
	close(items)
	wg.Wait()
	stopProgress()

	bad := ""
	if b.badLines.Load() > 0 {
		bad = fmt.Sprintf(", %d bad input lines (see %s)", b.badLines.Load(), b.cfg.errs)
	}
	if foreign > 0 {
		bad += fmt.Sprintf("; %s holds %d results for no request of this input", b.cfg.out, foreign)
	}
	fmt.Fprintf(b.e.stderr, "vllm batch: %d written in %s (%d were already done), %d HTTP errors, %d unfinished%s\n",
		b.done.Load(), time.Since(start).Round(time.Millisecond), b.already, b.httpErrors.Load(), b.unfinish.Load(), bad)
	switch {
	case readErr != nil:
		return readErr
	case ctx.Err() != nil:
		return fmt.Errorf("%w; run the same command again to resume", errInterrupted)
	case b.unfinish.Load() > 0:
		return fmt.Errorf("%d requests unfinished after retries; run the same command again to resume", b.unfinish.Load())
	case b.badLines.Load() > 0:
		return fmt.Errorf("%d bad input lines, listed in %s", b.badLines.Load(), b.cfg.errs)
	}
	return nil
}

// readInput validates each line and hands the ones not yet done to the
// workers, reporting bad lines.
func (b *batchRun) readInput(ctx context.Context, in io.Reader, done map[string]bool, items chan<- batchItem) error {
	r := bufio.NewReaderSize(in, 1<<20)
	seen := make(map[string]int)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			it, bad := parseBatchLine(n, line, seen)
			switch {
			case !b.cfg.shard.owns(n, it.in.CustomID):
			case bad != "":
				b.reportBad(n, it.in.CustomID, bad)
			case done[it.in.CustomID]:
			default:
				select {
				case items <- it:
				case <-ctx.Done():
					return nil
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", b.cfg.in, err)
		}
	}
}

// parseBatchLine validates one input line; bad is the reason it is rejected.
func parseBatchLine(n int, line []byte, seen map[string]int) (it batchItem, bad string) {
	it.line = n
	if err := json.Unmarshal(line, &it.in); err != nil {
		return it, "invalid JSON: " + err.Error()
	}
	in := &it.in
	switch {
	case in.CustomID == "":
		return it, "missing custom_id"
	case in.URL == "" || !strings.HasPrefix(in.URL, "/"):
		return it, "missing or relative url"
	case in.Method != "" && in.Method != "POST":
		return it, fmt.Sprintf("method %q is not supported (only POST)", in.Method)
	case len(bytes.TrimSpace(in.Body)) == 0 || bytes.TrimSpace(in.Body)[0] != '{':
		return it, "body must be a JSON object"
	}
	if first, dup := seen[in.CustomID]; dup {
		return it, fmt.Sprintf("duplicate custom_id %q (first on line %d)", in.CustomID, first)
	}
	seen[in.CustomID] = n
	return it, ""
}

func (b *batchRun) reportBad(line int, customID, reason string) {
	b.badLines.Add(1)
	fmt.Fprintf(b.e.stderr, "vllm batch: %s line %d: %s\n", b.cfg.in, line, reason)
	rec, _ := json.Marshal(map[string]any{"line": line, "custom_id": customID, "error": reason})
	b.errMu.Lock()
	defer b.errMu.Unlock()
	if b.errFile == nil {
		f, err := os.Create(b.cfg.errs)
		if err != nil {
			fmt.Fprintf(b.e.stderr, "vllm batch: %v\n", err)
			return
		}
		b.errFile = f
	}
	b.errFile.Write(append(rec, '\n'))
}

// runItem sends one request (the client retries retryable failures, on
// another base URL when there are several) and appends its result.
func (b *batchRun) runItem(ctx context.Context, it batchItem) {
	body, err := sendBatchRequest(ctx, b.c, &it.in)
	out := batchOutput{ID: "vllm-" + randomHex(16), CustomID: it.in.CustomID}
	var ae *vllm.APIError
	switch {
	case err == nil:
		out.Response = &batchResponse{StatusCode: 200, RequestID: "vllm-batch-" + randomHex(16), Body: body}
	case errors.As(err, &ae) && !vllm.IsRetryable(err):
		b.httpErrors.Add(1)
		out.Response = &batchResponse{StatusCode: ae.StatusCode, RequestID: ae.RequestID}
		if out.Response.RequestID == "" {
			out.Response.RequestID = "vllm-batch-" + randomHex(16)
		}
		out.Error = batchErrorObject(ae)
	default:
		// Cancelled, or still failing after the retries: not written, so
		// that a rerun tries again.
		b.unfinish.Add(1)
		if ctx.Err() == nil {
			fmt.Fprintf(b.e.stderr, "vllm batch: %s (line %d): %s\n", it.in.CustomID, it.line, oneLine(strings.TrimPrefix(err.Error(), "vllm: ")))
		}
		return
	}
	if werr := b.append(&out); werr != nil {
		b.unfinish.Add(1)
		fmt.Fprintf(b.e.stderr, "vllm batch: writing %s: %v\n", b.cfg.out, werr)
		return
	}
	b.done.Add(1)
}

// sendBatchRequest sends the body of an input line to its url: "/v1/…"
// relative to the base URL, other paths ("/score", "/rerank") to the root.
func sendBatchRequest(ctx context.Context, c *vllm.Client, in *batchInput) ([]byte, error) {
	if rest, ok := strings.CutPrefix(in.URL, "/v1/"); ok {
		return c.Raw(ctx, "POST", "/"+rest, in.Body)
	}
	return c.RawRoot(ctx, "POST", in.URL, in.Body)
}

// append writes one output line whole, then syncs it to disk.
func (b *batchRun) append(out *batchOutput) error {
	line, err := json.Marshal(out)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	b.outMu.Lock()
	defer b.outMu.Unlock()
	if _, err := b.out.Write(line); err != nil {
		return err
	}
	return b.out.Sync()
}

// recoverOutput reads the ids already in the output file. A last line that
// is incomplete (a write cut off by a crash) is truncated away; a bad line
// elsewhere is an error, since the file is then not ours to repair.
func recoverOutput(path string) (map[string]bool, error) {
	done := make(map[string]bool)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64 // offset after the last good line
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		complete := err == nil
		var rec struct {
			CustomID string          `json:"custom_id"`
			Response json.RawMessage `json:"response"`
			Error    json.RawMessage `json:"error"`
			URL      string          `json:"url"`
			Body     json.RawMessage `json:"body"`
		}
		valid := complete && json.Unmarshal(line, &rec) == nil && rec.CustomID != ""
		if valid && rec.Response == nil && rec.Error == nil && (rec.URL != "" || rec.Body != nil) {
			return nil, fmt.Errorf("%s line %d is a request, not a result: give an output file of its own (-o)", path, n)
		}
		if !valid {
			if _, perr := r.Peek(1); perr == io.EOF || !complete {
				// The torn last line of an interrupted write.
				if terr := f.Truncate(good); terr != nil {
					return nil, terr
				}
				break
			}
			return nil, fmt.Errorf("%s line %d is not a batch output line; refusing to resume into it", path, n)
		}
		if done[rec.CustomID] {
			return nil, fmt.Errorf("%s line %d repeats custom_id %q", path, n, rec.CustomID)
		}
		done[rec.CustomID] = true
		good += int64(len(line))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return done, nil
}

// countInput counts the non-empty input lines of the shard, the distinct
// custom_ids among them already in the output (done), and the ids of done
// that are in no line of the input (foreign).
func countInput(path string, done map[string]bool, shard shardSpec) (total, already, foreign int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	inInput := make(map[string]bool)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rec struct {
				CustomID string `json:"custom_id"`
			}
			json.Unmarshal(line, &rec)
			if shard.owns(n, rec.CustomID) {
				total++
			}
			if rec.CustomID != "" && done[rec.CustomID] && !inInput[rec.CustomID] {
				already++
			}
			inInput[rec.CustomID] = true
		}
		if err != nil {
			return total, already, len(done) - already
		}
	}
}

// batchErrorObject is the "error" of a result line: always an object, as
// in vLLM's batch output: the server's error body when it is a JSON object,
// else {"message": …}.
func batchErrorObject(ae *vllm.APIError) any {
	body := bytes.TrimSpace(ae.Body)
	if len(body) > 0 && body[0] == '{' && json.Valid(body) {
		return json.RawMessage(body)
	}
	msg := ae.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", ae.StatusCode)
	}
	return map[string]string{"message": msg}
}

// notTheInput refuses an output or errors file that is the input file.
func notTheInput(in string, outs ...string) error {
	inInfo, err := os.Stat(in)
	if err != nil {
		return nil // reported when the input is opened
	}
	for _, out := range outs {
		if outInfo, err := os.Stat(out); err == nil && os.SameFile(inInfo, outInfo) {
			return usagef("%s is the input file: results need a file of their own", out)
		}
	}
	return nil
}

// startProgress reports progress on stderr until the returned stop is called.
func (b *batchRun) startProgress(start time.Time) (stop func()) {
	bar := newProgress(b.e.stderr, "vllm batch", b.cfg.progressEvery)
	return bar.start(func() (done, total int, extra string) {
		// Every input line counts once handled: written, bad, or given up.
		d := int(b.done.Load()+b.badLines.Load()+b.unfinish.Load()) + b.already
		return d, b.total, fmt.Sprintf("%d HTTP errors, %d bad lines", b.httpErrors.Load(), b.badLines.Load())
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}
