package vllmotel_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	vllmotel "github.com/vllmgo/vllm/otel"
	"github.com/vllmgo/vllm/vllmtest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// newHarnessWith records the spans and metrics of an instrumentation with
// opts, its tracer provider made with tpOpts too.
func newHarnessWith(t *testing.T, tpOpts []sdktrace.TracerProviderOption, opts ...vllmotel.Option) *harness {
	t.Helper()
	h := &harness{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(h.spans)}, tpOpts...)...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		tp.Shutdown(context.Background())
		mp.Shutdown(context.Background())
	})
	inst, err := vllmotel.New(append([]vllmotel.Option{vllmotel.WithTracerProvider(tp), vllmotel.WithMeterProvider(mp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.inst = inst
	return h
}

func (h *harness) client(t *testing.T, srv *vllmtest.Server, opts ...vllm.Option) *vllm.Client {
	t.Helper()
	c, err := vllm.New(srv.URL, append(h.inst.Options(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serve starts a vllmtest server serving model "m" (with opts) and returns
// it and a client instrumented by h; both are closed when the test ends.
func (h *harness) serve(t *testing.T, opts ...vllmtest.Option) (*vllmtest.Server, *vllm.Client) {
	t.Helper()
	srv := vllmtest.NewServer(append([]vllmtest.Option{vllmtest.WithModel("m")}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, h.client(t, srv)
}

// callSpans returns the ended spans that are GenAI call spans (those with
// gen_ai.operation.name).
func (h *harness) callSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if spanAttr(s, "gen_ai.operation.name") != "<none>" {
			out = append(out, s)
		}
	}
	return out
}

// point is a metric data point: its attributes and its sum (or value).
type point struct {
	attrs attribute.Set
	sum   float64
}

// points returns the data points of a float64 or int64 histogram, or of
// an int64 sum.
func points(t *testing.T, m metricdata.Metrics) []point {
	t.Helper()
	var out []point
	switch d := m.Data.(type) {
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, point{dp.Attributes, dp.Sum})
		}
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, point{dp.Attributes, float64(dp.Sum)})
		}
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, point{dp.Attributes, float64(dp.Value)})
		}
	default:
		t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
	}
	return out
}

func decodeRequest[T any](t *testing.T, js string) *T {
	t.Helper()
	var r T
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// collect reads stream s, which Stream returned with err, to its end and
// returns the response it carried, failing the test on either error.
func collect[S interface{ Collect() (R, error) }, R any](t *testing.T, s S, err error) R {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Collect()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Item 1: a streamed chat (tool calls included) records the response model,
// id and finish reasons on its span and metrics, as a non-streamed one does;
// the chunk metrics, recorded while the stream runs, name the model too.
func TestStreamRecordsResponse(t *testing.T) {
	h := newHarness(t)
	srv, c := h.serve(t)
	srv.Enqueue(vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}})
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("weather?")}})
	resp := collect(t, s, err)
	spans := h.callSpans()
	if len(spans) != 1 {
		t.Fatalf("%d call spans", len(spans))
	}
	for key, want := range map[string]string{
		"gen_ai.response.model": "m", "gen_ai.response.id": resp.ID,
		"gen_ai.response.finish_reasons": `["tool_calls"]`, "gen_ai.request.stream": "true",
	} {
		if got := spanAttr(spans[0], key); got != want {
			t.Errorf("span %s = %s, want %s", key, got, want)
		}
	}
	ms := h.metrics(t)
	for _, name := range []string{vllmotel.MetricOperationDuration, vllmotel.MetricTokenUsage,
		vllmotel.MetricTimeToFirstChunk, vllmotel.MetricTimePerChunk} {
		pts := points(t, ms[name])
		if len(pts) == 0 {
			t.Fatalf("%s: no points", name)
		}
		for _, p := range pts {
			if attrOf(p.attrs, "gen_ai.response.model") != "m" {
				t.Errorf("%s point %v lacks gen_ai.response.model", name, p.attrs)
			}
		}
	}
}

// Item 2: the Responses API is the chat operation, and its usage
// (input_tokens/output_tokens) is recorded, streamed or not; with
// reasoning, the cache-read and reasoning token counts are on the span.
func TestResponsesAPI(t *testing.T) {
	h := newHarness(t)
	_, c := h.serve(t, vllmtest.WithReasoning(4))
	r, err := c.Responses.Create(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "hi"})
	final := collect(t, s, err)
	usages := []*vllm.ResponseUsage{r.Usage, final.Usage}
	spans := h.callSpans()
	if len(spans) != 2 {
		t.Fatalf("%d call spans", len(spans))
	}
	var in, out int64
	for i, sp := range spans {
		u := usages[i]
		if u == nil || u.InputTokens == 0 || u.OutputTokens == 0 || u.OutputTokensDetails == nil || u.OutputTokensDetails.ReasoningTokens == 0 {
			t.Fatalf("the server sent usage %+v", u)
		}
		in, out = in+int64(u.InputTokens), out+int64(u.OutputTokens)
		for key, want := range map[string]string{
			"gen_ai.operation.name": "chat", "gen_ai.response.model": "m",
			"gen_ai.usage.input_tokens":            strconv.Itoa(u.InputTokens),
			"gen_ai.usage.output_tokens":           strconv.Itoa(u.OutputTokens),
			"gen_ai.usage.cache_read.input_tokens": strconv.Itoa(u.InputTokensDetails.CachedTokens),
			"gen_ai.usage.reasoning.output_tokens": strconv.Itoa(u.OutputTokensDetails.ReasoningTokens),
			"gen_ai.request.stream":                strconv.FormatBool(i == 1),
		} {
			if got := spanAttr(sp, key); got != want {
				t.Errorf("span %d (%s) %s = %s, want %s", i, sp.Name(), key, got, want)
			}
		}
		if sp.Name() != "chat m" {
			t.Errorf("span name %q", sp.Name())
		}
	}
	tok := h.metrics(t)[vllmotel.MetricTokenUsage].Data.(metricdata.Histogram[int64])
	sums := map[string]int64{}
	for _, dp := range tok.DataPoints {
		sums[attrOf(dp.Attributes, "gen_ai.token.type")] += dp.Sum
	}
	if sums["input"] != in || sums["output"] != out {
		t.Fatalf("token usage %v, want input %d output %d", sums, in, out)
	}
}

// Item 3: a stream the caller closes early is not an error.
func TestStreamClosedEarlyIsNotAnError(t *testing.T) {
	h := newHarness(t)
	srv, c := h.serve(t)
	srv.Enqueue(vllmtest.Reply{Content: "one two three four five six seven"})
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == vllm.EventContent {
			break // the caller has what it wanted
		}
	}
	spans := h.callSpans()
	if len(spans) != 1 {
		t.Fatalf("%d call spans", len(spans))
	}
	sp := spans[0]
	if sp.Status().Code == codes.Error || spanAttr(sp, "error.type") != "<none>" || len(sp.Events()) != 0 ||
		spanAttr(sp, "vllm.stream.closed_early") != "true" {
		t.Fatalf("closed stream span: status %v attrs %v events %v", sp.Status(), sp.Attributes(), sp.Events())
	}
	dur := h.metrics(t)[vllmotel.MetricOperationDuration].Data.(metricdata.Histogram[float64])
	if len(dur.DataPoints) != 1 || attrOf(dur.DataPoints[0].Attributes, "error.type") != "<none>" {
		t.Fatalf("duration points %v", dur.DataPoints)
	}
}

// Item 4: the request's parameters are on the span.
func TestRequestAttributes(t *testing.T) {
	h := newHarness(t)
	srv, c := h.serve(t)
	req := decodeRequest[vllm.ChatRequest](t, `{"model":"m","messages":[{"role":"user","content":"x"}],
		"temperature":0.7,"top_p":0.9,"top_k":40,"max_tokens":64,"seed":42,"stop":["END","STOP"],
		"frequency_penalty":0.5,"presence_penalty":0.25,"n":2,"response_format":{"type":"json_object"}}`)
	if _, err := c.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sp := h.callSpans()[0]
	for key, want := range map[string]string{
		"gen_ai.request.temperature": "0.7", "gen_ai.request.top_p": "0.9", "gen_ai.request.top_k": "40",
		"gen_ai.request.max_tokens": "64", "gen_ai.request.seed": "42",
		"gen_ai.request.stop_sequences":    `["END","STOP"]`,
		"gen_ai.request.frequency_penalty": "0.5", "gen_ai.request.presence_penalty": "0.25",
		"gen_ai.request.choice.count": "2", "gen_ai.request.stream": "false", "gen_ai.output.type": "json",
	} {
		if got := spanAttr(sp, key); got != want {
			t.Errorf("span %s = %s, want %s", key, got, want)
		}
	}
	// n=1 is not recorded; nor are parameters the request does not set.
	h2 := newHarness(t)
	c2 := h2.client(t, srv)
	req2 := decodeRequest[vllm.ChatRequest](t, `{"model":"m","messages":[{"role":"user","content":"x"}],"n":1}`)
	if _, err := c2.Chat.Create(context.Background(), req2); err != nil {
		t.Fatal(err)
	}
	sp = h2.callSpans()[0]
	for _, key := range []string{"gen_ai.request.choice.count", "gen_ai.request.temperature", "gen_ai.request.seed", "gen_ai.output.type"} {
		if got := spanAttr(sp, key); got != "<none>" {
			t.Errorf("span %s = %s, want none", key, got)
		}
	}
}

// Item 4: cache-read and reasoning token counts of a chat usage.
func TestUsageDetails(t *testing.T) {
	h := newHarness(t)
	hooks := h.inst.Hooks()
	call := &vllm.CallInfo{Op: "chat completion", Method: "POST", Path: "/v1/chat/completions", Model: "m", Start: time.Now()}
	ctx := hooks.OnCallStart(context.Background(), call)
	hooks.OnCallEnd(ctx, call, &vllm.CallResult{Attempts: 1, StatusCode: 200, Duration: time.Second, Usage: &vllm.Usage{
		PromptTokens: 100, CompletionTokens: 30,
		PromptTokensDetails:     &vllm.PromptTokensDetails{CachedTokens: 64},
		CompletionTokensDetails: &vllm.CompletionTokensDetails{ReasoningTokens: 12},
	}})
	sp := h.callSpans()[0]
	if spanAttr(sp, "gen_ai.usage.cache_read.input_tokens") != "64" || spanAttr(sp, "gen_ai.usage.reasoning.output_tokens") != "12" {
		t.Fatalf("span %v", sp.Attributes())
	}
}

// Item 5: the global propagator is read at call time.
func TestPropagatorReadAtCallTime(t *testing.T) {
	prev := otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator()) // sends nothing

	h := newHarness(t) // created before the application sets its propagator
	srv, c := h.serve(t)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	member, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(member)
	ctx := baggage.ContextWithBaggage(context.Background(), bag)
	if _, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].Header.Get("Baggage"); got != "tenant=acme" {
		t.Fatalf("baggage header %q", got)
	}
	if reqs[len(reqs)-1].Header.Get("Traceparent") == "" {
		t.Fatal("no traceparent")
	}
	// With no propagator set at all, W3C trace context is still sent.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	if _, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}}); err != nil {
		t.Fatal(err)
	}
	reqs = srv.Requests()
	if reqs[len(reqs)-1].Header.Get("Traceparent") == "" {
		t.Fatal("no traceparent with an empty global propagator")
	}
}

// Item 6: calls that are not GenAI operations get HTTP spans only, and no
// GenAI metrics.
func TestNonGenAIRoutesHTTPOnly(t *testing.T) {
	h := newHarness(t)
	_, c := h.serve(t)
	ctx := context.Background()
	if _, err := c.Models.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Server.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tokenizer.Tokenize(ctx, decodeRequest[vllm.TokenizeRequest](t, `{"model":"m","prompt":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Raw(ctx, "GET", "/models", nil); err != nil {
		t.Fatal(err)
	}
	spans := h.spans.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if (s.Name() != "GET" && s.Name() != "POST") || s.SpanKind() != trace.SpanKindClient || spanAttr(s, "gen_ai.operation.name") != "<none>" ||
			spanAttr(s, "http.response.status_code") != "200" || spanAttr(s, "server.address") != "127.0.0.1" {
			t.Fatalf("span %q %v", s.Name(), s.Attributes())
		}
	}
	for name, m := range h.metrics(t) {
		if len(points(t, m)) != 0 {
			t.Fatalf("metric %s recorded for non-GenAI calls: %v", name, m.Data)
		}
	}
}

// Item 7: embeddings record no output tokens.
func TestEmbeddingsNoOutputTokens(t *testing.T) {
	h := newHarness(t)
	_, c := h.serve(t)
	if _, err := c.Embeddings.Create(context.Background(), decodeRequest[vllm.EmbeddingRequest](t, `{"model":"m","input":"hello world"}`)); err != nil {
		t.Fatal(err)
	}
	tok := h.metrics(t)[vllmotel.MetricTokenUsage].Data.(metricdata.Histogram[int64])
	if len(tok.DataPoints) != 1 || attrOf(tok.DataPoints[0].Attributes, "gen_ai.token.type") != "input" || tok.DataPoints[0].Sum == 0 ||
		attrOf(tok.DataPoints[0].Attributes, "gen_ai.operation.name") != "embeddings" {
		t.Fatalf("token points %v", tok.DataPoints)
	}
	if sp := h.callSpans()[0]; spanAttr(sp, "gen_ai.usage.output_tokens") != "<none>" {
		t.Fatalf("span %v", sp.Attributes())
	}
}

// startAttrs is a sampler that keeps the attributes spans start with.
type startAttrs struct {
	sdktrace.Sampler
	seen map[string][]attribute.KeyValue
}

func (s *startAttrs) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.seen[p.Name] = p.Attributes
	return sdktrace.AlwaysSample().ShouldSample(p)
}

// Item 7: server.* at span start; on the chunk metrics; scope version and
// schema URL.
func TestServerAtStartChunkAttrsAndScope(t *testing.T) {
	sampler := &startAttrs{Sampler: sdktrace.AlwaysSample(), seen: map[string][]attribute.KeyValue{}}
	h := newHarnessWith(t, []sdktrace.TracerProviderOption{sdktrace.WithSampler(sampler)})
	srv, c := h.serve(t)
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	collect(t, s, err)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1 : strings.LastIndex(srv.URL, "/v1")]
	start := attribute.NewSet(sampler.seen["chat m"]...)
	if attrOf(start, "server.address") != "127.0.0.1" || attrOf(start, "server.port") != port ||
		attrOf(start, "gen_ai.operation.name") != "chat" || attrOf(start, "gen_ai.request.model") != "m" {
		t.Fatalf("span start attributes %v", sampler.seen["chat m"])
	}
	ms := h.metrics(t)
	for _, name := range []string{vllmotel.MetricTimeToFirstChunk, vllmotel.MetricTimePerChunk} {
		hd := ms[name].Data.(metricdata.Histogram[float64])
		if len(hd.DataPoints) != 1 || attrOf(hd.DataPoints[0].Attributes, "server.address") != "127.0.0.1" ||
			attrOf(hd.DataPoints[0].Attributes, "server.port") != port {
			t.Fatalf("%s points %v", name, hd.DataPoints)
		}
	}
	sp := h.callSpans()[0]
	if sc := sp.InstrumentationScope(); sc.Name != vllmotel.ScopeName || sc.Version != vllm.Version || sc.SchemaURL != vllmotel.SchemaURL ||
		vllmotel.SchemaURL != "https://opentelemetry.io/schemas/1.41.0" {
		t.Fatalf("tracer scope %+v", sc)
	}
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if sc := rm.ScopeMetrics[0].Scope; sc.Version != vllm.Version || sc.SchemaURL != vllmotel.SchemaURL {
		t.Fatalf("meter scope %+v", sc)
	}
}

// Item 7: the gen_ai.client.inference.* names are one option away.
func TestConventionsInference(t *testing.T) {
	h := newHarnessWith(t, nil, vllmotel.WithConventions(vllmotel.ConventionsInference))
	srv, c := h.serve(t)
	srv.Enqueue(vllmtest.Reply{Content: "a b c", PromptTokens: 6, CompletionTokens: 3})
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("x")}})
	collect(t, s, err)
	if _, err := c.Embeddings.Create(context.Background(), decodeRequest[vllm.EmbeddingRequest](t, `{"model":"m","input":"x"}`)); err != nil {
		t.Fatal(err)
	}
	ms := h.metrics(t)
	sum := func(name string) float64 {
		m, ok := ms[name]
		if !ok {
			t.Fatalf("no metric %s; have %v", name, keys(ms))
		}
		var total float64
		for _, p := range points(t, m) {
			total += p.sum
		}
		return total
	}
	if sum(vllmotel.MetricInferenceInputTokens) != 6 || sum(vllmotel.MetricInferenceOutputTokens) != 3 ||
		sum(vllmotel.MetricInferenceOperationInputTokens) != 6 || sum(vllmotel.MetricInferenceOperationOutputTokens) != 3 {
		t.Fatal("inference token metrics")
	}
	for _, name := range []string{vllmotel.MetricInferenceDuration, vllmotel.MetricInferenceTimeToFirstChunk, vllmotel.MetricInferenceTimePerChunk} {
		if len(points(t, ms[name])) != 1 {
			t.Fatalf("%s: %v", name, ms[name].Data)
		}
	}
	// Embeddings are not inference: they keep gen_ai.client.operation.duration.
	dur := points(t, ms[vllmotel.MetricOperationDuration])
	if len(dur) != 1 {
		t.Fatalf("operation duration points %v", dur)
	}
	if attrOf(dur[0].attrs, "gen_ai.operation.name") != "embeddings" {
		t.Fatalf("operation duration for %v", dur[0].attrs)
	}
	if _, ok := ms[vllmotel.MetricTokenUsage]; ok {
		t.Fatal("gen_ai.client.token.usage recorded with ConventionsInference")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Item 8: message content only when asked for.
func TestMessageContentOptIn(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	req := func() *vllm.ChatRequest {
		return &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.System("be brief"), vllm.User("secret prompt")}}
	}
	off := newHarness(t)
	if _, err := off.client(t, srv).Chat.Create(context.Background(), req()); err != nil {
		t.Fatal(err)
	}
	for _, s := range off.spans.Ended() {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), "secret prompt") || strings.HasPrefix(string(kv.Key), "gen_ai.input") || strings.HasPrefix(string(kv.Key), "gen_ai.output.messages") {
				t.Fatalf("content recorded by default: %v", kv)
			}
		}
	}

	on := newHarnessWith(t, nil, vllmotel.WithMessageContent())
	srv.Enqueue(vllmtest.Reply{Content: "short answer"})
	if _, err := on.client(t, srv).Chat.Create(context.Background(), req()); err != nil {
		t.Fatal(err)
	}
	sp := on.callSpans()[0]
	in := spanAttr(sp, "gen_ai.input.messages")
	wantIn := `[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":[{"type":"text","content":"secret prompt"}]}]`
	if in != wantIn {
		t.Fatalf("input messages\n got %s\nwant %s", in, wantIn)
	}
	out := spanAttr(sp, "gen_ai.output.messages")
	wantOut := `[{"role":"assistant","parts":[{"type":"text","content":"short answer"}],"finish_reason":"stop"}]`
	if out != wantOut {
		t.Fatalf("output messages\n got %s\nwant %s", out, wantOut)
	}
}

// TestMessageContentStreamed: with WithMessageContent, a streamed chat or
// completion records its answer as gen_ai.output.messages, as the same
// answer not streamed does (the tool call included).
func TestMessageContentStreamed(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	on := newHarnessWith(t, nil, vllmotel.WithMessageContent())
	c := on.client(t, srv)
	srv.Enqueue(vllmtest.Reply{Deltas: []string{"short ", "answer"}})
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("q")}})
	collect(t, s, err)
	s.Close()
	srv.Enqueue(vllmtest.Reply{Deltas: []string{"more"}})
	cs, err := c.Completions.Stream(context.Background(), &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("p")})
	collect(t, cs, err)
	cs.Close()
	spans := on.callSpans()
	if len(spans) != 2 {
		t.Fatalf("%d call spans, want 2", len(spans))
	}
	for i, want := range []string{
		`[{"role":"assistant","parts":[{"type":"text","content":"short answer"}],"finish_reason":"stop"}]`,
		`[{"role":"assistant","parts":[{"type":"text","content":"more"}],"finish_reason":"stop"}]`,
	} {
		if got := spanAttr(spans[i], "gen_ai.output.messages"); got != want {
			t.Errorf("stream %d: output messages\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestMessageContentResponsesStream: the answer of a streamed Responses API
// call is recorded too, from the response the stream completed with.
func TestMessageContentResponsesStream(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	on := newHarnessWith(t, nil, vllmotel.WithMessageContent())
	c := on.client(t, srv)
	s, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Model: "m", Input: "q"})
	resp := collect(t, s, err)
	s.Close()
	answer, _ := json.Marshal(resp.Text())
	if resp.Text() == "" {
		t.Fatal("the test server streamed no text")
	}
	spans := on.callSpans()
	if len(spans) != 1 {
		t.Fatalf("%d call spans, want 1", len(spans))
	}
	got := spanAttr(spans[0], "gen_ai.output.messages")
	if !strings.Contains(got, `"content":`+string(answer)) || !strings.HasPrefix(got, `[{"role":"assistant"`) {
		t.Errorf("output messages %s, want the assistant's streamed answer", got)
	}
}
