package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

func sampleRandom(t *testing.T, n, in, out int) []Request {
	t.Helper()
	reqs, err := Random{InputLen: in, OutputLen: out}.Sample(n, SampleOptions{Seed: 1, RequestIDPrefix: "bench-x-"})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestRunSendsVLLMCompletionBodies checks the exact body and headers of
// each completion request against what vLLM's benchmark sends.
func TestRunSendsVLLMCompletionBodies(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	reqs := sampleRandom(t, 4, 16, 5)
	res, err := Run(context.Background(), Config{
		BaseURL: srv.RootURL(), Model: "m", Requests: reqs, IgnoreEOS: true,
		ExtraBody: map[string]any{"temperature": 0.5, "top_k": 10},
		Header:    http.Header{"X-Extra": {"1"}}, APIKey: "sk-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()
	if len(got) != 4 {
		t.Fatalf("server saw %d requests, want 4", len(got))
	}
	ids := map[string]bool{}
	for _, r := range got {
		if r.Method != "POST" || r.Path != "/v1/completions" {
			t.Errorf("request %s %s, want POST /v1/completions", r.Method, r.Path)
		}
		i := slices.IndexFunc(reqs, func(q Request) bool { return q.Prompt == r.JSON["prompt"] })
		if i < 0 {
			t.Fatalf("unknown prompt %v", r.JSON["prompt"])
		}
		want := map[string]any{
			"model": "m", "prompt": reqs[i].Prompt, "repetition_penalty": 1.0, "max_tokens": float64(5),
			"logprobs": nil, "stream": true, "stream_options": map[string]any{"include_usage": true},
			"ignore_eos": true, "temperature": 0.5, "top_k": float64(10),
		}
		if !reflect.DeepEqual(r.JSON, want) {
			t.Errorf("body %v\nwant %v", r.JSON, want)
		}
		if h := r.Header.Get("Authorization"); h != "Bearer sk-test" {
			t.Errorf("Authorization %q", h)
		}
		if h := r.Header.Get("X-Extra"); h != "1" {
			t.Errorf("X-Extra %q", h)
		}
		ids[r.Header.Get("X-Request-Id")] = true
	}
	if !reflect.DeepEqual(ids, map[string]bool{"bench-x-0": true, "bench-x-1": true, "bench-x-2": true, "bench-x-3": true}) {
		t.Errorf("request ids %v", ids)
	}
	if res.Completed != 4 || res.Failed != 0 {
		t.Fatalf("completed %d failed %d: %v", res.Completed, res.Failed, res.Errors)
	}
	if !reflect.DeepEqual(res.OutputLens, []int{5, 5, 5, 5}) || res.TotalOutputTokens != 20 {
		t.Errorf("output lens %v total %d, want 5 each from the usage report", res.OutputLens, res.TotalOutputTokens)
	}
	for i, text := range res.GeneratedTexts {
		if text == "" || len(res.ITLs[i]) != 4 {
			t.Errorf("request %d: text %q, %d gaps, want text and 4 gaps between 5 chunks", i, text, len(res.ITLs[i]))
		}
	}
}

func TestRunSendsVLLMChatBodies(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	reqs := sampleRandom(t, 2, 8, 3)
	res, err := Run(context.Background(), Config{BaseURL: srv.RootURL() + "/", Backend: "openai-chat", Model: "m", Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if r.Path != "/v1/chat/completions" {
			t.Errorf("path %s", r.Path)
		}
		msgs, _ := json.Marshal(r.JSON["messages"])
		if !strings.HasPrefix(string(msgs), `[{"content":[{"text":"`) || !strings.HasSuffix(string(msgs), `","type":"text"}],"role":"user"}]`) {
			t.Errorf("messages %s, want one user message of one text part", msgs)
		}
		if r.JSON["max_completion_tokens"] != float64(3) || r.JSON["max_tokens"] != nil || r.JSON["ignore_eos"] != nil {
			t.Errorf("body %v", r.JSON)
		}
	}
	if res.Completed != 2 || res.TotalOutputTokens != 6 || res.Backend != "openai-chat" {
		t.Errorf("completed %d, output tokens %d, backend %s", res.Completed, res.TotalOutputTokens, res.Backend)
	}
}

func TestRunCountsFailures(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.FailNext(2, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "overloaded"})
	res, err := Run(context.Background(), Config{BaseURL: srv.RootURL(), Model: "m", Requests: sampleRandom(t, 5, 4, 2), MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 3 || res.Failed != 2 {
		t.Fatalf("completed %d failed %d", res.Completed, res.Failed)
	}
	errs := res.FirstErrors(10)
	if len(errs) != 2 || errs[0] != "503 Service Unavailable: overloaded" {
		t.Errorf("errors %q", errs)
	}
	for i, e := range res.Errors {
		if (e != "") != (res.OutputLens[i] == 0) {
			t.Errorf("request %d: error %q, output len %d: a failed request counts no output", i, e, res.OutputLens[i])
		}
	}
	if res.TotalOutputTokens != 6 {
		t.Errorf("total output %d, want 6", res.TotalOutputTokens)
	}
}

func TestRunFailsOnErrorEvent(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.FailNext(1, vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 2, Message: "engine died"})
	res, err := Run(context.Background(), Config{BaseURL: srv.RootURL(), Model: "m", Requests: sampleRandom(t, 1, 4, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || !strings.Contains(res.Errors[0], "engine died") {
		t.Errorf("failed %d, errors %q", res.Failed, res.Errors)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	reqs := []Request{{Prompt: "x", OutputLen: 1}}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: "http://x", Requests: reqs, Backend: "tgi"}, `backend "tgi"`},
		{Config{BaseURL: "http://x", Requests: reqs, Backend: "openai-chat", Endpoint: "/v1/completions"}, "does not match"},
		{Config{BaseURL: "http://x", Requests: reqs, Endpoint: "/v1/chat/completions"}, "does not match"},
		{Config{BaseURL: "http://x"}, "no request"},
		{Config{BaseURL: "http://x", Requests: reqs, Metrics: []string{"ttfb"}}, `unknown metric "ttfb"`},
		{Config{BaseURL: "http://x", Requests: reqs, Arrival: Arrival{Rate: 2, RampUp: "linear", RampUpEndRPS: 3}}, "leave --request-rate out"},
	} {
		_, err := Run(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// sseTransport answers every request with a stream of tokens chunks, the
// first after ttft and each next after itl (on the bubble's clock), then a
// usage chunk and [DONE].
type sseTransport struct {
	ttft, itl time.Duration
	tokens    int
	mu        sync.Mutex
	inFlight  int
	peak      int
}

func (s *sseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	s.mu.Lock()
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	s.mu.Unlock()
	go func() {
		defer pw.Close()
		defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
		time.Sleep(s.ttft) // simulated time: TestRunMeasuresExactly runs in a synctest bubble
		for i := range s.tokens {
			if i > 0 {
				time.Sleep(s.itl)
			}
			fmt.Fprintf(pw, "data: {\"choices\":[{\"index\":0,\"text\":\"t%d \"}]}\n\n", i)
		}
		fmt.Fprintf(pw, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", s.tokens)
	}()
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: pr, Request: r}, nil
}

// TestRunMeasuresExactly runs against a server whose timing is exact on a
// simulated clock: every figure must come out exact.
func TestRunMeasuresExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &sseTransport{ttft: 100 * time.Millisecond, itl: 10 * time.Millisecond, tokens: 11}
		res, err := Run(context.Background(), Config{
			BaseURL: "http://sim", Model: "m", Requests: sampleRandom(t, 4, 4, 11), MaxConcurrency: 2,
			HTTPClient: &http.Client{Transport: tr},
			Metrics:    []string{MetricTTFT, MetricTPOT, MetricITL, MetricE2EL, MetricClientQueueTime},
			Goodput:    SLO{TTFT: 100 * time.Millisecond},
		})
		if err != nil {
			t.Fatal(err)
		}
		near := func(name string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		if tr.peak != 2 || res.MaxConcurrentRequests != 2 {
			t.Errorf("peak in flight %d (server) %d (reported), want 2", tr.peak, res.MaxConcurrentRequests)
		}
		near("duration", res.Duration, 0.4)
		for i := range 4 {
			near("ttft", res.TTFTs[i], 0.1)
			near("latency", res.Latencies[i], 0.2)
			if len(res.ITLs[i]) != 10 {
				t.Fatalf("%d gaps, want 10", len(res.ITLs[i]))
			}
			for _, g := range res.ITLs[i] {
				near("itl", g, 0.01)
			}
		}
		starts := slices.Sorted(slices.Values(res.StartTimes))
		queues := slices.Sorted(slices.Values(res.QueueTimes))
		for i, want := range []float64{0, 0, 0.2, 0.2} {
			near("start", starts[i], want)
			near("queue", queues[i], want)
		}
		near("mean ttft", res.Stat(MetricTTFT).Mean, 100)
		near("mean tpot", res.Stat(MetricTPOT).Mean, 10)
		near("p99 itl", res.Stat(MetricITL).Percentiles[0].Value, 10)
		near("median e2el", res.Stat(MetricE2EL).Median, 200)
		near("mean queue", res.Stat(MetricClientQueueTime).Mean, 100)
		near("goodput", *res.RequestGoodput, 10)
		near("request throughput", res.RequestThroughput, 10)
		near("output throughput", res.OutputThroughput, 110)
		if res.TotalInputTokens != 28 || res.TotalOutputTokens != 44 {
			t.Errorf("tokens in %d out %d, want the usage report's 28 and 44", res.TotalInputTokens, res.TotalOutputTokens)
		}
		near("peak tokens/s", res.MaxOutputTokensPerS, 44)
	})
}

// TestRunFollowsSchedule checks that requests leave exactly when the
// arrival schedule says, on a simulated clock.
func TestRunFollowsSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		arr := Arrival{Rate: 5, Burstiness: 0.5}
		reqs := sampleRandom(t, 30, 4, 1)
		offsets, _, err := arr.Schedule(len(reqs), 3)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Config{BaseURL: "http://sim", Model: "m", Requests: reqs, Arrival: arr, Seed: 3,
			HTTPClient: &http.Client{Transport: &sseTransport{tokens: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		for i, off := range offsets {
			if got := time.Duration(math.Round(res.StartTimes[i] * 1e9)); got != off {
				t.Errorf("request %d sent at %v, scheduled at %v", i, got, off)
			}
		}
		if res.RequestRate != 5 || res.Burstiness != 0.5 {
			t.Errorf("rate %v burstiness %v", res.RequestRate, res.Burstiness)
		}
	})
}
