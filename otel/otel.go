// Package vllmotel instruments a vllm.Client with OpenTelemetry: a client
// span per GenAI call and an HTTP client span per attempt, and the metrics of
// the OpenTelemetry GenAI semantic conventions.
//
// It follows the GenAI conventions as last published in
// open-telemetry/semantic-conventions v1.41.0 (schema URL
// https://opentelemetry.io/schemas/1.41.0): gen_ai.client.operation.duration,
// gen_ai.client.token.usage, gen_ai.client.operation.time_to_first_chunk and
// gen_ai.client.operation.time_per_output_chunk. The conventions have since
// moved to their own repository (open-telemetry/semantic-conventions-genai),
// which renames the inference metrics to gen_ai.client.inference.*;
// WithConventions(ConventionsInference) switches to those names.
//
// It is a module of its own, so that the vllm library itself depends on
// nothing beyond the standard library, and it is built only on the library's
// public hooks and middleware (vllm.Hooks, vllm.Middleware):
//
//	inst, err := vllmotel.New(vllmotel.WithTracerProvider(tp), vllmotel.WithMeterProvider(mp))
//	c, err := vllm.New(url, inst.Options()...)
//
// Each GenAI call (chat, completion, embeddings, Responses API; one Create,
// one stream) is a span named after the operation and model ("chat
// Qwen/Qwen3-8B"), of kind client, with the gen_ai.* attributes of the
// conventions; each attempt (retries included) is a child span ("POST")
// carrying the HTTP attributes, and the trace context is sent with it (W3C
// traceparent unless the application set another propagator), so a vLLM
// server started with --otlp-traces-endpoint joins the trace. Other calls
// (models, tokenizer, health, raw requests) get only the HTTP attempt spans:
// they are not GenAI operations. docs/observability.md lists every attribute
// and metric.
package vllmotel

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vllmgo/vllm"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter; their
// version is vllm.Version.
const ScopeName = "github.com/vllmgo/vllm/otel"

// SchemaURL is the schema of the semantic conventions followed by default
// (v1.41.0), set on the tracer and the meter.
const SchemaURL = semconv.SchemaURL

// The metric names of the GenAI semantic conventions v1.41.0 (the default).
const (
	MetricOperationDuration = "gen_ai.client.operation.duration"
	MetricTokenUsage        = "gen_ai.client.token.usage"
	MetricTimeToFirstChunk  = "gen_ai.client.operation.time_to_first_chunk"
	MetricTimePerChunk      = "gen_ai.client.operation.time_per_output_chunk"
)

// The metric names of ConventionsInference, for inference operations (chat,
// text completion); embeddings keep gen_ai.client.operation.duration.
const (
	MetricInferenceDuration              = "gen_ai.client.inference.duration"
	MetricInferenceTimeToFirstChunk      = "gen_ai.client.inference.time_to_first_chunk"
	MetricInferenceTimePerChunk          = "gen_ai.client.inference.time_per_output_chunk"
	MetricInferenceInputTokens           = "gen_ai.client.inference.usage.input_tokens"
	MetricInferenceOutputTokens          = "gen_ai.client.inference.usage.output_tokens"
	MetricInferenceCacheReadTokens       = "gen_ai.client.inference.usage.cache_read.input_tokens"
	MetricInferenceReasoningTokens       = "gen_ai.client.inference.usage.reasoning.output_tokens"
	MetricInferenceOperationInputTokens  = "gen_ai.client.inference.operation.input_tokens"
	MetricInferenceOperationOutputTokens = "gen_ai.client.inference.operation.output_tokens"
)

// Attribute keys of the GenAI and HTTP semantic conventions used here.
const (
	attrOperation        = attribute.Key("gen_ai.operation.name")
	attrProvider         = attribute.Key("gen_ai.provider.name")
	attrRequestModel     = attribute.Key("gen_ai.request.model")
	attrRequestStream    = attribute.Key("gen_ai.request.stream")
	attrTemperature      = attribute.Key("gen_ai.request.temperature")
	attrTopP             = attribute.Key("gen_ai.request.top_p")
	attrTopK             = attribute.Key("gen_ai.request.top_k")
	attrMaxTokens        = attribute.Key("gen_ai.request.max_tokens")
	attrSeed             = attribute.Key("gen_ai.request.seed")
	attrStopSequences    = attribute.Key("gen_ai.request.stop_sequences")
	attrFrequencyPenalty = attribute.Key("gen_ai.request.frequency_penalty")
	attrPresencePenalty  = attribute.Key("gen_ai.request.presence_penalty")
	attrChoiceCount      = attribute.Key("gen_ai.request.choice.count")
	attrEncodingFormats  = attribute.Key("gen_ai.request.encoding_formats")
	attrOutputType       = attribute.Key("gen_ai.output.type")
	attrResponseModel    = attribute.Key("gen_ai.response.model")
	attrResponseID       = attribute.Key("gen_ai.response.id")
	attrFinishReasons    = attribute.Key("gen_ai.response.finish_reasons")
	attrInputTokens      = attribute.Key("gen_ai.usage.input_tokens")
	attrOutputTokens     = attribute.Key("gen_ai.usage.output_tokens")
	attrCacheReadTokens  = attribute.Key("gen_ai.usage.cache_read.input_tokens")
	attrReasoningTokens  = attribute.Key("gen_ai.usage.reasoning.output_tokens")
	attrTokenType        = attribute.Key("gen_ai.token.type")
	attrFirstChunk       = attribute.Key("gen_ai.response.time_to_first_chunk")
	attrInputMessages    = attribute.Key("gen_ai.input.messages")
	attrOutputMessages   = attribute.Key("gen_ai.output.messages")
	attrSystemInstr      = attribute.Key("gen_ai.system_instructions")
	attrServerAddress    = attribute.Key("server.address")
	attrServerPort       = attribute.Key("server.port")
	attrErrorType        = attribute.Key("error.type")
	attrHTTPMethod       = attribute.Key("http.request.method")
	attrHTTPStatus       = attribute.Key("http.response.status_code")
	attrHTTPResend       = attribute.Key("http.request.resend_count")
	attrURLFull          = attribute.Key("url.full")
	attrVLLMRequestID    = attribute.Key("vllm.request_id")
	attrVLLMAttempts     = attribute.Key("vllm.attempts")
	attrVLLMStreamEvts   = attribute.Key("vllm.stream.events")
	attrVLLMClosedEarly  = attribute.Key("vllm.stream.closed_early")
)

// Bucket boundaries. The conventions advise durationBuckets for the
// operation duration and both chunk metrics, and tokenBuckets for token
// counts. For time_per_output_chunk we use chunkBuckets instead: vLLM's
// inter-token latency is typically 5-50 ms, which the advised boundaries
// (0.01, 0.02, 0.04, ...) squeeze into three buckets, everything under 10 ms
// into one; chunkBuckets start at 1 ms and are finer up to 100 ms (see
// docs/observability.md to apply the advised ones with a View).
var (
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	chunkBuckets    = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
)

// Conventions selects the version of the GenAI semantic conventions whose
// metric names are recorded.
type Conventions int

const (
	// ConventionsV1_41 are the GenAI conventions of
	// open-telemetry/semantic-conventions v1.41.0, the last published
	// there (the default): gen_ai.client.operation.duration,
	// gen_ai.client.token.usage (by gen_ai.token.type) and the
	// gen_ai.client.operation.* chunk metrics.
	ConventionsV1_41 Conventions = iota
	// ConventionsInference are the names of the GenAI conventions'
	// own repository (open-telemetry/semantic-conventions-genai, in
	// development): inference operations (chat, text completion) record
	// gen_ai.client.inference.duration and .time_to_first_chunk,
	// .time_per_output_chunk; token usage is recorded as the counters
	// gen_ai.client.inference.usage.{input_tokens, output_tokens,
	// cache_read.input_tokens, reasoning.output_tokens} and the histograms
	// gen_ai.client.inference.operation.{input_tokens, output_tokens},
	// replacing gen_ai.client.token.usage. Embeddings record
	// gen_ai.client.operation.duration only. Span attributes are the same.
	ConventionsInference
)

type config struct {
	tp          trace.TracerProvider
	mp          metric.MeterProvider
	propagator  propagation.TextMapPropagator
	provider    string
	conventions Conventions
	content     bool
}

// Option configures the instrumentation.
type Option func(*config)

// WithTracerProvider sets the tracer provider (default: the global one).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the meter provider (default: the global one).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithPropagator sets how the trace context is sent to the server. By
// default the global propagator is read at each attempt, as otelhttp does,
// so that one set by the application after New (baggage, B3, X-Ray) is
// used; when the global propagator sends nothing, W3C traceparent is sent.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// WithProviderName sets gen_ai.provider.name (default "vllm").
func WithProviderName(name string) Option { return func(c *config) { c.provider = name } }

// WithConventions selects the GenAI conventions whose metric names are
// recorded (default ConventionsV1_41): migrating to the
// gen_ai.client.inference.* names is WithConventions(ConventionsInference).
func WithConventions(v Conventions) Option { return func(c *config) { c.conventions = v } }

// WithMessageContent records the content of the calls on their spans, as
// the conventions' opt-in attributes: gen_ai.input.messages (the messages or
// prompt sent), gen_ai.system_instructions (the Responses API's
// instructions) and gen_ai.output.messages (the answer of a call, streamed
// or not), as JSON in the conventions' message format. Off by default: prompts
// and answers may hold personal or confidential data.
func WithMessageContent() Option { return func(c *config) { c.content = true } }

// Instrumentation records spans and metrics for the calls of the clients it
// is given to. One Instrumentation may serve many clients.
type Instrumentation struct {
	tracer      trace.Tracer
	propagator  propagation.TextMapPropagator // nil: the global one, read per attempt
	provider    string
	conventions Conventions
	content     bool

	duration   metric.Float64Histogram // operation duration (all operations; embeddings with ConventionsInference)
	inference  metric.Float64Histogram // ConventionsInference: inference duration
	tokens     metric.Int64Histogram   // ConventionsV1_41: gen_ai.client.token.usage
	firstChunk metric.Float64Histogram
	perChunk   metric.Float64Histogram

	// ConventionsInference token metrics.
	inTokens, outTokens, cacheTokens, reasonTokens metric.Int64Counter
	opInTokens, opOutTokens                        metric.Int64Histogram
}

// New creates the instrumentation and its metric instruments.
func New(opts ...Option) (*Instrumentation, error) {
	cfg := config{provider: "vllm"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	schema := SchemaURL
	if cfg.conventions == ConventionsInference {
		schema = "" // the conventions' repository publishes no schema yet
	}
	i := &Instrumentation{
		tracer:     cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(vllm.Version), trace.WithSchemaURL(schema)),
		propagator: cfg.propagator, provider: cfg.provider, conventions: cfg.conventions, content: cfg.content,
	}
	meter := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(vllm.Version), metric.WithSchemaURL(schema))
	var errs []error
	fhist := func(name, unit, desc string, buckets []float64) metric.Float64Histogram {
		h, err := meter.Float64Histogram(name, metric.WithUnit(unit), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	ihist := func(name, desc string) metric.Int64Histogram {
		h, err := meter.Int64Histogram(name, metric.WithUnit("{token}"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(tokenBuckets...))
		errs = append(errs, err)
		return h
	}
	counter := func(name, desc string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithUnit("{token}"), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	i.duration = fhist(MetricOperationDuration, "s", "GenAI operation duration.", durationBuckets)
	if cfg.conventions == ConventionsInference {
		i.inference = fhist(MetricInferenceDuration, "s", "GenAI inference duration.", durationBuckets)
		i.firstChunk = fhist(MetricInferenceTimeToFirstChunk, "s", "Time to receive the first chunk of a streamed response.", durationBuckets)
		i.perChunk = fhist(MetricInferenceTimePerChunk, "s", "Time per output chunk after the first one.", chunkBuckets)
		i.inTokens = counter(MetricInferenceInputTokens, "Input tokens used.")
		i.outTokens = counter(MetricInferenceOutputTokens, "Output tokens used.")
		i.cacheTokens = counter(MetricInferenceCacheReadTokens, "Input tokens served from the prefix cache.")
		i.reasonTokens = counter(MetricInferenceReasoningTokens, "Output tokens used for reasoning.")
		i.opInTokens = ihist(MetricInferenceOperationInputTokens, "Input tokens per operation.")
		i.opOutTokens = ihist(MetricInferenceOperationOutputTokens, "Output tokens per operation.")
	} else {
		i.tokens = ihist(MetricTokenUsage, "Number of input and output tokens used.")
		i.firstChunk = fhist(MetricTimeToFirstChunk, "s", "Time to receive the first chunk of a streamed response.", durationBuckets)
		i.perChunk = fhist(MetricTimePerChunk, "s", "Time per output chunk after the first one.", chunkBuckets)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return i, nil
}

// Options returns the client options that install the instrumentation:
// vllm.New(url, inst.Options()...).
func (i *Instrumentation) Options() []vllm.Option {
	return []vllm.Option{vllm.WithHooks(i.Hooks()), vllm.WithMiddleware(i.Middleware())}
}

// callState is what the instrumentation keeps for one GenAI call, in its
// context. The hooks of one call run one after the other.
type callState struct {
	span trace.Span
	op   string
	// endpoint is the replica of the last attempt that got a response.
	endpoint string
	// chunkAttrs are the attributes of the chunk metrics, made at the
	// first chunk rather than per event.
	chunkAttrs metric.MeasurementOption
}

type stateKey struct{}

// Hooks returns the hooks that make the call spans and record the metrics.
func (i *Instrumentation) Hooks() vllm.Hooks {
	return vllm.Hooks{
		OnCallStart:   i.callStart,
		OnRequest:     i.request,
		OnResponse:    i.response,
		OnStreamEvent: i.streamEvent,
		OnCallEnd:     i.callEnd,
	}
}

func (i *Instrumentation) callStart(ctx context.Context, call *vllm.CallInfo) context.Context {
	op, ok := operationName(call)
	if !ok {
		if ctx.Value(stateKey{}) != nil {
			return context.WithValue(ctx, stateKey{}, (*callState)(nil))
		}
		return ctx
	}
	name := op
	if call.Model != "" {
		name += " " + call.Model
	}
	attrs := i.baseAttrs(op, call, call.Endpoint, "")
	attrs = append(attrs, attrRequestStream.Bool(call.Stream))
	if call.RequestID != "" {
		attrs = append(attrs, attrVLLMRequestID.String(call.RequestID))
	}
	ctx, span := i.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(call.Start), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, stateKey{}, &callState{span: span, op: op, endpoint: call.Endpoint})
}

// request adds the request's parameters (and, when asked for, its
// messages) to the call span, from the body of the first attempt.
func (i *Instrumentation) request(ctx context.Context, req *vllm.RequestInfo) {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil || req.Attempt != 1 || len(req.Body) == 0 || req.Body[0] != '{' || !st.span.IsRecording() {
		return
	}
	st.span.SetAttributes(i.requestAttrs(req.Body)...)
}

func (i *Instrumentation) response(ctx context.Context, req *vllm.RequestInfo, res vllm.AttemptResult) {
	if st, _ := ctx.Value(stateKey{}).(*callState); st != nil && res.Err == nil {
		st.endpoint = req.Endpoint
	}
}

func (i *Instrumentation) streamEvent(ctx context.Context, call *vllm.CallInfo, ev vllm.StreamProgress) {
	// Output chunks are the events that carry generated text; the others
	// (finish, usage, done) carry no output.
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil || !ev.Token {
		return
	}
	if st.chunkAttrs == nil {
		// Made at the first output chunk, which names the model.
		st.chunkAttrs = metric.WithAttributeSet(attribute.NewSet(i.baseAttrs(st.op, call, st.endpoint, ev.Model)...))
	}
	if ev.Tokens == 1 {
		i.firstChunk.Record(ctx, ev.Elapsed.Seconds(), st.chunkAttrs)
		st.span.SetAttributes(attrFirstChunk.Float64(ev.Elapsed.Seconds()))
	} else {
		i.perChunk.Record(ctx, ev.Gap.Seconds(), st.chunkAttrs)
	}
}

func (i *Instrumentation) callEnd(ctx context.Context, call *vllm.CallInfo, res *vllm.CallResult) {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil {
		return
	}
	span := st.span
	endpoint := res.Endpoint
	if endpoint == "" {
		endpoint = st.endpoint
	}
	attrs := i.baseAttrs(st.op, call, endpoint, res.ResponseModel)
	spanAttrs := append([]attribute.KeyValue(nil), attrs...)
	spanAttrs = append(spanAttrs, attrVLLMAttempts.Int(res.Attempts))
	if res.ResponseID != "" {
		spanAttrs = append(spanAttrs, attrResponseID.String(res.ResponseID))
	}
	if len(res.FinishReasons) > 0 {
		spanAttrs = append(spanAttrs, attrFinishReasons.StringSlice(res.FinishReasons))
	}
	if call.Stream {
		spanAttrs = append(spanAttrs, attrVLLMStreamEvts.Int(res.Events))
	}
	embeddings := st.op == "embeddings"
	if u := res.Usage; u != nil {
		spanAttrs = append(spanAttrs, attrInputTokens.Int(u.PromptTokens))
		if !embeddings {
			spanAttrs = append(spanAttrs, attrOutputTokens.Int(u.CompletionTokens))
		}
		if d := u.PromptTokensDetails; d != nil {
			spanAttrs = append(spanAttrs, attrCacheReadTokens.Int(d.CachedTokens))
		}
		if d := u.CompletionTokensDetails; d != nil {
			spanAttrs = append(spanAttrs, attrReasoningTokens.Int(d.ReasoningTokens))
		}
		i.recordTokens(ctx, attrs, u, embeddings)
	}
	closedEarly := call.Stream && errors.Is(res.Err, vllm.ErrStreamClosed)
	switch {
	case closedEarly:
		// Stopping a stream is the caller's choice, not a failure.
		spanAttrs = append(spanAttrs, attrVLLMClosedEarly.Bool(true))
	case res.Err != nil:
		et := errorType(res.Err)
		attrs = append(attrs, attrErrorType.String(et))
		spanAttrs = append(spanAttrs, attrErrorType.String(et))
		span.RecordError(res.Err)
		span.SetStatus(codes.Error, res.Err.Error())
	}
	if i.content && res.Body != nil && span.IsRecording() {
		if msgs := outputMessages(res.Body); msgs != "" {
			spanAttrs = append(spanAttrs, attrOutputMessages.String(msgs))
		}
	}
	hist := i.duration
	if i.conventions == ConventionsInference && !embeddings {
		hist = i.inference
	}
	hist.Record(ctx, res.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
	span.SetAttributes(spanAttrs...)
	span.End(trace.WithTimestamp(call.Start.Add(res.Duration)))
}

// recordTokens records the token metrics of a call with usage u.
func (i *Instrumentation) recordTokens(ctx context.Context, attrs []attribute.KeyValue, u *vllm.Usage, embeddings bool) {
	if i.conventions == ConventionsInference {
		if embeddings {
			return // the inference usage metrics do not cover embeddings
		}
		set := metric.WithAttributeSet(attribute.NewSet(attrs...))
		i.inTokens.Add(ctx, int64(u.PromptTokens), set)
		i.outTokens.Add(ctx, int64(u.CompletionTokens), set)
		i.opInTokens.Record(ctx, int64(u.PromptTokens), set)
		i.opOutTokens.Record(ctx, int64(u.CompletionTokens), set)
		if d := u.PromptTokensDetails; d != nil {
			i.cacheTokens.Add(ctx, int64(d.CachedTokens), set)
		}
		if d := u.CompletionTokensDetails; d != nil {
			i.reasonTokens.Add(ctx, int64(d.ReasoningTokens), set)
		}
		return
	}
	tokenAttrs := func(typ string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(append(attrs[:len(attrs):len(attrs)], attrTokenType.String(typ))...))
	}
	i.tokens.Record(ctx, int64(u.PromptTokens), tokenAttrs("input"))
	if !embeddings {
		// Embeddings produce no tokens: an output point of 0 would only
		// skew the output-token distribution.
		i.tokens.Record(ctx, int64(u.CompletionTokens), tokenAttrs("output"))
	}
}

// Middleware returns the middleware that makes an HTTP client span per
// attempt and sends the trace context with it.
func (i *Instrumentation) Middleware() vllm.Middleware {
	return func(next vllm.RoundTrip) vllm.RoundTrip {
		return func(ctx context.Context, req *vllm.RequestInfo) (*http.Response, error) {
			attrs := []attribute.KeyValue{attrHTTPMethod.String(req.Call.Method), attrURLFull.String(req.URL)}
			if req.Attempt > 1 {
				attrs = append(attrs, attrHTTPResend.Int(req.Attempt-1))
			}
			if host, port, ok := hostPort(req.Endpoint); ok {
				attrs = append(attrs, attrServerAddress.String(host), attrServerPort.Int(port))
			}
			ctx, span := i.tracer.Start(ctx, req.Call.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
			defer span.End()
			i.textMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
			resp, err := next(ctx, req)
			if status := statusOf(resp, err); status != 0 {
				span.SetAttributes(attrHTTPStatus.Int(status))
			}
			if err != nil {
				span.SetAttributes(attrErrorType.String(errorType(err)))
				span.SetStatus(codes.Error, err.Error())
			}
			return resp, err
		}
	}
}

// textMapPropagator returns the propagator of an attempt: the one given to
// New, or the global one as it is now (W3C trace context when it sends
// nothing, so that the server can join the trace).
func (i *Instrumentation) textMapPropagator() propagation.TextMapPropagator {
	if i.propagator != nil {
		return i.propagator
	}
	p := otel.GetTextMapPropagator()
	if len(p.Fields()) == 0 {
		return propagation.TraceContext{}
	}
	return p
}

// baseAttrs are the attributes of every metric of a call.
func (i *Instrumentation) baseAttrs(op string, call *vllm.CallInfo, endpoint, responseModel string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, attrOperation.String(op), attrProvider.String(i.provider))
	if call.Model != "" {
		attrs = append(attrs, attrRequestModel.String(call.Model))
	}
	if responseModel != "" {
		attrs = append(attrs, attrResponseModel.String(responseModel))
	}
	if host, port, ok := hostPort(endpoint); ok {
		attrs = append(attrs, attrServerAddress.String(host), attrServerPort.Int(port))
	}
	return attrs
}

// operationName maps a GenAI call to gen_ai.operation.name, with the
// conventions' names: chat (chat completions and the Responses API), text
// completion and embeddings. Other calls are not GenAI operations: ok is
// false.
func operationName(call *vllm.CallInfo) (op string, ok bool) {
	if call.Method != http.MethodPost {
		return "", false
	}
	switch {
	case strings.HasSuffix(call.Path, "/chat/completions"):
		return "chat", true
	case strings.HasSuffix(call.Path, "/completions"):
		return "text_completion", true
	case strings.HasSuffix(call.Path, "/embeddings"):
		return "embeddings", true
	case strings.HasSuffix(call.Path, "/responses"):
		return "chat", true
	}
	return "", false
}

// hostPort splits an endpoint URL into server.address and server.port.
func hostPort(endpoint string) (string, int, bool) {
	if endpoint == "" {
		return "", 0, false
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return "", 0, false
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return u.Hostname(), port, true
}

// errorType gives error.type a low-cardinality value: the HTTP status of an
// API error, "timeout", "circuit_open", "stream", "canceled", "transport",
// or "_OTHER".
func errorType(err error) string {
	var ae *vllm.APIError
	var coe *vllm.CircuitOpenError
	var se *vllm.StreamError
	switch {
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.As(err, &coe):
		return "circuit_open"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, vllm.ErrTimeout):
		return "timeout"
	case errors.As(err, &se):
		return "stream"
	}
	var te *vllm.TransportError
	if errors.As(err, &te) {
		return "transport"
	}
	return "_OTHER"
}

func statusOf(resp *http.Response, err error) int {
	if resp != nil {
		return resp.StatusCode
	}
	var ae *vllm.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}
