package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// batchServer answers chat completions with the request's first message
// content, after delay; a message "fail400" gets a 400, "flaky" a 503 on
// every other attempt.
func batchServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	var flaky atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/chat/completions" || json.Unmarshal(b, &req) != nil || len(req.Messages) == 0 {
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"message":"no route","type":"NotFoundError","param":null,"code":404}}`)
			return
		}
		select {
		case <-time.After(delay): // real time: only the kill and interrupt tests, which run a real child process, give a delay
		case <-r.Context().Done():
			return
		}
		switch req.Messages[0].Content {
		case "fail400":
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"bad request","type":"BadRequestError","param":"messages","code":400}}`)
			return
		case "flaky":
			if flaky.Add(1)%2 == 1 {
				w.WriteHeader(503)
				io.WriteString(w, `{"error":{"message":"overloaded","type":"ServiceUnavailableError","param":null,"code":503}}`)
				return
			}
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}]}`,
			req.Model, "echo: "+req.Messages[0].Content)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func batchLine(id, content string) string {
	return fmt.Sprintf(`{"custom_id":%q,"method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":%q}]}}`, id, content)
}

// readOutput parses the output file: custom_id → line.
func readOutput(t *testing.T, path string) map[string]batchOutput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]batchOutput{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var o batchOutput
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("output line %d is not JSON: %q", n, sc.Text())
		}
		if _, dup := got[o.CustomID]; dup {
			t.Fatalf("output line %d repeats %q", n, o.CustomID)
		}
		got[o.CustomID] = o
	}
	return got
}

func TestBatchFormatsBadLinesAndErrors(t *testing.T) {
	srv, _ := batchServer(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	lines := []string{
		batchLine("a", "hello"),
		`{"custom_id":"b", "method":"POST"`, // line 2: invalid JSON
		batchLine("c", "fail400"),
		"",
		batchLine("a", "again"), // line 5: duplicate
		`{"custom_id":"d","method":"POST","url":"/v1/chat/completions"}`, // line 6: no body
		batchLine("e", "flaky"),
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	r := runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--backoff", "1ms", "--progress-interval", "0")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want 1 (bad lines): %s", r.code, r.stderr)
	}
	for _, want := range []string{"line 2: invalid JSON", `line 5: duplicate custom_id "a" (first on line 1)`, "line 6: body must be a JSON object"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	got := readOutput(t, out)
	if len(got) != 3 {
		t.Fatalf("output has %d lines, want 3: %v", len(got), got)
	}
	a := got["a"]
	if a.Response == nil || a.Response.StatusCode != 200 || !strings.HasPrefix(a.ID, "vllm-") ||
		!strings.HasPrefix(a.Response.RequestID, "vllm-batch-") || a.Error != nil ||
		!strings.Contains(string(a.Response.Body), `"content":"echo: hello"`) {
		t.Errorf("line a = %+v body %s", a, a.Response.Body)
	}
	c := got["c"]
	if c.Response == nil || c.Response.StatusCode != 400 || string(c.Response.Body) != "null" {
		t.Errorf("line c = %+v", c)
	}
	if errObj, _ := json.Marshal(c.Error); !strings.Contains(string(errObj), `"type":"BadRequestError"`) {
		t.Errorf("line c error = %s", errObj)
	}
	if e := got["e"]; e.Response == nil || e.Response.StatusCode != 200 {
		t.Errorf("flaky line e not retried to success: %+v", e)
	}
	errs, _ := os.ReadFile(filepath.Join(dir, "out.errors.jsonl"))
	if n := strings.Count(string(errs), "\n"); n != 3 || !strings.Contains(string(errs), `"line":5`) {
		t.Errorf("errors file:\n%s", errs)
	}
	// A rerun does nothing new and rewrites the errors file without
	// duplicating it.
	r = runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--progress-interval", "0")
	if len(readOutput(t, out)) != 3 || !strings.Contains(r.stderr, "0 written") {
		t.Errorf("rerun changed the output: %s", r.stderr)
	}
	errs2, _ := os.ReadFile(filepath.Join(dir, "out.errors.jsonl"))
	if string(errs2) != string(errs) {
		t.Errorf("errors file changed on rerun:\n%s", errs2)
	}
}

func TestBatchTruncatesTornLastLine(t *testing.T) {
	srv, calls := batchServer(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(batchLine("x", "1")+"\n"+batchLine("y", "2")+"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	done := `{"id":"vllm-1","custom_id":"x","response":{"status_code":200,"request_id":"r","body":{}},"error":null}` + "\n"
	os.WriteFile(out, []byte(done+`{"id":"vllm-2","custom_id":"y","resp`), 0o644)
	r := runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--progress-interval", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := readOutput(t, out)
	if len(got) != 2 || got["x"].ID != "vllm-1" || got["y"].Response.StatusCode != 200 || calls.Load() != 1 {
		t.Fatalf("output %v after %d calls", got, calls.Load())
	}
	// A bad line in the middle is not ours to repair.
	os.WriteFile(out, []byte("garbage\n"+done), 0o644)
	r = runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--progress-interval", "0")
	if r.code != exitFailure || !strings.Contains(r.stderr, "line 1 is not a batch output line") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestBatchSpreadsOverBaseURLsAndRetriesElsewhere(t *testing.T) {
	up, calls := batchServer(t, 0)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // connection refused from now on
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var sb strings.Builder
	for i := range 10 {
		sb.WriteString(batchLine(fmt.Sprintf("r%d", i), "x") + "\n")
	}
	os.WriteFile(in, []byte(sb.String()), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	r := runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", downURL+"/v1,"+up.URL+"/v1",
		"--retries", "3", "--backoff", "1ms", "--concurrency", "2", "--progress-interval", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := readOutput(t, out); len(got) != 10 || calls.Load() != 10 {
		t.Fatalf("%d results after %d calls to the live server", len(got), calls.Load())
	}
}

func TestBatchRefusesToWriteIntoItsInput(t *testing.T) {
	srv, calls := batchServer(t, 0)
	dir := t.TempDir()
	in := writeInput(t, dir, 3)
	before, _ := os.ReadFile(in)
	base := []string{"--base-url", srv.URL + "/v1", "--progress-interval", "0"}
	r := runCLI(t, "", nil, append([]string{"batch", in, "-o", in}, base...)...)
	if r.code != exitUsage || r.stderr != "vllm batch: "+in+" is the input file: results need a file of their own\n" {
		t.Fatalf("-o IN: exit %d %q", r.code, r.stderr)
	}
	// A copy of the input is not the input, but its lines are requests.
	cp := filepath.Join(dir, "copy.jsonl")
	os.WriteFile(cp, before, 0o644)
	r = runCLI(t, "", nil, append([]string{"batch", in, "-o", cp}, base...)...)
	if r.code != exitFailure || r.stderr != "vllm batch: "+cp+" line 1 is a request, not a result: give an output file of its own (-o)\n" {
		t.Fatalf("-o a copy of IN: exit %d %q", r.code, r.stderr)
	}
	after, _ := os.ReadFile(in)
	copied, _ := os.ReadFile(cp)
	if string(after) != string(before) || string(copied) != string(before) || calls.Load() != 0 {
		t.Fatalf("files changed or requests sent (%d)", calls.Load())
	}
}

func TestBatchLeavesNoStrayFiles(t *testing.T) {
	srv, _ := batchServer(t, 0)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	errs := filepath.Join(dir, "out.errors.jsonl")
	base := []string{"-o", out, "--base-url", srv.URL + "/v1", "--progress-interval", "0"}
	r := runCLI(t, "", nil, append([]string{"batch", filepath.Join(dir, "missing.jsonl")}, base...)...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("missing input: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("output file left behind for a missing input: %v", err)
	}
	// A stale errors file of an earlier run goes when no line is bad; none
	// is made for a clean run.
	os.WriteFile(errs, []byte(`{"line":1,"custom_id":"","error":"old"}`+"\n"), 0o644)
	in := writeInput(t, dir, 2)
	r = runCLI(t, "", nil, append([]string{"batch", in}, base...)...)
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(errs); !os.IsNotExist(err) {
		t.Fatalf("errors file exists after a run without bad lines: %v", err)
	}
	everyLineFrom(t, r.stderr, "vllm batch: ")
}

func TestBatchAlreadyDoneCountsTheFile(t *testing.T) {
	srv, calls := batchServer(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	// a is done, its line repeated; b is to do; z in the output is no request.
	os.WriteFile(in, []byte(batchLine("a", "1")+"\n"+batchLine("a", "again")+"\n"+batchLine("b", "2")+"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	os.WriteFile(out, []byte(`{"id":"vllm-1","custom_id":"a","response":{"status_code":200,"request_id":"r","body":{}},"error":null}`+"\n"+
		`{"id":"vllm-2","custom_id":"z","response":{"status_code":200,"request_id":"r","body":{}},"error":null}`+"\n"), 0o644)
	r := runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--progress-interval", "0")
	if r.code != exitFailure || calls.Load() != 1 {
		t.Fatalf("exit %d after %d calls: %q", r.code, calls.Load(), r.stderr)
	}
	want := "(1 were already done), 0 HTTP errors, 0 unfinished, 1 bad input lines (see " + filepath.Join(dir, "out.errors.jsonl") +
		"); " + out + " holds 1 results for no request of this input\n"
	if !strings.Contains(r.stderr, "vllm batch: 1 written in ") || !strings.HasSuffix(strings.Split(r.stderr, "\n")[1]+"\n", want) {
		t.Fatalf("summary:\n%s\nwant …%s", r.stderr, want)
	}
	everyLineFrom(t, r.stderr, "vllm batch: ")
}

func TestBatchErrorIsAlwaysAnObject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(b), "text"):
			w.WriteHeader(400)
			io.WriteString(w, "bad request, in plain text")
		case strings.Contains(string(b), "string"):
			w.WriteHeader(422)
			io.WriteString(w, `"a JSON string"`)
		default:
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}`)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(batchLine("text", "text")+"\n"+batchLine("string", "string")+"\n"+batchLine("json", "json")+"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	r := runCLI(t, "", nil, "batch", in, "-o", out, "--base-url", srv.URL+"/v1", "--progress-interval", "0")
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(out)
	for id, want := range map[string]string{
		"text":   `"error":{"message":"bad request, in plain text"}`,
		"string": `"error":{"message":"\"a JSON string\""}`, // the body as it came
		"json":   `"error":{"error":{"message":"bad","type":"BadRequestError","param":null,"code":400}}`,
	} {
		var line string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, `"custom_id":"`+id+`"`) {
				line = l
			}
		}
		if !strings.Contains(line, want) {
			t.Errorf("%s: %s\nwant %s", id, line, want)
		}
	}
}
