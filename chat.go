package vllm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// ChatService calls /v1/chat/completions. Use it through Client.Chat.
type ChatService struct{ c *Client }

// ChatRequest is a request to /v1/chat/completions.
//
// Fields left at their zero value are not sent. Sampling settings live in the
// embedded SamplingParams (set them as req.Temperature = vllm.Ptr(0.7), or in
// a literal as SamplingParams: vllm.SamplingParams{…}); the fluent builder
// (ChatService.Builder) sets them directly.
type ChatRequest struct {
	// Model is the served model name (required).
	Model string `json:"model"`
	// Messages is the conversation (required, at least one).
	Messages []Message `json:"messages"`

	SamplingParams

	// MaxCompletionTokens is OpenAI's newer name for MaxTokens.
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	// Logprobs asks for the sampled tokens' log probabilities; TopLogprobs
	// for that many alternatives per token.
	Logprobs    *bool `json:"logprobs,omitempty"`
	TopLogprobs *int  `json:"top_logprobs,omitempty"` // alternatives per token (with Logprobs)

	// Tools the model may call, and whether/which it must. An empty list
	// is left out of the body (vLLM rejects "tools": []).
	Tools             []Tool     `json:"tools,omitempty"`
	ToolChoice        ToolChoice `json:"tool_choice,omitzero"`          // auto, none, required or a named function
	ParallelToolCalls *bool      `json:"parallel_tool_calls,omitempty"` // allow several calls in one turn (server default true)

	// ReasoningEffort is "low", "medium" or "high" for models that take it
	// (current vLLM also accepts "none", "minimal", "xhigh" and "max").
	ReasoningEffort string `json:"reasoning_effort,omitempty"`
	// IncludeReasoning (vLLM) set to false drops the reasoning from the
	// response; the server's default is to include it.
	IncludeReasoning *bool `json:"include_reasoning,omitempty"`
	// ThinkingTokenBudget (newer vLLM) bounds the reasoning tokens; -1 means
	// unlimited.
	ThinkingTokenBudget *int `json:"thinking_token_budget,omitempty"`

	// Chat template settings (vLLM).
	ChatTemplate         string              `json:"chat_template,omitempty"`
	ChatTemplateKwargs   map[string]any      `json:"chat_template_kwargs,omitempty"`   // arguments for the template, e.g. enable_thinking
	AddGenerationPrompt  *bool               `json:"add_generation_prompt,omitempty"`  // add the assistant prompt (server default true)
	ContinueFinalMessage *bool               `json:"continue_final_message,omitempty"` // continue the last message instead of a new one
	Echo                 *bool               `json:"echo,omitempty"`                   // repeat the last message in the response
	Documents            []map[string]string `json:"documents,omitzero"`               // documents for RAG templates ({"title", "text"})
	MMProcessorKwargs    map[string]any      `json:"mm_processor_kwargs,omitempty"`    // arguments for the multi-modal processor

	// Extra holds fields sent at the top level of the body beyond the typed
	// ones. An Extra key that names a typed field replaces that field's
	// value in place (Extra wins; a nil value sends null); other keys follow
	// the typed fields in sorted order. "stream" is rejected: the method
	// (Create or Stream) sets it.
	Extra map[string]any `json:"-"`
}

// chatRequestAlias has ChatRequest's fields without its methods.
type chatRequestAlias ChatRequest

// chatWire adds the stream flag, which the service method sets.
type chatWire struct {
	*chatRequestAlias
	Stream bool `json:"stream,omitempty"`
}

// MarshalJSON encodes the request body, merging Extra (see ChatRequest.Extra).
func (r *ChatRequest) MarshalJSON() ([]byte, error) {
	return r.marshal(false)
}

// marshal encodes the body of Create (stream false) or Stream. vLLM refuses
// stream_options without stream, so Create leaves it out.
func (r *ChatRequest) marshal(stream bool) ([]byte, error) {
	if b, ok := appendChatRequest(make([]byte, 0, r.bodySizeHint()), r, stream); ok {
		return b, nil
	}
	return r.marshalReflect(stream)
}

// marshalReflect is marshal through encoding/json, for the requests
// appendChatRequest does not write.
func (r *ChatRequest) marshalReflect(stream bool) ([]byte, error) {
	if !stream && r.StreamOptions != nil {
		cp := *r
		cp.StreamOptions = nil
		r = &cp
	}
	return marshalWithExtra(chatWire{(*chatRequestAlias)(r), stream}, r.Extra)
}

// bodySizeHint is room for a body of plain messages, a few settings and the
// stream members: the keys of a message take 32 bytes, the rest of the body
// with a few settings 112.
func (r *ChatRequest) bodySizeHint() int {
	n := 112 + len(r.Model)
	for i := range r.Messages {
		m := &r.Messages[i]
		n += 32 + len(m.Role) + len(m.Content) + len(m.Name) + len(m.Reasoning) + len(m.Refusal) + len(m.ToolCallID)
	}
	return n
}

// Validate checks the request for mistakes that the server would reject, and
// returns a *ParamError naming the first offending field. Create and Stream
// run it before sending; it is exported, unlike the other requests' checks,
// for a caller that checks sampling values away from any call: the vllm
// command reports a bad sampling flag as a usage error with it, before it
// reaches a server.
func (r *ChatRequest) Validate() error {
	if r == nil {
		return missing("request")
	}
	if r.Model == "" {
		return missing("model")
	}
	if len(r.Messages) == 0 {
		return missing("messages")
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		// The field's name is built only for an error: Validate runs on
		// every call, over every message of the conversation.
		field := func() string { return "messages[" + strconv.Itoa(i) + "]" }
		switch m.Role {
		case "":
			return missing(field() + ".role")
		case RoleTool:
			if m.ToolCallID == "" {
				return missing(field() + ".tool_call_id")
			}
		}
		for j := range m.Parts {
			if err := m.Parts[j].validate(func() string { return field() + ".content[" + strconv.Itoa(j) + "]" }); err != nil {
				return err
			}
		}
	}
	for i, t := range r.Tools {
		if t.Function.Name == "" {
			return missing("tools[" + strconv.Itoa(i) + "].function.name")
		}
	}
	if err := r.validateChoices(); err != nil {
		return err
	}
	if err := checkExtra(r.Extra); err != nil {
		return err
	}
	return r.SamplingParams.validate()
}

// validateChoices checks top_logprobs and tool_choice against the fields
// they depend on, as vLLM's request validators do.
func (r *ChatRequest) validateChoices() error {
	if n := r.TopLogprobs; n != nil {
		if *n < -1 {
			return invalid("top_logprobs", "must be -1 or at least 0, got %d", *n)
		}
		if (*n == -1 || *n > 0) && (r.Logprobs == nil || !*r.Logprobs) {
			return invalid("top_logprobs", "needs logprobs set to true")
		}
	}
	if (r.ToolChoice == ToolChoiceRequired || r.ToolChoice.isFunction()) && len(r.Tools) == 0 {
		return invalid("tool_choice", "%q needs tools", string(r.ToolChoice))
	}
	if r.ToolChoice.isFunction() {
		name := r.ToolChoice.Function()
		if name == "" {
			return missing("tool_choice.function.name")
		}
		for _, t := range r.Tools {
			if t.Function.Name == name {
				return nil
			}
		}
		return invalid("tool_choice.function.name", "%q is not among the tools", name)
	}
	return nil
}

// checkExtra rejects Extra keys that the methods set themselves.
func checkExtra(extra map[string]any) error {
	if _, ok := extra["stream"]; ok {
		return invalid("Extra[stream]", "is set by the method: call Create or Stream")
	}
	return nil
}

// validate checks ranges the server would reject.
func (p *SamplingParams) validate() error {
	if p.N != nil && *p.N < 1 {
		return invalid("n", "must be at least 1, got %d", *p.N)
	}
	if p.MaxTokens != nil && *p.MaxTokens < 0 {
		return invalid("max_tokens", "must not be negative, got %d", *p.MaxTokens)
	}
	if p.Temperature != nil && *p.Temperature < 0 {
		return invalid("temperature", "must not be negative, got %v", *p.Temperature)
	}
	if p.TopP != nil && (*p.TopP <= 0 || *p.TopP > 1) {
		return invalid("top_p", "must be in (0, 1], got %v", *p.TopP)
	}
	if p.TopK != nil && *p.TopK < -1 {
		return invalid("top_k", "must be -1, 0 or positive, got %d", *p.TopK)
	}
	if p.MinP != nil && (*p.MinP < 0 || *p.MinP > 1) {
		return invalid("min_p", "must be in [0, 1], got %v", *p.MinP)
	}
	if p.StructuredOutputs != nil {
		return p.StructuredOutputs.validate()
	}
	return nil
}

// ChatResponse is a response of /v1/chat/completions.
type ChatResponse struct {
	ID      string       `json:"id"`      // "chatcmpl-…"
	Object  string       `json:"object"`  // "chat.completion"
	Created int64        `json:"created"` // Unix seconds
	Model   string       `json:"model"`   // the model that answered
	Choices []ChatChoice `json:"choices"` // one per n
	Usage   *Usage       `json:"usage"`   // token counts

	SystemFingerprint string `json:"system_fingerprint,omitempty"` // e.g. "vllm-0.12.0-…"
	ServiceTier       string `json:"service_tier,omitempty"`       // OpenAI service tier (null from vLLM)
	// vLLM-only fields, raw: per-prompt-token logprobs, the prompt's token
	// ids, and disaggregated-serving transfer parameters. Sent as null, the
	// raw ones are nil in a response from Create (a plain json.Unmarshal
	// keeps the literal null).
	PromptLogprobs   json.RawMessage `json:"prompt_logprobs,omitempty"`
	PromptTokenIDs   []int           `json:"prompt_token_ids,omitempty"`   // the prompt's token ids, when requested
	KVTransferParams json.RawMessage `json:"kv_transfer_params,omitempty"` // disaggregated-serving parameters, raw

	// Raw is the response body exactly as received; fields not typed here
	// are read from it.
	Raw json.RawMessage `json:"-"`
}

// setRaw keeps the body and leaves vLLM-only fields sent as null nil.
func (r *ChatResponse) setRaw(b json.RawMessage) {
	r.Raw = b
	r.PromptLogprobs = nilIfNull(r.PromptLogprobs)
	r.KVTransferParams = nilIfNull(r.KVTransferParams)
}

// nilIfNull returns nil for an absent or JSON null raw value.
func nilIfNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

// ChatChoice is one choice of a chat response (n > 1 gives several).
type ChatChoice struct {
	Index        int           `json:"index"`         // position among the choices
	Message      Message       `json:"message"`       // the assistant message
	Logprobs     *ChatLogprobs `json:"logprobs"`      // when requested
	FinishReason string        `json:"finish_reason"` // "stop", "length", "tool_calls", "abort", …
	// StopReason (vLLM) is the stop string or token that ended generation.
	StopReason *StopReason `json:"stop_reason"`
	// TokenIDs are the generated token ids, when requested (vLLM).
	TokenIDs []int `json:"token_ids,omitempty"`
}

// first returns the first choice, or nil.
func (r *ChatResponse) first() *ChatChoice {
	if r == nil || len(r.Choices) == 0 {
		return nil
	}
	return &r.Choices[0]
}

// Text returns the first choice's content, or "" when the response has
// none: no choice, or a null content (an answer made only of tool calls —
// see ToolCalls — or cut before any text — see FinishReason).
func (r *ChatResponse) Text() string {
	if c := r.first(); c != nil {
		return c.Message.Content
	}
	return ""
}

// Reasoning returns the first choice's reasoning, whichever field name the
// server used, or "".
func (r *ChatResponse) Reasoning() string {
	if c := r.first(); c != nil {
		return c.Message.Reasoning
	}
	return ""
}

// FinishReason returns the first choice's finish reason.
func (r *ChatResponse) FinishReason() string {
	if c := r.first(); c != nil {
		return c.FinishReason
	}
	return ""
}

// ToolCalls returns the first choice's tool calls.
func (r *ChatResponse) ToolCalls() []ToolCall {
	if c := r.first(); c != nil {
		return c.Message.ToolCalls
	}
	return nil
}

// AssistantMessage returns the first choice's message, ready to append to
// the conversation for the next turn: content (null when there is none) and
// tool calls. Reasoning is dropped, since most chat templates discard it and
// sending it back wastes context. For models whose templates expect their
// earlier reasoning back (interleaved thinking: Kimi K2, gpt-oss), set it
// again: m.Reasoning = resp.Reasoning() is sent as "reasoning", the field
// current vLLM reads.
func (r *ChatResponse) AssistantMessage() Message {
	return r.first().AssistantMessage()
}

// AssistantMessage is ChatResponse.AssistantMessage for this choice, for
// picking one of several (n > 1); its reasoning is c.Message.Reasoning. A nil
// choice gives an empty assistant message.
func (c *ChatChoice) AssistantMessage() Message {
	if c == nil {
		return Message{Role: RoleAssistant}
	}
	m := c.Message
	m.Role = RoleAssistant
	m.Refusal = ""
	m.Reasoning = ""
	return m
}

// Create sends a chat completion request and waits for the whole response.
func (s *ChatService) Create(ctx context.Context, req *ChatRequest, opts ...Option) (*ChatResponse, error) {
	ar, err := s.request(req, false, opts)
	if err != nil {
		return nil, err
	}
	return s.do(ctx, ar)
}

// do sends a non-streaming chat request and decodes its response, splitting
// <think> out of the content when the call asked for it (WithThinkSplit).
func (s *ChatService) do(ctx context.Context, ar *apiRequest) (*ChatResponse, error) {
	var w chatResponseIn
	if err := s.c.doJSON(ctx, ar, &w); err != nil {
		return nil, err
	}
	resp := w.response()
	if ar.rc.stream.splitThink {
		resp.splitThink(ar.rc.stream.startInThink)
	}
	return resp, nil
}

// chatResponseIn decodes a chat response in one pass: its choices and
// messages are wire types without UnmarshalJSON methods of their own, so
// encoding/json does not scan them again (a json.Unmarshal into
// ChatResponse gives the same result, more slowly).
type chatResponseIn struct {
	chatResponseFields
	Choices []chatChoiceIn `json:"choices"`
	raw     json.RawMessage
	// direct is the response decodeFast decoded, which response returns
	// as it is.
	direct *ChatResponse
}

type chatResponseFields ChatResponse

type chatChoiceIn struct {
	chatChoiceFields
	Message *messageIn `json:"message"`
}

type chatChoiceFields ChatChoice

func (w *chatResponseIn) setRaw(b json.RawMessage) { w.raw = b }

func (w *chatResponseIn) response() *ChatResponse {
	if w.direct != nil {
		w.direct.setRaw(w.raw)
		return w.direct
	}
	r := ChatResponse(w.chatResponseFields)
	if w.Choices != nil {
		r.Choices = make([]ChatChoice, len(w.Choices))
		for i := range w.Choices {
			c := &w.Choices[i]
			r.Choices[i] = ChatChoice(c.chatChoiceFields)
			if c.Message != nil {
				r.Choices[i].Message = c.Message.message()
			}
		}
	}
	r.setRaw(w.raw)
	return &r
}

// request validates and encodes req into the API request for Create or Stream.
func (s *ChatService) request(req *ChatRequest, stream bool, opts []Option) (*apiRequest, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	body, err := req.marshal(stream)
	if err != nil {
		return nil, &ParamError{Field: "chat request", Reason: "cannot be encoded as JSON: " + err.Error()}
	}
	return &apiRequest{
		method: http.MethodPost, path: "/chat/completions", op: "chat completion", model: req.Model,
		body: body, contentType: "application/json", stream: stream, opts: opts,
	}, nil
}
