// Package vllmtest is an in-process HTTP server that speaks vLLM's
// OpenAI-compatible dialect, for testing code that talks to vLLM without a GPU.
//
// A Server answers the routes a vLLM client calls — chat completions and
// legacy completions (JSON and server-sent events), models, embeddings,
// tokenize and detokenize, health, ping and version — in the shapes vLLM
// sends, field order included, and every failure with vLLM's error body and
// status code.
//
//	srv := vllmtest.NewServer(vllmtest.WithModel("Qwen/Qwen3-8B"))
//	defer srv.Close()
//	c, _ := vllm.New(srv.URL) // srv.URL ends in /v1
//
// What the server answers is scriptable per request, in three ways:
//
//   - the default generator derives a deterministic answer from the prompt:
//     a configurable number of tokens (WithTokens), cut short by max_tokens
//     (finish_reason "length") or by a stop string (finish_reason "stop",
//     stop_reason naming it), reasoning when enabled (WithReasoning), and a
//     tool call when tools are offered (arguments built from the tool's
//     parameter schema);
//   - canned replies queued with Server.Enqueue are served in order;
//   - a handler (WithHandler) sees each decoded request and returns its Reply.
//
// Timing is configurable too (WithTTFT, WithITL, WithTokensPerSecond), and so
// are faults: an HTTP error status with a Retry-After, a delay before the
// headers, a connection dropped after N events or N bytes, a truncated JSON
// payload, a stream without "data: [DONE]", an error event inside the
// stream, garbage bytes, a huge event, a stall, a reset connection. Faults
// apply to every request (WithFault), to the next N requests (Server.FailNext)
// or to one request (Reply.Fault from a handler).
//
// Every request is recorded (Server.Requests) with its method, path, headers
// and decoded body, for assertions. When an API key is configured
// (WithAPIKey), requests to paths under /v1, /v2, /inference and /cohere
// without "Authorization: Bearer <key>" are answered 401 with vLLM's body,
// exactly as vLLM does; /health, /ping, /version, /tokenize and /detokenize
// stay open.
//
// Start runs the same server on a given address, for development without a
// GPU (the CLI's "vllm mock").
package vllmtest
