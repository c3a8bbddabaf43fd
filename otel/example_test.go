package vllmotel_test

import (
	"context"
	"fmt"
	"sort"

	"github.com/vllmgo/vllm"
	vllmotel "github.com/vllmgo/vllm/otel"
	"github.com/vllmgo/vllm/vllmtest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Instrument a client: every call becomes a span (with a child span per
// attempt) and feeds the GenAI metrics.
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	inst, err := vllmotel.New(vllmotel.WithTracerProvider(tp), vllmotel.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := vllmtest.NewServer(vllmtest.WithModel("Qwen/Qwen3-8B"))
	defer srv.Close()
	c, _ := vllm.New(srv.URL, inst.Options()...)
	c.Chat.Create(context.Background(), &vllm.ChatRequest{Model: "Qwen/Qwen3-8B", Messages: []vllm.Message{vllm.User("Hi")}})

	for _, s := range spans.Ended() {
		fmt.Println("span:", s.Name(), s.SpanKind())
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names = append(names, m.Name+" ("+m.Unit+")")
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println("metric:", n)
	}
	// Output:
	// span: POST client
	// span: chat Qwen/Qwen3-8B client
	// metric: gen_ai.client.operation.duration (s)
	// metric: gen_ai.client.token.usage ({token})
}
