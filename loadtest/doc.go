// Package loadtest is a serving benchmark for vLLM's OpenAI-compatible API,
// measured the way vLLM's own "vllm bench serve" measures: a workload of
// prompts (Random, ShareGPT, Sonnet, PrefixRepetition, Custom) is sent as
// streaming requests on an arrival schedule (all at once, Poisson, gamma
// with a burstiness factor, or a linear/exponential ramp-up), at most
// MaxConcurrency in flight, and each request's time to first token (TTFT),
// inter-token latencies (ITL) and end-to-end latency (E2EL) are recorded.
//
// Run returns a *Result whose fields carry vLLM's figures (completed,
// failed, throughputs, goodput, peak output token throughput, peak
// concurrency, mean/median/std/percentiles of TTFT, TPOT, ITL, E2EL) and the
// per-request arrays. Result marshals to the flat JSON of vLLM's result
// files (same keys, same order) and unmarshals from vLLM's own files, so
// results of either tool can be compared (Compare), swept (Sweep) and drawn
// (WriteReport, a self-contained HTML page with inline SVG charts).
// WriteTable prints the table vLLM prints, line for line.
//
// Token counts come from the server's usage report (every request asks for
// it with stream_options.include_usage), so no tokenizer is needed. Where
// vLLM sizes prompts with a Hugging Face tokenizer, this package estimates
// (about four bytes of English per token) and the server's count is what is
// reported.
//
// The package uses only the standard library.
package loadtest
