package exampleenv

import (
	"fmt"
	"strconv"

	"github.com/vllmgo/vllm"
)

// Answer returns the text of a response for printing, or says why there is
// none: a model may call a tool again instead of answering, or run out of
// tokens while thinking.
func Answer(resp *vllm.ChatResponse) string {
	if t := resp.Text(); t != "" {
		return t
	}
	if calls := resp.ToolCalls(); len(calls) > 0 {
		return fmt.Sprintf("(no text: the model called %s(%s) instead of answering)", calls[0].Name, calls[0].Arguments)
	}
	return fmt.Sprintf("(no text: generation ended with finish reason %q)", resp.FinishReason())
}

// Count returns "1 round", "2 rounds": n and the noun, plural unless n is 1.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
