package vllm

// How a generation ended and what it used: finish and stop reasons, token
// usage. Chat, completion and Responses results share them.

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Finish reasons.
const (
	FinishStop      = "stop"
	FinishLength    = "length"
	FinishToolCalls = "tool_calls"
	FinishAbort     = "abort"
	FinishError     = "error"
)

// Usage is the token accounting of a request.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`     // tokens of the prompt
	CompletionTokens int `json:"completion_tokens"` // tokens generated
	TotalTokens      int `json:"total_tokens"`      // prompt + completion
	// PromptTokensDetails is sent by vLLM when prefix-cache details are
	// enabled (null otherwise).
	PromptTokensDetails *PromptTokensDetails `json:"prompt_tokens_details,omitempty"`
	// CompletionTokensDetails is sent by some servers (e.g. reasoning tokens).
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails details the prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"` // prompt tokens served from the prefix cache
	// CreatedCacheTokens is the number of prompt tokens newly written to
	// the prefix cache (current vLLM).
	CreatedCacheTokens int `json:"created_cache_tokens,omitempty"`
	// MultimodalTokens counts the prompt tokens of each modality, e.g.
	// {"image": 64} (current vLLM; nil when absent).
	MultimodalTokens map[string]int `json:"multimodal_tokens,omitempty"`
}

// CompletionTokensDetails details the completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens,omitempty"` // generated tokens spent on reasoning
}

// StopReason is vLLM's stop_reason: what ended generation when it stopped on
// a stop string or stop token. It is nil when generation ended on the model's
// end-of-sequence token or on the length limit.
type StopReason struct {
	// Text is the stop string, when generation stopped on one.
	Text string
	// TokenID is the stop token, when generation stopped on one.
	TokenID int
	// IsToken reports whether TokenID (rather than Text) is set.
	IsToken bool
}

// String returns the stop string, or the token id in decimal.
func (s *StopReason) String() string {
	if s == nil {
		return ""
	}
	if s.IsToken {
		return strconv.Itoa(s.TokenID)
	}
	return s.Text
}

// MarshalJSON encodes the reason as vLLM sends it: a string or an integer.
func (s StopReason) MarshalJSON() ([]byte, error) {
	if s.IsToken {
		return strconv.AppendInt(nil, int64(s.TokenID), 10), nil
	}
	return json.Marshal(s.Text)
}

// UnmarshalJSON decodes a string or an integer.
func (s *StopReason) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		*s = StopReason{}
		return json.Unmarshal(data, &s.Text)
	}
	var id int
	if err := json.Unmarshal(data, &id); err != nil {
		return err
	}
	*s = StopReason{TokenID: id, IsToken: true}
	return nil
}
