package vllmotel_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
	vllmotel "github.com/vllmgo/vllm/otel"
	"github.com/vllmgo/vllm/vllmtest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type harness struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	inst   *vllmotel.Instrumentation
}

// newHarness records the spans and metrics of an instrumentation with the
// default options.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// metrics collects the metrics by name.
func (h *harness) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != vllmotel.ScopeName {
			t.Fatalf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func attrOf(set attribute.Set, key string) string {
	v, ok := set.Value(attribute.Key(key))
	if !ok {
		return "<none>"
	}
	return v.Emit()
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return "<none>"
}

func TestChatSpansAndMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"))
		defer srv.Close()
		srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503})
		c := h.client(t, srv, vllm.WithHTTPClient(srv.Client()), vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
		resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("hello")}})
		if err != nil {
			t.Fatal(err)
		}

		spans := h.spans.Ended()
		if len(spans) != 3 {
			t.Fatalf("%d spans", len(spans))
		}
		a1, a2, callSpan := spans[0], spans[1], spans[2]
		if callSpan.Name() != "chat m" || callSpan.SpanKind() != trace.SpanKindClient || callSpan.Status().Code == codes.Error {
			t.Fatalf("call span %q kind %v status %v", callSpan.Name(), callSpan.SpanKind(), callSpan.Status())
		}
		host, _, _ := net.SplitHostPort(srv.Addr())
		for key, want := range map[string]string{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "vllm", "gen_ai.request.model": "m",
			"gen_ai.response.model": "m", "gen_ai.response.id": resp.ID,
			"gen_ai.usage.input_tokens":      strconv.Itoa(resp.Usage.PromptTokens),
			"gen_ai.usage.output_tokens":     strconv.Itoa(resp.Usage.CompletionTokens),
			"gen_ai.response.finish_reasons": "[\"stop\"]", "server.address": host, "vllm.attempts": "2",
		} {
			if got := spanAttr(callSpan, key); got != want {
				t.Errorf("call span %s = %s, want %s", key, got, want)
			}
		}
		for i, a := range []sdktrace.ReadOnlySpan{a1, a2} {
			if a.Name() != "POST" || a.Parent().SpanID() != callSpan.SpanContext().SpanID() || a.SpanContext().TraceID() != callSpan.SpanContext().TraceID() {
				t.Fatalf("attempt %d span %q parent %v", i+1, a.Name(), a.Parent())
			}
		}
		if spanAttr(a1, "http.response.status_code") != "503" || a1.Status().Code != codes.Error || spanAttr(a1, "error.type") != "503" ||
			spanAttr(a2, "http.response.status_code") != "200" || spanAttr(a2, "http.request.resend_count") != "1" ||
			!strings.HasSuffix(spanAttr(a2, "url.full"), "/v1/chat/completions") {
			t.Fatalf("attempt spans: %v / %v", a1.Attributes(), a2.Attributes())
		}
		// Each attempt carried its own span's trace context to the server.
		reqs := srv.Requests()
		for i, r := range reqs {
			tp := r.Header.Get("Traceparent")
			want := spans[i].SpanContext()
			if !strings.Contains(tp, want.TraceID().String()) || !strings.Contains(tp, want.SpanID().String()) {
				t.Fatalf("attempt %d traceparent %q, span %v", i+1, tp, want)
			}
		}

		ms := h.metrics(t)
		dur := ms[vllmotel.MetricOperationDuration].Data.(metricdata.Histogram[float64])
		if ms[vllmotel.MetricOperationDuration].Unit != "s" || len(dur.DataPoints) != 1 || dur.DataPoints[0].Count != 1 ||
			attrOf(dur.DataPoints[0].Attributes, "gen_ai.operation.name") != "chat" ||
			attrOf(dur.DataPoints[0].Attributes, "gen_ai.request.model") != "m" ||
			attrOf(dur.DataPoints[0].Attributes, "error.type") != "<none>" {
			t.Fatalf("duration %+v", dur)
		}
		tok := ms[vllmotel.MetricTokenUsage].Data.(metricdata.Histogram[int64])
		if ms[vllmotel.MetricTokenUsage].Unit != "{token}" || len(tok.DataPoints) != 2 {
			t.Fatalf("tokens %+v", tok)
		}
		for _, dp := range tok.DataPoints {
			want := int64(resp.Usage.PromptTokens)
			if attrOf(dp.Attributes, "gen_ai.token.type") == "output" {
				want = int64(resp.Usage.CompletionTokens)
			}
			if dp.Count != 1 || dp.Sum != want {
				t.Fatalf("token point %v: sum %d, want %d", dp.Attributes, dp.Sum, want)
			}
		}
		if _, ok := ms[vllmotel.MetricTimeToFirstChunk]; ok {
			t.Fatal("time to first chunk recorded for a non-streaming call")
		}
	})
}

func TestErrorCall(t *testing.T) {
	h := newHarness(t)
	_, c := h.serve(t)
	_, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "missing", Messages: []vllm.Message{vllm.User("x")}})
	if !errors.Is(err, vllm.ErrModelNotFound) {
		t.Fatalf("err %v", err)
	}
	spans := h.spans.Ended()
	callSpan := spans[len(spans)-1]
	if callSpan.Status().Code != codes.Error || spanAttr(callSpan, "error.type") != "404" || len(callSpan.Events()) == 0 {
		t.Fatalf("span status %v attrs %v", callSpan.Status(), callSpan.Attributes())
	}
	dur := h.metrics(t)[vllmotel.MetricOperationDuration].Data.(metricdata.Histogram[float64])
	if attrOf(dur.DataPoints[0].Attributes, "error.type") != "404" {
		t.Fatalf("duration attrs %v", dur.DataPoints[0].Attributes)
	}
}

// TestStreamMetrics drives the hooks as the library does for a stream: call
// start, events (the first without text), end with usage.
func TestStreamMetrics(t *testing.T) {
	h := newHarness(t)
	hooks := h.inst.Hooks()
	start := time.Now().Add(-time.Second)
	call := &vllm.CallInfo{Op: "chat completion", Method: "POST", Path: "/v1/chat/completions", Model: "m", Stream: true, Start: start}
	ctx := hooks.OnCallStart(context.Background(), call)
	for _, ev := range []vllm.StreamProgress{
		{Token: false, Events: 1, Tokens: 0, Elapsed: 50 * time.Millisecond},
		{Token: true, Events: 2, Tokens: 1, Elapsed: 100 * time.Millisecond},
		{Token: true, Events: 3, Tokens: 2, Elapsed: 150 * time.Millisecond, Gap: 50 * time.Millisecond},
		{Token: true, Events: 4, Tokens: 3, Elapsed: 400 * time.Millisecond, Gap: 250 * time.Millisecond},
		{Token: false, Events: 5, Tokens: 3, Elapsed: 410 * time.Millisecond},
	} {
		hooks.OnStreamEvent(ctx, call, ev)
	}
	hooks.OnCallEnd(ctx, call, &vllm.CallResult{Attempts: 1, StatusCode: 200, Endpoint: "http://h:8000/v1", Duration: time.Second,
		Usage: &vllm.Usage{PromptTokens: 5, CompletionTokens: 3}, Events: 5, TokenEvents: 3, TimeToFirstToken: 100 * time.Millisecond})
	ms := h.metrics(t)
	first := ms[vllmotel.MetricTimeToFirstChunk].Data.(metricdata.Histogram[float64])
	per := ms[vllmotel.MetricTimePerChunk].Data.(metricdata.Histogram[float64])
	if len(first.DataPoints) != 1 || first.DataPoints[0].Count != 1 || !near(first.DataPoints[0].Sum, 0.1) {
		t.Fatalf("first chunk %+v", first.DataPoints)
	}
	if len(per.DataPoints) != 1 || per.DataPoints[0].Count != 2 || !near(per.DataPoints[0].Sum, 0.3) {
		t.Fatalf("per chunk %+v", per.DataPoints)
	}
	spans := h.spans.Ended()
	if len(spans) != 1 || spanAttr(spans[0], "gen_ai.response.time_to_first_chunk") != "0.1" || spanAttr(spans[0], "server.port") != "8000" ||
		spanAttr(spans[0], "vllm.stream.events") != "5" || !spans[0].EndTime().Equal(start.Add(time.Second)) {
		t.Fatalf("span %v end %v", spans[0].Attributes(), spans[0].EndTime())
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestStreamEndToEnd streams a chat completion from vllmtest through an
// instrumented client.
func TestStreamEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithTTFT(20*time.Millisecond))
		defer srv.Close()
		srv.Enqueue(vllmtest.Reply{Content: "a b c d", PromptTokens: 4, CompletionTokens: 5})
		c := h.client(t, srv, vllm.WithHTTPClient(srv.Client()))
		s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
		collect(t, s, err)
		ms := h.metrics(t)
		first := ms[vllmotel.MetricTimeToFirstChunk].Data.(metricdata.Histogram[float64])
		per := ms[vllmotel.MetricTimePerChunk].Data.(metricdata.Histogram[float64])
		if len(first.DataPoints) != 1 || first.DataPoints[0].Count != 1 || first.DataPoints[0].Sum != 0.02 {
			t.Fatalf("first chunk %+v", first.DataPoints)
		}
		if len(per.DataPoints) != 1 || per.DataPoints[0].Count < 3 {
			t.Fatalf("per chunk %+v", per.DataPoints)
		}
		tok := ms[vllmotel.MetricTokenUsage].Data.(metricdata.Histogram[int64])
		var sum int64
		for _, dp := range tok.DataPoints {
			sum += dp.Sum
		}
		if sum != 9 {
			t.Fatalf("token usage sum %d, want 4+5", sum)
		}
		spans := h.spans.Ended()
		callSpan := spans[len(spans)-1]
		if callSpan.Name() != "chat m" || spanAttr(callSpan, "gen_ai.response.time_to_first_chunk") == "<none>" ||
			spanAttr(callSpan, "gen_ai.usage.output_tokens") != "5" || callSpan.Status().Code == codes.Error {
			t.Fatalf("span %q %v", callSpan.Name(), callSpan.Attributes())
		}
	})
}
