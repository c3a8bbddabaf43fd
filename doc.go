// Package vllm is a client for vLLM's OpenAI-compatible HTTP server.
//
// It speaks vLLM's dialect exactly: every sampling extension vLLM accepts
// (top_k, min_p, repetition_penalty, structured outputs, chat template
// arguments, …) can be sent, typed where it is common and through an Extra map
// where it is not, and every field vLLM returns can be read, typed or raw —
// including reasoning, which vLLM has sent both as "reasoning_content" and as
// "reasoning".
//
// A Client is safe for concurrent use and cheap to share; create one per
// server (or set of replicas) and reuse it:
//
//	c, err := vllm.New("http://localhost:8000/v1", vllm.WithAPIKey(key))
//	resp, err := c.Chat.Create(ctx, &vllm.ChatRequest{
//		Model:    "Qwen/Qwen3-8B",
//		Messages: []vllm.Message{vllm.System("Be brief."), vllm.User("Hello")},
//	})
//	fmt.Println(resp.Text())
//
// The same request in the fluent form (ChatService.Builder) sets the same
// ChatRequest step by step:
//
//	resp, err := c.Chat.Builder().Model("Qwen/Qwen3-8B").
//		System("Be brief.").User("Hello").
//		Temperature(0.7).TopK(50).Extra("min_tokens", 4).Send(ctx)
//
// Fields left unset are not sent; zero values that mean something
// (Temperature 0, TopK -1, an empty Stop list) are sent when set. Extra keys
// that name a typed field replace its value.
//
// Messages carry text or parts: images, audio and video given by URL
// (ImagePart, AudioPart, VideoPart), http(s) or a base64 data URL made from
// bytes or a file by DataURL, which detects the type from the content. Tools are described by raw
// JSON schema (NewTool) or derived from a Go type (ToolFor, JSONSchemaFor);
// a response's AssistantMessage goes back into the history with its tool
// calls, and ToolResult answers a call. For servers without a reasoning
// parser, the request option WithThinkSplit moves <think>…</think> out of
// the content.
//
// Every failure is a typed error: *APIError for an HTTP error answered by the
// server, *ParamError for a request rejected before it was sent,
// *TransportError for a failure to reach the server, *DecodeError for a body
// that could not be decoded, and *StreamError for a stream that failed after it
// started. Use errors.As to inspect them and errors.Is with the sentinel errors
// (ErrTimeout, ErrModelNotFound, …) to classify them; IsRetryable says whether
// trying again may help.
package vllm
