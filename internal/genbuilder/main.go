// Command genbuilder writes builder_setters.go: the setters of ChatBuilder
// and CompletionBuilder that set one request field each (those of both
// request types, then those of one), and their Extra and per-request
// options. Run it with go generate in the module root.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

// setter describes one method: Name(arg) sets field to arg.
type setter struct {
	name, param, typ, field, doc string
	kind                         string // "ptr" (field = &v), "val" (field = v), "list" (variadic, nil → empty)
}

// setters are those of both builders.
var setters = []setter{
	{"Model", "model", "string", "Model", "sets the served model name.", "val"},
	{"Temperature", "v", "float64", "Temperature", "sets temperature; 0 is sent (greedy sampling).", "ptr"},
	{"TopP", "v", "float64", "TopP", "sets top_p, the nucleus sampling mass in (0, 1].", "ptr"},
	{"MaxTokens", "n", "int", "MaxTokens", "sets max_tokens, the limit of generated tokens.", "ptr"},
	{"N", "n", "int", "N", "sets n, the number of choices to generate.", "ptr"},
	{"Stop", "stop", "string", "Stop", "sets the stop strings; called with none, it sends an empty list.", "list"},
	{"Seed", "seed", "int64", "Seed", "sets seed, for reproducible sampling.", "ptr"},
	{"PresencePenalty", "v", "float64", "PresencePenalty", "sets presence_penalty.", "ptr"},
	{"FrequencyPenalty", "v", "float64", "FrequencyPenalty", "sets frequency_penalty.", "ptr"},
	{"LogitBias", "bias", "map[string]float64", "LogitBias", "sets logit_bias: token id (as a string) to bias.", "val"},
	{"UserID", "id", "string", "User", "sets OpenAI's \"user\" field, an id of the end user.", "val"},
	{"StreamOptions", "o", "StreamOptions", "StreamOptions", "sets stream_options, used by streams only.", "ptr"},
	{"TopK", "k", "int", "TopK", "sets top_k (vLLM); -1 or 0 disables it, and both are sent.", "ptr"},
	{"MinP", "v", "float64", "MinP", "sets min_p (vLLM), in [0, 1].", "ptr"},
	{"RepetitionPenalty", "v", "float64", "RepetitionPenalty", "sets repetition_penalty (vLLM); 1 is neutral.", "ptr"},
	{"LengthPenalty", "v", "float64", "LengthPenalty", "sets length_penalty (vLLM, beam search).", "ptr"},
	{"MinTokens", "n", "int", "MinTokens", "sets min_tokens (vLLM).", "ptr"},
	{"StopTokenIDs", "ids", "int", "StopTokenIDs", "sets stop_token_ids (vLLM); called with none, it sends an empty list.", "list"},
	{"IgnoreEOS", "v", "bool", "IgnoreEOS", "sets ignore_eos (vLLM): keep generating past end-of-sequence.", "ptr"},
	{"SkipSpecialTokens", "v", "bool", "SkipSpecialTokens", "sets skip_special_tokens (vLLM).", "ptr"},
	{"SpacesBetweenSpecialTokens", "v", "bool", "SpacesBetweenSpecialTokens", "sets spaces_between_special_tokens (vLLM).", "ptr"},
	{"IncludeStopStrInOutput", "v", "bool", "IncludeStopStrInOutput", "sets include_stop_str_in_output (vLLM).", "ptr"},
	{"TruncatePromptTokens", "n", "int", "TruncatePromptTokens", "sets truncate_prompt_tokens (vLLM).", "ptr"},
	{"PromptLogprobs", "n", "int", "PromptLogprobs", "sets prompt_logprobs (vLLM): that many top logprobs per prompt token.", "ptr"},
	{"AllowedTokenIDs", "ids", "int", "AllowedTokenIDs", "sets allowed_token_ids (vLLM).", "list"},
	{"BadWords", "words", "string", "BadWords", "sets bad_words (vLLM).", "list"},
	{"UseBeamSearch", "v", "bool", "UseBeamSearch", "sets use_beam_search (vLLM).", "ptr"},
	{"AddSpecialTokens", "v", "bool", "AddSpecialTokens", "sets add_special_tokens (vLLM).", "ptr"},
	{"ResponseFormat", "f", "ResponseFormat", "ResponseFormat", "sets response_format.", "ptr"},
	{"StructuredOutputs", "so", "StructuredOutputs", "StructuredOutputs", "sets structured_outputs (vLLM).", "ptr"},
	{"Priority", "p", "int", "Priority", "sets priority (vLLM, with priority scheduling): lower runs first.", "ptr"},
	{"BodyRequestID", "id", "string", "RequestID", "sets the body's request_id, the id vLLM uses internally; the X-Request-Id header is WithRequestIDFunc or Header.", "val"},
	{"CacheSalt", "salt", "string", "CacheSalt", "sets cache_salt (vLLM), isolating the prefix cache.", "val"},
	{"KVTransferParams", "raw", "json.RawMessage", "KVTransferParams", "sets kv_transfer_params (vLLM, disaggregated serving).", "val"},
	{"ReturnTokensAsTokenIDs", "v", "bool", "ReturnTokensAsTokenIDs", "sets return_tokens_as_token_ids (vLLM).", "ptr"},
	{"ReturnTokenIDs", "v", "bool", "ReturnTokenIDs", "sets return_token_ids (vLLM).", "ptr"},
}

// only are the setters of one builder.
var only = map[string][]setter{
	"ChatBuilder": {
		{"ToolChoice", "tc", "ToolChoice", "ToolChoice", "sets tool_choice: ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired or ToolChoiceFunction(name).", "val"},
		{"ParallelToolCalls", "v", "bool", "ParallelToolCalls", "sets parallel_tool_calls.", "ptr"},
		{"MaxCompletionTokens", "n", "int", "MaxCompletionTokens", "sets max_completion_tokens.", "ptr"},
		{"Logprobs", "v", "bool", "Logprobs", "asks for the sampled tokens' log probabilities.", "ptr"},
		{"ReasoningEffort", "effort", "string", "ReasoningEffort", "sets reasoning_effort (\"low\", \"medium\", \"high\").", "val"},
		{"IncludeReasoning", "v", "bool", "IncludeReasoning", "sets include_reasoning (vLLM): false drops the reasoning from the response.", "ptr"},
		{"ThinkingTokenBudget", "n", "int", "ThinkingTokenBudget", "sets thinking_token_budget (newer vLLM), the limit of reasoning tokens; -1 means unlimited.", "ptr"},
		{"ChatTemplate", "tmpl", "string", "ChatTemplate", "sets chat_template, a Jinja template replacing the model's.", "val"},
		{"AddGenerationPrompt", "v", "bool", "AddGenerationPrompt", "sets add_generation_prompt.", "ptr"},
		{"ContinueFinalMessage", "v", "bool", "ContinueFinalMessage", "sets continue_final_message: the model continues the last (assistant) message instead of starting a new one.", "ptr"},
		{"Echo", "v", "bool", "Echo", "sets echo: the response repeats the last message.", "ptr"},
	},
	"CompletionBuilder": {
		{"Suffix", "s", "string", "Suffix", "sets suffix, text to follow the completion.", "ptr"},
		{"Echo", "v", "bool", "Echo", "sets echo: the prompt is returned with the completion.", "ptr"},
		{"Logprobs", "n", "int", "Logprobs", "asks for the log probabilities of that many top tokens.", "ptr"},
	},
}

func main() {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/genbuilder; DO NOT EDIT.\n\npackage vllm\n\n")
	b.WriteString("import (\n\t\"encoding/json\"\n\t\"time\"\n)\n")
	for _, bt := range []string{"ChatBuilder", "CompletionBuilder"} {
		for _, s := range append(append([]setter{}, setters...), only[bt]...) {
			fmt.Fprintf(&b, "\n// %s %s\n", s.name, s.doc)
			switch s.kind {
			case "ptr":
				fmt.Fprintf(&b, "func (b *%s) %s(%s %s) *%s { b.req.%s = &%s; return b }\n", bt, s.name, s.param, s.typ, bt, s.field, s.param)
			case "val":
				fmt.Fprintf(&b, "func (b *%s) %s(%s %s) *%s { b.req.%s = %s; return b }\n", bt, s.name, s.param, s.typ, bt, s.field, s.param)
			case "list":
				fmt.Fprintf(&b, "func (b *%s) %s(%s ...%s) *%s {\n\tif %s == nil {\n\t\t%s = []%s{}\n\t}\n\tb.req.%s = %s\n\treturn b\n}\n",
					bt, s.name, s.param, s.typ, bt, s.param, s.param, s.typ, s.field, s.param)
			}
		}
		req := strings.TrimSuffix(bt, "Builder") + "Request"
		fmt.Fprintf(&b, `
// Extra sets a field of the request body that has no typed setter. A key
// that names a typed field replaces it (see %[2]s.Extra).
func (b *%[1]s) Extra(key string, value any) *%[1]s {
	if b.req.Extra == nil {
		b.req.Extra = make(map[string]any)
	}
	b.req.Extra[key] = value
	return b
}

// Header sets a header on this request only (WithHeader given to the call).
func (b *%[1]s) Header(name, value string) *%[1]s {
	b.opts = append(b.opts, WithHeader(name, value))
	return b
}

// Timeout overrides the client's timeout for this request (WithTimeout
// given to the call).
func (b *%[1]s) Timeout(d time.Duration) *%[1]s {
	b.opts = append(b.opts, WithTimeout(d))
	return b
}

// Options adds options to this request (those that apply to calls).
func (b *%[1]s) Options(opts ...Option) *%[1]s {
	b.opts = append(b.opts, opts...)
	return b
}

// Request returns the request built so far; changes made to it are sent.
func (b *%[1]s) Request() *%[2]s { return &b.req }

// RequestOptions returns the per-request options set so far (headers,
// timeout).
func (b *%[1]s) RequestOptions() []Option { return b.opts }
`, bt, req)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	out := "builder_setters.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
