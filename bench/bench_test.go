package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// These plain tests are short: they check the renderer against a real vLLM
// capture, and every row's exact output on small scenarios (a fidelity check
// of the clients as much as of the harness). The timed runs are the
// benchmarks (benchmark_test.go) and cmd/benchreport.

// TestRenderMatchesVLLMCapture renders the real capture's stream with the
// same functions the scenarios use and compares the bytes.
func TestRenderMatchesVLLMCapture(t *testing.T) {
	want, err := os.ReadFile("../testdata/fixtures/vllm-tool-call-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	b = appendDeltaChunk(b, "", []byte(roleDelta))
	b = appendDeltaChunk(b, "", toolStartDelta(nil, 0, "chatcmpl-tool-ca99dda515524c6abe47d1ea22813507", "run_command"))
	for _, frag := range []string{`{"command": "`, "ls", `"}`} {
		b = appendDeltaChunk(b, "", toolArgsDelta(nil, 0, frag))
	}
	b = appendFinishChunk(b, "", "tool_calls")
	b = append(b, done...)
	if !bytes.Equal(b, want) {
		t.Fatalf("rendered stream differs from the capture:\n got %s\nwant %s", b, want)
	}
}

func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             `"plain"`,
		`q"b\`:              `"q\"b\\"`,
		"nl\n\r\t\b\f":      `"nl\n\r\t\b\f"`,
		"\x00\x1f\x7f":      `"\u0000\u001f` + "\x7f" + `"`,
		"é日🙂 </script> & /": `"é日🙂 </script> & /"`,
	} {
		got := string(jsonstr.AppendPython(nil, in))
		if got != want {
			t.Errorf("jsonstr.AppendPython(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != in {
			t.Errorf("%s decodes to %q, %v; want %q", got, back, err, in)
		}
	}
}

// decodeReference reads a rendered SSE body with encoding/json alone, as an
// independent check of the renderer and of Verify.
func decodeReference(t *testing.T, body []byte) Result {
	t.Helper()
	type delta struct {
		Content          *string `json:"content"`
		Reasoning        *string `json:"reasoning"`
		ReasoningContent *string `json:"reasoning_content"`
		ToolCalls        []struct {
			Index    int    `json:"index"`
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	type chunk struct {
		Choices []struct {
			Delta        delta   `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
			Total      int `json:"total_tokens"`
		} `json:"usage"`
	}
	var res Result
	var content, reasoning strings.Builder
	var calls callAsm
	events := bytes.Split(body, []byte("\n\n"))
	if len(events[len(events)-1]) != 0 || string(events[len(events)-2]) != "data: [DONE]" {
		t.Fatalf("body does not end with data: [DONE] and a blank line")
	}
	for _, ev := range events[:len(events)-2] {
		payload, ok := bytes.CutPrefix(ev, []byte("data: "))
		if !ok || bytes.ContainsAny(payload, "\n\r") {
			t.Fatalf("malformed event %q", ev)
		}
		var c chunk
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		if c.Usage != nil {
			res.Usage = Usage{c.Usage.Prompt, c.Usage.Completion, c.Usage.Total}
		}
		for _, ch := range c.Choices {
			for _, p := range []struct {
				s *string
				b *strings.Builder
			}{{ch.Delta.Content, &content}, {ch.Delta.Reasoning, &reasoning}, {ch.Delta.ReasoningContent, &reasoning}} {
				if p.s != nil {
					p.b.WriteString(*p.s)
				}
			}
			for _, tc := range ch.Delta.ToolCalls {
				calls.add(tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
			}
			if ch.FinishReason != nil {
				res.FinishReason = *ch.FinishReason
			}
		}
	}
	res.Content, res.Reasoning, res.ToolCalls = content.String(), reasoning.String(), calls.result()
	return res
}

func smallScenarios() []*Scenario {
	return []*Scenario{
		ContentScenario(400),
		ReasoningScenario(400, "reasoning"),
		ReasoningScenario(400, "reasoning_content"),
		ToolCallsScenario(4, 60),
		ChatScenario(300),
	}
}

func TestScenariosDecodeToWhatTheyWant(t *testing.T) {
	for _, sc := range smallScenarios() {
		if !sc.Stream {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			if err := sc.Verify(decodeReference(t, sc.Body)); err != nil {
				t.Fatal(err)
			}
			// The text really contains what makes decoding hard (tool
			// arguments are JSON text: their newlines are escaped).
			all := sc.Want.Content + sc.Want.Reasoning
			hard := []string{`"`, `\`, "\n", "é", "日", "🙂"}
			if len(sc.Want.ToolCalls) > 0 {
				all = sc.Want.ToolCalls[0].Arguments
				hard = []string{`\"`, `\\`, `\n`, "é", "日", "🙂"}
			}
			for _, s := range hard {
				if !strings.Contains(all, s) {
					t.Errorf("scenario text has no %q", s)
				}
			}
		})
	}
	sc := ContentScenario(2000)
	if sc.Deltas != 2000 || sc.Want.Usage.CompletionTokens != 2000 {
		t.Fatalf("content scenario has %d deltas, usage %+v", sc.Deltas, sc.Want.Usage)
	}
	tools := ToolCallsScenario(4, 200)
	if n := bytes.Count(tools.Body, []byte(`"function":{"name":`)); n != 4 {
		t.Fatalf("tool scenario starts %d calls, want 4", n)
	}
	// The calls interleave: call 0's arguments are not all sent before
	// call 3 starts.
	first3 := bytes.Index(tools.Body, []byte(`"index":3,"function":{"name"`))
	last0 := bytes.LastIndex(tools.Body, []byte(`"index":0,"function":{"arguments"`))
	if first3 < 0 || last0 < first3 {
		t.Fatalf("tool calls do not interleave (call 3 starts at %d, call 0's last fragment at %d)", first3, last0)
	}
}

func TestVerifyCatchesDifferences(t *testing.T) {
	sc := ToolCallsScenario(4, 30)
	good := decodeReference(t, sc.Body)
	if err := sc.Verify(good); err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(r *Result){
		"content":   func(r *Result) { r.Content = "x" },
		"reasoning": func(r *Result) { r.Reasoning = "x" },
		"args":      func(r *Result) { r.ToolCalls[2].Arguments = r.ToolCalls[2].Arguments[:len(r.ToolCalls[2].Arguments)-1] },
		"id":        func(r *Result) { r.ToolCalls[1].ID = "other" },
		"order":     func(r *Result) { r.ToolCalls[0], r.ToolCalls[1] = r.ToolCalls[1], r.ToolCalls[0] },
		"missing":   func(r *Result) { r.ToolCalls = r.ToolCalls[:3] },
		"finish":    func(r *Result) { r.FinishReason = "stop" },
		"usage":     func(r *Result) { r.Usage.TotalTokens++ },
		"bytes":     func(r *Result) { r.Bytes = int64(len(sc.Body) - 1) },
	}
	for name, mutate := range mutations {
		r := good
		r.ToolCalls = append([]ToolCall(nil), good.ToolCalls...)
		mutate(&r)
		if err := sc.Verify(r); err == nil {
			t.Errorf("Verify accepts a result with a wrong %s", name)
		}
	}
	if err := sc.Verify(Result{Bytes: int64(len(sc.Body))}); err != nil {
		t.Errorf("Verify rejects the floor's byte count: %v", err)
	}
}

func TestServerChecksRequests(t *testing.T) {
	srv := NewServer(ContentScenario(10), ChatScenario(10))
	defer srv.Close()
	post := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for body, want := range map[string]int{
		`{"model":"content","stream":true,"stream_options":{"include_usage":true}}`: 200,
		`{"model":"content","stream":true}`:                                         400,
		`{"model":"content"}`:                                                       400,
		`{"model":"chat"}`:                                                          200,
		`{"model":"chat","stream":true,"stream_options":{"include_usage":true}}`:    400,
		`{"model":"nope"}`:                                                          404,
		`{`:                                                                         400,
	} {
		if got, b := post(body); got != want {
			t.Errorf("%s: status %d (%s), want %d", body, got, b, want)
		}
	}
}

// TestRowsExact runs every row on every small scenario and checks the result
// exactly; where a client cannot produce it, the test pins down how it fails.
func TestRowsExact(t *testing.T) {
	scs := smallScenarios()
	srv := NewServer(scs...)
	defer srv.Close()
	before := runtime.NumGoroutine()
	rows := NewRows(srv.URL)
	ctx := context.Background()
	for _, row := range rows {
		for _, sc := range scs {
			if row.StreamOnly && !sc.Stream {
				continue
			}
			t.Run(row.Name+"/"+sc.Name, func(t *testing.T) {
				res, err := row.Do(ctx, sc)
				if err != nil {
					t.Fatal(err)
				}
				err = sc.Verify(res)
				if reason, ok := Unsupported(row.Name, sc.Name); ok {
					// The limitation is real: the reasoning is lost,
					// everything else is right.
					if err == nil || !strings.Contains(err.Error(), "reasoning differs at byte 0 (lengths 0 and") {
						t.Fatalf("%s was expected to fail (%s), got %v", row.Name, reason, err)
					}
					res.Reasoning = sc.Want.Reasoning
					err = sc.Verify(res)
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
		row.Close()
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails if more goroutines than before are still running
// after a short wait (the servers' and transports' goroutines wind down
// asynchronously).
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // waiting for the real transport's connection goroutines to exit
	}
}

func TestMeasureAndReport(t *testing.T) {
	content, tools, chat := ContentScenario(100), ToolCallsScenario(4, 20), ChatScenario(100)
	probe := LongLineScenario(100 << 10)
	srv := NewServer(content, tools, chat, probe)
	defer srv.Close()
	rows := []*Row{NewFloorRow(srv.URL), NewGoOpenAIRow(srv.URL)}
	defer func() {
		for _, r := range rows {
			r.Close()
		}
	}()
	var log bytes.Buffer
	rep := Run(context.Background(), rows, ReportConfig{
		Rounds: 3, Streams: []*Scenario{content, tools}, Chat: chat, Workers: 4, PerWorker: 2,
		Probes: []*Scenario{probe}, Log: &log,
	})
	for _, sc := range []string{"content", "tools"} {
		for _, row := range []string{RowFloor, RowGoOpenAI} {
			if n := len(rep.Stream[sc][row]); n != 3 {
				t.Errorf("%s on %s: %d samples, want 3 (errors: %v)", row, sc, n, rep.StreamErr[sc][row])
			}
		}
	}
	if n := len(rep.Chat[RowGoOpenAI]); n != 3 {
		t.Errorf("chat: %d samples, want 3", n)
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	out := md.String()
	for _, want := range []string{
		"| content | floor |", "| tools | go-openai |", "| go-openai | ",
		fmt.Sprintf("line-100KiB (%d-byte line)", longestLine(probe.Body)), "| floor | ok |",
		"content stream at most 3× the floor: wall time cannot be judged",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestMeasureRejectsWrongResults(t *testing.T) {
	sc := ContentScenario(50)
	srv := NewServer(sc)
	defer srv.Close()
	row := NewFloorRow(srv.URL)
	defer row.Close()
	other := *sc
	other.Body = other.Body[:len(other.Body)-1] // the floor now reads one byte more than "rendered"
	if _, err := Measure(context.Background(), row, &other); err == nil {
		t.Fatal("Measure accepted a result that differs from the scenario")
	}
	if _, err := MeasureConcurrent(context.Background(), row, &other, 3, 2); err == nil {
		t.Fatal("MeasureConcurrent accepted a result that differs from the scenario")
	}
	if got := Probe(context.Background(), row, &other); !strings.HasPrefix(got, "fails: ") {
		t.Fatalf("Probe = %q", got)
	}
}

func TestMedianAndRotate(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	rows := []*Row{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	var got []string
	for _, r := range rotate(rows, 4) {
		got = append(got, r.Name)
	}
	if strings.Join(got, "") != "bca" {
		t.Errorf("rotate by 4 = %v", got)
	}
}

// TestLongLine100KiB: a 100 KiB SSE line (one tool-argument fragment) is
// read exactly by every row. The 40 MiB probe is BenchmarkLongLine (too
// heavy for the race-enabled test run).
func TestLongLine100KiB(t *testing.T) {
	sc := LongLineScenario(100 << 10)
	srv := NewServer(sc)
	defer srv.Close()
	for _, row := range NewRows(srv.URL) {
		if got := Probe(context.Background(), row, sc); got != "ok" {
			t.Errorf("%s: %s", row.Name, got)
		}
		row.Close()
	}
}

// TestPrefixRouting runs a small version of the prefix-routing benchmark and
// checks what does not depend on timing: every request succeeds, the usage
// and /metrics agree, and PrefixAffinity leaves less prefill work than
// round robin on the same workload.
func TestPrefixRouting(t *testing.T) {
	w := DefaultPrefixWorkload()
	w.Replicas, w.BlocksEach, w.Conversations, w.Concurrency, w.Turns = 3, 256, 12, 6, 4
	w.SystemWords, w.DocumentWords, w.MaxPause, w.PrefillPerTok, w.TTFT = 200, 300, 0, 0, 0
	rs, err := RunPrefix(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]PrefixResult{}
	for _, r := range rs {
		by[r.Strategy] = r
		if r.Errors > 0 || r.Requests != w.Conversations*w.Turns {
			t.Errorf("%s: %d of %d requests failed", r.Strategy, r.Errors, r.Requests)
		}
		if float64(r.CachedTokens) != r.MetricsHits || float64(r.PromptTokens) != r.MetricsQueries {
			t.Errorf("%s: usage says %d/%d cached/prompt tokens, /metrics %v/%v", r.Strategy, r.CachedTokens, r.PromptTokens, r.MetricsHits, r.MetricsQueries)
		}
	}
	pa, rr := by["PrefixAffinity"], by["RoundRobin"]
	if pa.Uncached() >= rr.Uncached() {
		t.Errorf("PrefixAffinity left %d uncached prompt tokens, round robin %d", pa.Uncached(), rr.Uncached())
	}
	var sb strings.Builder
	WritePrefixTable(&sb, rs)
	if strings.Count(sb.String(), "\n") != len(rs)+2 {
		t.Errorf("table:\n%s", sb.String())
	}
}

// ChatPaired divides each round's batch time by the floor's of the same
// round and takes the median of those ratios.
func TestChatPaired(t *testing.T) {
	ms := func(ds ...int) []Sample {
		var ss []Sample
		for _, d := range ds {
			ss = append(ss, Sample{Wall: time.Duration(d) * time.Millisecond, CPU: time.Duration(2*d) * time.Millisecond})
		}
		return ss
	}
	// Round 3 is slow for both rows: paired, its ratio is still 1.25.
	rep := &Report{Config: ReportConfig{Chat: &Scenario{Name: "chat"}, Workers: 1, PerWorker: 1, Rounds: 3},
		Rows: []string{RowFloor, RowOurs},
		Chat: map[string][]Sample{RowFloor: ms(10, 20, 40), RowOurs: ms(12, 30, 50)}}
	wall, cpu, ok := rep.ChatPaired(RowOurs)
	if !ok || wall != 1.25 || cpu != 1.25 {
		t.Fatalf("ChatPaired = %v, %v, %v; want 1.25 (the ratios are 1.2, 1.5, 1.25)", wall, cpu, ok)
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	if !strings.Contains(md.String(), "| vllm-go | 33 | 0.67 | — | — | 60ms | 1.25 | 1.25 |") ||
		!strings.Contains(md.String(), "non-streaming chat at most 1.25× the floor (median of the rounds' ratios): wall time **met** (1.25)") {
		t.Fatalf("report:\n%s", md.String())
	}
	rep.Chat[RowOurs] = rep.Chat[RowOurs][:2] // a row stopped by a failure
	if _, _, ok := rep.ChatPaired(RowOurs); ok {
		t.Fatal("ChatPaired paired rounds that do not match")
	}
}

// MeasureConcurrent sends every call with the context it is given, as
// BenchmarkChat64 does: a context the calls would share changes what a
// client does per call (its timeout).
func TestMeasureConcurrentPassesTheContext(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "caller")
	var other atomic.Int32
	sc := &Scenario{Name: "x", Body: []byte("x")}
	row := &Row{Name: "probe", Do: func(c context.Context, _ *Scenario) (Result, error) {
		if c != ctx {
			other.Add(1)
		}
		return Result{Bytes: 1}, nil
	}}
	if _, err := MeasureConcurrent(ctx, row, sc, 3, 2); err != nil || other.Load() != 0 {
		t.Fatalf("err %v, %d calls with another context", err, other.Load())
	}
}
