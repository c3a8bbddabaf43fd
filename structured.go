package vllm

// Structured outputs have one path: SamplingParams.StructuredOutputs (vLLM's
// structured_outputs object, with a schema from JSONSchemaFor) or
// SamplingParams.ResponseFormat (OpenAI's response_format), and DecodeJSON to
// read the answer.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// DecodeJSON decodes the first choice's content, a JSON answer to a
// structured-output request, into v. Surrounding whitespace, a Markdown
// code fence and a leading <think>…</think> block (a server without a
// reasoning parser) are tolerated. No content is ErrNoContent; an answer that is not
// valid JSON for v is a *DecodeError, which notes when generation was cut by
// the token limit (finish_reason "length").
func (r *ChatResponse) DecodeJSON(v any) error {
	c := r.first()
	if c == nil || (c.Message.Content == "" && len(c.Message.Parts) == 0) {
		return ErrNoContent
	}
	return decodeStructured(c.Message.Content, c.FinishReason, v)
}

// DecodeJSON decodes the first choice's text into v (see
// ChatResponse.DecodeJSON).
func (r *CompletionResponse) DecodeJSON(v any) error {
	if r == nil || len(r.Choices) == 0 {
		return ErrNoContent
	}
	return decodeStructured(r.Choices[0].Text, r.Choices[0].FinishReason, v)
}

// errTruncated notes a structured answer cut by the token limit.
var errTruncated = errors.New("the answer was cut by the token limit (finish_reason \"length\")")

func decodeStructured(text, finish string, v any) error {
	if strings.Contains(text, thinkCloseTag) {
		// A server without a reasoning parser leaves the thinking in the
		// content: the answer follows it.
		_, text = splitThink(text, false)
	}
	b := bytes.TrimSpace([]byte(text))
	if bytes.HasPrefix(b, []byte("```")) {
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			b = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(b[nl+1:]), []byte("```")))
		}
	}
	if len(b) == 0 {
		return ErrNoContent
	}
	if err := json.Unmarshal(b, v); err != nil {
		if finish == FinishLength {
			err = errors.Join(err, errTruncated)
		}
		return newDecodeError("structured output", b, err)
	}
	return nil
}
