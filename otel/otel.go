// Package vllmotel instruments a vllm.Client with OpenTelemetry: a client
// span per call and per attempt, and the metrics of the OpenTelemetry GenAI
// semantic conventions (gen_ai.client.operation.duration,
// gen_ai.client.token.usage, and for streams
// gen_ai.client.operation.time_to_first_chunk and
// gen_ai.client.operation.time_per_output_chunk).
//
// It is a module of its own, so that the vllm library itself depends on
// nothing beyond the standard library, and it is built only on the library's
// public hooks and middleware (vllm.Hooks, vllm.Middleware):
//
//	inst, err := vllmotel.New(vllmotel.WithTracerProvider(tp), vllmotel.WithMeterProvider(mp))
//	c, err := vllm.New(url, inst.Options()...)
//
// Each call (one Chat.Create, one stream) is a span named after the GenAI
// operation and model ("chat Qwen/Qwen3-8B"), of kind client, with the
// gen_ai.* attributes of the conventions; each attempt (retries included) is
// a child span ("POST") carrying the HTTP attributes, and the trace context
// is sent with it (W3C traceparent by default), so a vLLM server started with
// --otlp-traces-endpoint joins the trace.
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
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/vllmgo/vllm/otel"

// The metric names of the GenAI semantic conventions.
const (
	MetricOperationDuration = "gen_ai.client.operation.duration"
	MetricTokenUsage        = "gen_ai.client.token.usage"
	MetricTimeToFirstChunk  = "gen_ai.client.operation.time_to_first_chunk"
	MetricTimePerChunk      = "gen_ai.client.operation.time_per_output_chunk"
)

// Attribute keys of the GenAI and HTTP semantic conventions used here.
const (
	attrOperation      = attribute.Key("gen_ai.operation.name")
	attrProvider       = attribute.Key("gen_ai.provider.name")
	attrRequestModel   = attribute.Key("gen_ai.request.model")
	attrResponseModel  = attribute.Key("gen_ai.response.model")
	attrResponseID     = attribute.Key("gen_ai.response.id")
	attrFinishReasons  = attribute.Key("gen_ai.response.finish_reasons")
	attrInputTokens    = attribute.Key("gen_ai.usage.input_tokens")
	attrOutputTokens   = attribute.Key("gen_ai.usage.output_tokens")
	attrTokenType      = attribute.Key("gen_ai.token.type")
	attrFirstChunk     = attribute.Key("gen_ai.response.time_to_first_chunk")
	attrServerAddress  = attribute.Key("server.address")
	attrServerPort     = attribute.Key("server.port")
	attrErrorType      = attribute.Key("error.type")
	attrHTTPMethod     = attribute.Key("http.request.method")
	attrHTTPStatus     = attribute.Key("http.response.status_code")
	attrHTTPResend     = attribute.Key("http.request.resend_count")
	attrURLFull        = attribute.Key("url.full")
	attrVLLMRequestID  = attribute.Key("vllm.request_id")
	attrVLLMAttempts   = attribute.Key("vllm.attempts")
	attrVLLMStreamEvts = attribute.Key("vllm.stream.events")
)

// Bucket boundaries advised by the conventions.
var (
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	chunkBuckets    = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
)

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
	provider   string
}

// Option configures the instrumentation.
type Option func(*config)

// WithTracerProvider sets the tracer provider (default: the global one).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the meter provider (default: the global one).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithPropagator sets how the trace context is sent to the server (default:
// the global propagator; W3C traceparent when none was set).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// WithProviderName sets gen_ai.provider.name (default "vllm").
func WithProviderName(name string) Option { return func(c *config) { c.provider = name } }

// Instrumentation records spans and metrics for the calls of the clients it
// is given to. One Instrumentation may serve many clients.
type Instrumentation struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	provider   string

	duration  metric.Float64Histogram
	tokens    metric.Int64Histogram
	firstChnk metric.Float64Histogram
	perChunk  metric.Float64Histogram
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
	if cfg.propagator == nil {
		cfg.propagator = otel.GetTextMapPropagator()
		if len(cfg.propagator.Fields()) == 0 {
			cfg.propagator = propagation.TraceContext{}
		}
	}
	meter := cfg.mp.Meter(ScopeName)
	i := &Instrumentation{tracer: cfg.tp.Tracer(ScopeName), propagator: cfg.propagator, provider: cfg.provider}
	var err, e error
	i.duration, e = meter.Float64Histogram(MetricOperationDuration, metric.WithUnit("s"),
		metric.WithDescription("GenAI operation duration."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	i.tokens, e = meter.Int64Histogram(MetricTokenUsage, metric.WithUnit("{token}"),
		metric.WithDescription("Number of input and output tokens used."), metric.WithExplicitBucketBoundaries(tokenBuckets...))
	err = errors.Join(err, e)
	i.firstChnk, e = meter.Float64Histogram(MetricTimeToFirstChunk, metric.WithUnit("s"),
		metric.WithDescription("Time to receive the first chunk of a streamed response."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	i.perChunk, e = meter.Float64Histogram(MetricTimePerChunk, metric.WithUnit("s"),
		metric.WithDescription("Time per output chunk after the first one."), metric.WithExplicitBucketBoundaries(chunkBuckets...))
	err = errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return i, nil
}

// Options returns the client options that install the instrumentation:
// vllm.New(url, inst.Options()...).
func (i *Instrumentation) Options() []vllm.Option {
	return []vllm.Option{vllm.WithHooks(i.Hooks()), vllm.WithMiddleware(i.Middleware())}
}

// callState is what the instrumentation keeps for one call, in its context.
type callState struct {
	span trace.Span
	// chunkAttrs are the attributes of the chunk metrics, made once per
	// call rather than per event.
	chunkAttrs metric.MeasurementOption
}

type stateKey struct{}

// Hooks returns the hooks that make the call spans and record the metrics.
func (i *Instrumentation) Hooks() vllm.Hooks {
	return vllm.Hooks{
		OnCallStart: func(ctx context.Context, call *vllm.CallInfo) context.Context {
			op := operationName(call)
			name := op
			if call.Model != "" {
				name += " " + call.Model
			}
			attrs := []attribute.KeyValue{attrOperation.String(op), attrProvider.String(i.provider)}
			if call.Model != "" {
				attrs = append(attrs, attrRequestModel.String(call.Model))
			}
			if call.RequestID != "" {
				attrs = append(attrs, attrVLLMRequestID.String(call.RequestID))
			}
			ctx, span := i.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithTimestamp(call.Start), trace.WithAttributes(attrs...))
			st := &callState{span: span}
			if call.Stream {
				st.chunkAttrs = metric.WithAttributeSet(attribute.NewSet(i.baseAttrs(call, "", "")...))
			}
			return context.WithValue(ctx, stateKey{}, st)
		},
		OnStreamEvent: func(ctx context.Context, call *vllm.CallInfo, ev vllm.StreamProgress) {
			// Output chunks are the events that carry generated text;
			// the others (finish, usage, done) carry no output.
			st, _ := ctx.Value(stateKey{}).(*callState)
			if st == nil || st.chunkAttrs == nil || !ev.Token {
				return
			}
			if ev.Tokens == 1 {
				i.firstChnk.Record(ctx, ev.Elapsed.Seconds(), st.chunkAttrs)
				st.span.SetAttributes(attrFirstChunk.Float64(ev.Elapsed.Seconds()))
			} else {
				i.perChunk.Record(ctx, ev.Gap.Seconds(), st.chunkAttrs)
			}
		},
		OnCallEnd: func(ctx context.Context, call *vllm.CallInfo, res *vllm.CallResult) {
			st, _ := ctx.Value(stateKey{}).(*callState)
			if st == nil {
				return
			}
			span := st.span
			attrs := i.baseAttrs(call, res.Endpoint, res.ResponseModel)
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
			if res.Usage != nil {
				spanAttrs = append(spanAttrs, attrInputTokens.Int(res.Usage.PromptTokens), attrOutputTokens.Int(res.Usage.CompletionTokens))
				tokenAttrs := func(typ string) metric.MeasurementOption {
					return metric.WithAttributeSet(attribute.NewSet(append(attrs[:len(attrs):len(attrs)], attrTokenType.String(typ))...))
				}
				i.tokens.Record(ctx, int64(res.Usage.PromptTokens), tokenAttrs("input"))
				i.tokens.Record(ctx, int64(res.Usage.CompletionTokens), tokenAttrs("output"))
			}
			if res.Err != nil {
				et := errorType(res.Err)
				attrs = append(attrs, attrErrorType.String(et))
				spanAttrs = append(spanAttrs, attrErrorType.String(et))
				span.RecordError(res.Err)
				span.SetStatus(codes.Error, res.Err.Error())
			}
			i.duration.Record(ctx, res.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
			span.SetAttributes(spanAttrs...)
			span.End(trace.WithTimestamp(call.Start.Add(res.Duration)))
		},
	}
}

// Middleware returns the middleware that makes a span per attempt and sends
// the trace context with it.
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
			i.propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
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

// baseAttrs are the attributes of every metric of a call.
func (i *Instrumentation) baseAttrs(call *vllm.CallInfo, endpoint, responseModel string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, attrOperation.String(operationName(call)), attrProvider.String(i.provider))
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

// operationName maps a call to gen_ai.operation.name: the conventions' names
// for chat, text completion and embeddings, the library's operation name
// (spaces as underscores) for the rest of vLLM's API.
func operationName(call *vllm.CallInfo) string {
	switch {
	case strings.HasSuffix(call.Path, "/chat/completions"):
		return "chat"
	case strings.HasSuffix(call.Path, "/completions"):
		return "text_completion"
	case strings.HasSuffix(call.Path, "/embeddings"):
		return "embeddings"
	}
	if call.Op == "" {
		return "request"
	}
	return strings.ReplaceAll(call.Op, " ", "_")
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
// API error, "timeout", "circuit_open", "stream", "canceled", or the Go type.
func errorType(err error) string {
	var ae *vllm.APIError
	var coe *vllm.CircuitOpenError
	switch {
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.As(err, &coe):
		return "circuit_open"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, vllm.ErrTimeout):
		return "timeout"
	case errors.Is(err, vllm.ErrStream):
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
