package vllm

import "github.com/vllmgo/vllm/internal/jsonscan"

// jscan decodes stream chunks and chat responses with the minimal JSON
// scanner of internal/jsonscan, adding what is specific to streams: the
// header memo and the templates of text chunks (stream_chunk.go).
type jscan struct {
	jsonscan.Scanner
	// memo lets parseChunk skip a header identical to the last one.
	memo headerMemo
	// Templates of text chunks (see chunkTemplate); texts counts the
	// strings a template may vary in the chunk being decoded, the last of
	// which is at B[spanStart:spanEnd].
	templates          [maxTemplates]chunkTemplate
	ntemplates         int
	nextTemplate       int
	texts              int
	spanStart, spanEnd int
}

// memoChunks turns the header memo and the chunk templates on; tests turn
// it off to check that they never change a stream's events.
var memoChunks = true

// unquoteJSON decodes the JSON string literal b (quotes included), which the
// decoder handing it over has already validated, exactly as encoding/json
// does (see jsonscan.Unquote).
func unquoteJSON(b []byte) string { return jsonscan.Unquote(b) }
