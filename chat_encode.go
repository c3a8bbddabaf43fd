package vllm

import (
	"math"
	"strconv"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// Direct encoding of a chat request body. encoding/json walks ChatRequest's
// sixty-odd fields by reflection for every call, most of them unset; for a
// request whose set fields are all plain values (strings, numbers, booleans,
// lists of them, messages) appendChatRequest writes the same bytes directly.
// Anything else (tools, a tool choice, maps, raw JSON, response formats,
// structured outputs, Extra, a float encoding/json refuses) makes it give
// up, and marshal uses encoding/json as before. TestChatRequestEncodeMatches
// and FuzzChatRequestEncode check the output against encoding/json byte for
// byte, field by field, on random requests.

// appendChatRequest appends the body of r (with "stream": true when stream
// is set) exactly as encoding/json encodes chatWire, or returns false when r
// has a field it does not write.
func appendChatRequest(b []byte, r *ChatRequest, stream bool) ([]byte, bool) {
	p := &r.SamplingParams
	if len(r.Extra) > 0 || len(r.Tools) > 0 || r.ToolChoice != "" || len(r.ChatTemplateKwargs) > 0 ||
		r.Documents != nil || len(r.MMProcessorKwargs) > 0 || len(p.LogitBias) > 0 ||
		p.ResponseFormat != nil || p.StructuredOutputs != nil || len(p.KVTransferParams) > 0 {
		return b, false
	}
	for _, f := range [...]*float64{p.Temperature, p.TopP, p.PresencePenalty, p.FrequencyPenalty, p.MinP, p.RepetitionPenalty, p.LengthPenalty} {
		if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
			return b, false // encoding/json refuses them with an error
		}
	}
	b = append(b, `{"model":`...)
	b = jsonstr.AppendGo(b, r.Model)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			m := &r.Messages[i]
			if m.Parts == nil && len(m.ToolCalls) == 0 {
				b = m.appendText(b)
				continue
			}
			mb, err := m.MarshalJSON()
			if err != nil {
				return b, false
			}
			b = append(b, mb...)
		}
		b = append(b, ']')
	}
	b = appendSamplingParams(b, p, stream)
	b = appendOptInt(b, `,"max_completion_tokens":`, r.MaxCompletionTokens)
	b = appendOptBool(b, `,"logprobs":`, r.Logprobs)
	b = appendOptInt(b, `,"top_logprobs":`, r.TopLogprobs)
	b = appendOptBool(b, `,"parallel_tool_calls":`, r.ParallelToolCalls)
	b = appendOptString(b, `,"reasoning_effort":`, r.ReasoningEffort)
	b = appendOptBool(b, `,"include_reasoning":`, r.IncludeReasoning)
	b = appendOptInt(b, `,"thinking_token_budget":`, r.ThinkingTokenBudget)
	b = appendOptString(b, `,"chat_template":`, r.ChatTemplate)
	b = appendOptBool(b, `,"add_generation_prompt":`, r.AddGenerationPrompt)
	b = appendOptBool(b, `,"continue_final_message":`, r.ContinueFinalMessage)
	b = appendOptBool(b, `,"echo":`, r.Echo)
	if stream {
		b = append(b, `,"stream":true`...)
	}
	return append(b, '}'), true
}

// appendSamplingParams appends the members of p that are set, in field
// order. stream false leaves out stream_options, as marshal does for Create.
func appendSamplingParams(b []byte, p *SamplingParams, stream bool) []byte {
	b = appendOptFloat(b, `,"temperature":`, p.Temperature)
	b = appendOptFloat(b, `,"top_p":`, p.TopP)
	b = appendOptInt(b, `,"max_tokens":`, p.MaxTokens)
	b = appendOptInt(b, `,"n":`, p.N)
	b = appendList(b, `,"stop":`, p.Stop, jsonstr.AppendGo)
	if p.Seed != nil {
		b = append(b, `,"seed":`...)
		b = strconv.AppendInt(b, *p.Seed, 10)
	}
	b = appendOptFloat(b, `,"presence_penalty":`, p.PresencePenalty)
	b = appendOptFloat(b, `,"frequency_penalty":`, p.FrequencyPenalty)
	b = appendOptString(b, `,"user":`, p.User)
	if so := p.StreamOptions; so != nil && stream {
		b = append(b, `,"stream_options":{`...)
		n := len(b)
		b = appendOptBool(b, `,"include_usage":`, so.IncludeUsage)
		b = appendOptBool(b, `,"continuous_usage_stats":`, so.ContinuousUsageStats)
		if len(b) > n {
			b = append(b[:n], b[n+1:]...) // the first member's comma
		}
		b = append(b, '}')
	}
	b = appendOptInt(b, `,"top_k":`, p.TopK)
	b = appendOptFloat(b, `,"min_p":`, p.MinP)
	b = appendOptFloat(b, `,"repetition_penalty":`, p.RepetitionPenalty)
	b = appendOptFloat(b, `,"length_penalty":`, p.LengthPenalty)
	b = appendOptInt(b, `,"min_tokens":`, p.MinTokens)
	b = appendList(b, `,"stop_token_ids":`, p.StopTokenIDs, appendInt)
	b = appendOptBool(b, `,"ignore_eos":`, p.IgnoreEOS)
	b = appendOptBool(b, `,"skip_special_tokens":`, p.SkipSpecialTokens)
	b = appendOptBool(b, `,"spaces_between_special_tokens":`, p.SpacesBetweenSpecialTokens)
	b = appendOptBool(b, `,"include_stop_str_in_output":`, p.IncludeStopStrInOutput)
	b = appendOptInt(b, `,"truncate_prompt_tokens":`, p.TruncatePromptTokens)
	b = appendOptInt(b, `,"prompt_logprobs":`, p.PromptLogprobs)
	b = appendList(b, `,"allowed_token_ids":`, p.AllowedTokenIDs, appendInt)
	b = appendList(b, `,"bad_words":`, p.BadWords, jsonstr.AppendGo)
	b = appendOptBool(b, `,"use_beam_search":`, p.UseBeamSearch)
	b = appendOptBool(b, `,"add_special_tokens":`, p.AddSpecialTokens)
	b = appendOptInt(b, `,"priority":`, p.Priority)
	b = appendOptString(b, `,"request_id":`, p.RequestID)
	b = appendOptString(b, `,"cache_salt":`, p.CacheSalt)
	b = appendOptBool(b, `,"return_tokens_as_token_ids":`, p.ReturnTokensAsTokenIDs)
	b = appendOptBool(b, `,"return_token_ids":`, p.ReturnTokenIDs)
	return b
}

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return jsonstr.AppendGo(append(b, key...), s)
}

// appendOptInt appends key and *v unless v is nil (omitempty).
func appendOptInt(b []byte, key string, v *int) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), int64(*v), 10)
}

// appendOptBool appends key and *v unless v is nil (omitempty).
func appendOptBool(b []byte, key string, v *bool) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendBool(append(b, key...), *v)
}

// appendOptFloat appends key and *v unless v is nil (omitempty). NaN and
// infinities are not written: appendChatRequest leaves them to
// encoding/json, which refuses them.
func appendOptFloat(b []byte, key string, v *float64) []byte {
	if v == nil {
		return b
	}
	return appendJSONFloat(append(b, key...), *v)
}

// appendJSONFloat appends f as encoding/json writes a float64: the shortest
// decimal form, in exponent form below 1e-6 and from 1e21 on, with a
// one-digit negative exponent written without its leading zero.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendList appends key and the list unless it is nil (omitzero): an
// empty non-nil list is [].
func appendList[T any](b []byte, key string, vs []T, appendElem func([]byte, T) []byte) []byte {
	if vs == nil {
		return b
	}
	b = append(append(b, key...), '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElem(b, v)
	}
	return append(b, ']')
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }
