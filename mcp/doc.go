// Package vllmmcp gives a vLLM agent the tools of MCP (Model Context
// Protocol) servers.
//
// Connect starts or reaches each server (a command speaking MCP on its
// stdin/stdout, a streamable HTTP endpoint, or any transport of the official
// Go SDK, github.com/modelcontextprotocol/go-sdk), and Toolset.Tools returns
// the servers' tools as agent tools: the server's input schema is the tool's
// parameters, a call of the model runs tools/call on the server, and the
// result (text, structured content, or a tool error) becomes the tool message
// the model reads.
//
// Names: a tool keeps its server's name unless two servers offer the same
// name; then each of those is named "<server>__<tool>".
//
// Faults: a server that does not start, or offers a tool whose schema vLLM
// would reject, is an error of Connect or Tools naming the server (and
// tool). A call that times out, fails on the wire, hits a server that has
// exited, or returns a result that does not decode is an error of that call:
// the agent sends it to the model as the tool's result.
//
// The tool list is re-read after a server sends
// notifications/tools/list_changed: the next Tools call returns the new list.
//
// This package lives in its own module so that the library stays free of
// third-party dependencies.
package vllmmcp
