package vllm

// ChatLogprobs are the log probabilities of a chat choice's tokens.
type ChatLogprobs struct {
	Content []TokenLogprob `json:"content"`           // one per generated token
	Refusal []TokenLogprob `json:"refusal,omitempty"` // for a refusal
}

// TokenLogprob is one sampled token with its log probability and the most
// likely alternatives.
type TokenLogprob struct {
	Token       string       `json:"token"`                  // the sampled token
	Logprob     float64      `json:"logprob"`                // its log probability (-9999 when not finite)
	Bytes       []int        `json:"bytes,omitempty"`        // its UTF-8 bytes
	TopLogprobs []TopLogprob `json:"top_logprobs,omitempty"` // the most likely alternatives
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   string  `json:"token"`           // an alternative token
	Logprob float64 `json:"logprob"`         // its log probability
	Bytes   []int   `json:"bytes,omitempty"` // its UTF-8 bytes
}

// CompletionLogprobs are the log probabilities of a legacy completion choice.
type CompletionLogprobs struct {
	TextOffset    []int                `json:"text_offset"`    // offset of each token in the text
	TokenLogprobs []*float64           `json:"token_logprobs"` // per token; null for the first prompt token with echo
	Tokens        []string             `json:"tokens"`         // the tokens
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`   // per token: alternative → logprob
}
