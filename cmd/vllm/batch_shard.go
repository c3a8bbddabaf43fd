package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// EnvJobCompletionIndex is the variable in which a Kubernetes Indexed Job
// gives each pod its index.
const EnvJobCompletionIndex = "JOB_COMPLETION_INDEX"

// shardSpec is --shard [INDEX/]COUNT: this run handles the input lines of
// shard INDEX of COUNT. The zero value is the whole input.
type shardSpec struct {
	index, count int
	fromEnv      bool // INDEX is to be read from JOB_COMPLETION_INDEX
	text         string
}

func (s *shardSpec) String() string { return s.text }

func (s *shardSpec) Type() string { return "[INDEX/]COUNT" }

func (s *shardSpec) Set(v string) error {
	idx, cnt, hasIdx := strings.Cut(v, "/")
	if !hasIdx {
		idx, cnt = "", idx
	}
	n, err := strconv.Atoi(cnt)
	if err != nil || n < 1 {
		return errors.New("COUNT must be a positive integer")
	}
	s.count, s.text, s.fromEnv = n, v, !hasIdx
	if hasIdx {
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= n {
			return fmt.Errorf("INDEX must be an integer from 0 to %d", n-1)
		}
		s.index = i
	}
	return nil
}

// resolve reads INDEX from JOB_COMPLETION_INDEX when --shard gave only COUNT.
func (s *shardSpec) resolve() error {
	if !s.fromEnv {
		return nil
	}
	v := os.Getenv(EnvJobCompletionIndex)
	i, err := strconv.Atoi(v)
	if v == "" || err != nil || i < 0 || i >= s.count {
		return usagef("--shard %d needs %s (set by an Indexed Job) from 0 to %d, got %q; or give --shard INDEX/%d",
			s.count, EnvJobCompletionIndex, s.count-1, v, s.count)
	}
	s.index = i
	return nil
}

// owns reports whether input line n, with its custom_id (empty when the line
// has none), belongs to this shard: by a hash of the custom_id, so that the
// split does not depend on the order of the lines, or by the line number for
// a line without one (it is reported as bad by exactly one shard).
func (s shardSpec) owns(n int, customID string) bool {
	if s.count <= 1 {
		return true
	}
	if customID == "" {
		return n%s.count == s.index
	}
	h := fnv.New64a()
	io.WriteString(h, customID)
	return h.Sum64()%uint64(s.count) == uint64(s.index)
}

const batchMergeAbout = `Joins the outputs of the shards of a batch (vllm batch --shard) into OUT, in
the order of the requests in IN.jsonl, after checking that every valid
request of IN.jsonl has exactly one result among them and that no result is
for a request IN.jsonl does not have. Nothing is written unless the check
passes; OUT is written whole (through a temporary file) or not at all.`

const batchMergeExamples = `  vllm batch merge requests.jsonl out-0.jsonl out-1.jsonl out-2.jsonl -o results.jsonl
  vllm batch merge requests.jsonl out-*.jsonl -o results.jsonl`

func newBatchMergeCmd(e *env) *cobra.Command {
	var out string
	cmd := newCommand("merge [flags] IN.jsonl SHARD-OUT.jsonl... -o OUT.jsonl", "join the outputs of batch shards in input order, checking each request has one result", batchMergeAbout, batchMergeExamples)
	cmd.Args = argCount(2, -1, "the input file and at least one shard output")
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		if out == "" {
			return usagef("--output OUT.jsonl is required")
		}
		if err := notTheInput(pos[0], out); err != nil {
			return err
		}
		for _, p := range pos[1:] {
			if err := notTheInput(p, out); err != nil {
				return usagef("%s is one of the shard outputs: the merge needs a file of its own", out)
			}
		}
		n, err := mergeBatch(pos[0], pos[1:], out)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "vllm batch merge: %d results from %d files written to %s in input order\n", n, len(pos)-1, out)
		return nil
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the merged output file (required)")
	return cmd
}

// mergeBatch writes the results of the shard outputs to out in the order of
// the requests in in, and returns their number.
func mergeBatch(in string, shards []string, out string) (int, error) {
	order, err := requestOrder(in)
	if err != nil {
		return 0, err
	}
	want := make(map[string]bool, len(order))
	for _, id := range order {
		want[id] = true
	}
	results := make(map[string][]byte, len(order))
	from := make(map[string]string, len(order))
	for _, path := range shards {
		if err := readResults(path, func(n int, id string, line []byte) error {
			if !want[id] {
				return fmt.Errorf("%s line %d: custom_id %q is not a request of %s", path, n, id, in)
			}
			if prev, dup := from[id]; dup {
				return fmt.Errorf("%s line %d: custom_id %q has a result in %s too", path, n, id, prev)
			}
			results[id], from[id] = line, path
			return nil
		}); err != nil {
			return 0, err
		}
	}
	var missing []string
	for _, id := range order {
		if results[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		list := strings.Join(missing[:min(len(missing), 5)], ", ")
		if len(missing) > 5 {
			list += ", …"
		}
		return 0, fmt.Errorf("%d of %d requests have no result (%s): rerun the shards that hold them", len(missing), len(order), list)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".merge-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	w := bufio.NewWriterSize(tmp, 1<<20)
	for _, id := range order {
		w.Write(results[id])
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return len(order), os.Rename(tmp.Name(), out)
}

// requestOrder returns the custom_ids of the valid requests of a batch
// input, in order (bad and repeated lines are left out, as vllm batch
// leaves them out of its output).
func requestOrder(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var order []string
	seen := make(map[string]int)
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if it, bad := parseBatchLine(n, line, seen); bad == "" {
				order = append(order, it.in.CustomID)
			}
		}
		if err == io.EOF {
			return order, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
}

// readResults hands each line of a batch output file to fn, without its
// newline; a line that is not a result is an error.
func readResults(path string, fn func(n int, customID string, line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var rec struct {
				CustomID string          `json:"custom_id"`
				Response json.RawMessage `json:"response"`
				Error    json.RawMessage `json:"error"`
			}
			if json.Unmarshal(trimmed, &rec) != nil || rec.CustomID == "" || (rec.Response == nil && rec.Error == nil) {
				return fmt.Errorf("%s line %d is not a batch result", path, n)
			}
			if ferr := fn(n, rec.CustomID, trimmed); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
	}
}
