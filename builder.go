package vllm

import "context"

//go:generate go run ./internal/genbuilder

// ChatBuilder builds a chat request step by step and sends it: the fluent
// form of ChatService.Create over the same ChatRequest. Get one from
// Client.Chat.Builder:
//
//	resp, err := c.Chat.Builder().Model("Qwen/Qwen3-8B").
//		System("Be brief.").User("Hello").
//		Temperature(0.7).TopK(50).Send(ctx)
//
// A ChatBuilder is for one goroutine; Send may be called more than once.
type ChatBuilder struct {
	svc  *ChatService
	req  ChatRequest
	opts []RequestOption
}

// Builder starts a fluent chat request; nothing is sent until Send or
// Stream. (openai-go's New sends at once; this name says it does not.)
func (s *ChatService) Builder() *ChatBuilder {
	return &ChatBuilder{svc: s}
}

// Send sends the request with ChatService.Create.
func (b *ChatBuilder) Send(ctx context.Context) (*ChatResponse, error) {
	return b.svc.Create(ctx, &b.req, b.opts...)
}

// Model sets the served model name.
func (b *ChatBuilder) Model(model string) *ChatBuilder { b.req.Model = model; return b }

// Messages appends messages to the conversation.
func (b *ChatBuilder) Messages(msgs ...Message) *ChatBuilder {
	b.req.Messages = append(b.req.Messages, msgs...)
	return b
}

// System appends a system message.
func (b *ChatBuilder) System(text string) *ChatBuilder { return b.Messages(System(text)) }

// Developer appends a developer message.
func (b *ChatBuilder) Developer(text string) *ChatBuilder { return b.Messages(Developer(text)) }

// User appends a user message with text content.
func (b *ChatBuilder) User(text string) *ChatBuilder { return b.Messages(User(text)) }

// UserParts appends a user message made of parts (text, images, audio,
// video).
func (b *ChatBuilder) UserParts(parts ...ContentPart) *ChatBuilder {
	return b.Messages(UserParts(parts...))
}

// Assistant appends an assistant message with text content.
func (b *ChatBuilder) Assistant(text string) *ChatBuilder { return b.Messages(Assistant(text)) }

// Tools adds tools the model may call.
func (b *ChatBuilder) Tools(tools ...Tool) *ChatBuilder {
	b.req.Tools = append(b.req.Tools, tools...)
	return b
}

// ToolChoice sets tool_choice: ToolChoiceAuto, ToolChoiceNone,
// ToolChoiceRequired or ToolChoiceFunction(name).
func (b *ChatBuilder) ToolChoice(tc ToolChoice) *ChatBuilder { b.req.ToolChoice = tc; return b }

// ParallelToolCalls sets parallel_tool_calls.
func (b *ChatBuilder) ParallelToolCalls(v bool) *ChatBuilder {
	b.req.ParallelToolCalls = &v
	return b
}

// MaxCompletionTokens sets max_completion_tokens.
func (b *ChatBuilder) MaxCompletionTokens(n int) *ChatBuilder {
	b.req.MaxCompletionTokens = &n
	return b
}

// Logprobs asks for the sampled tokens' log probabilities.
func (b *ChatBuilder) Logprobs(v bool) *ChatBuilder { b.req.Logprobs = &v; return b }

// TopLogprobs asks for that many alternatives per token (and logprobs).
func (b *ChatBuilder) TopLogprobs(n int) *ChatBuilder {
	if b.req.Logprobs == nil {
		b.req.Logprobs = Ptr(true)
	}
	b.req.TopLogprobs = &n
	return b
}

// ReasoningEffort sets reasoning_effort ("low", "medium", "high").
func (b *ChatBuilder) ReasoningEffort(effort string) *ChatBuilder {
	b.req.ReasoningEffort = effort
	return b
}

// IncludeReasoning sets include_reasoning (vLLM): false drops the reasoning
// from the response.
func (b *ChatBuilder) IncludeReasoning(v bool) *ChatBuilder { b.req.IncludeReasoning = &v; return b }

// ThinkingTokenBudget sets thinking_token_budget (newer vLLM), the limit of
// reasoning tokens; -1 means unlimited.
func (b *ChatBuilder) ThinkingTokenBudget(n int) *ChatBuilder {
	b.req.ThinkingTokenBudget = &n
	return b
}

// ChatTemplate sets chat_template, a Jinja template replacing the model's.
func (b *ChatBuilder) ChatTemplate(tmpl string) *ChatBuilder { b.req.ChatTemplate = tmpl; return b }

// ChatTemplateKwargs adds arguments for the chat template
// (chat_template_kwargs), keeping those set before.
func (b *ChatBuilder) ChatTemplateKwargs(kwargs map[string]any) *ChatBuilder {
	if b.req.ChatTemplateKwargs == nil {
		b.req.ChatTemplateKwargs = make(map[string]any, len(kwargs))
	}
	for k, v := range kwargs {
		b.req.ChatTemplateKwargs[k] = v
	}
	return b
}

// EnableThinking sets chat_template_kwargs.enable_thinking, the switch of
// Qwen3-style templates for the model's thinking mode.
func (b *ChatBuilder) EnableThinking(on bool) *ChatBuilder {
	return b.ChatTemplateKwargs(map[string]any{"enable_thinking": on})
}

// AddGenerationPrompt sets add_generation_prompt.
func (b *ChatBuilder) AddGenerationPrompt(v bool) *ChatBuilder {
	b.req.AddGenerationPrompt = &v
	return b
}

// ContinueFinalMessage sets continue_final_message: the model continues the
// last (assistant) message instead of starting a new one.
func (b *ChatBuilder) ContinueFinalMessage(v bool) *ChatBuilder {
	b.req.ContinueFinalMessage = &v
	return b
}

// Echo sets echo: the response repeats the last message.
func (b *ChatBuilder) Echo(v bool) *ChatBuilder { b.req.Echo = &v; return b }

// CompletionBuilder builds a legacy completion request step by step: the
// fluent form of CompletionsService.Create. Get one from
// Client.Completions.Builder.
type CompletionBuilder struct {
	svc  *CompletionsService
	req  CompletionRequest
	opts []RequestOption
}

// Builder starts a fluent completion request; nothing is sent until Send
// or Stream.
func (s *CompletionsService) Builder() *CompletionBuilder {
	return &CompletionBuilder{svc: s}
}

// Send sends the request with CompletionsService.Create.
func (b *CompletionBuilder) Send(ctx context.Context) (*CompletionResponse, error) {
	return b.svc.Create(ctx, &b.req, b.opts...)
}

// Model sets the served model name.
func (b *CompletionBuilder) Model(model string) *CompletionBuilder { b.req.Model = model; return b }

// Prompt sets a single text prompt.
func (b *CompletionBuilder) Prompt(text string) *CompletionBuilder {
	b.req.Prompt = PromptText(text)
	return b
}

// Prompts sets a batch of text prompts.
func (b *CompletionBuilder) Prompts(texts ...string) *CompletionBuilder {
	b.req.Prompt = PromptTexts(texts...)
	return b
}

// PromptTokens sets a single prompt given as token ids.
func (b *CompletionBuilder) PromptTokens(ids ...int) *CompletionBuilder {
	b.req.Prompt = PromptTokens(ids...)
	return b
}

// Suffix sets suffix, text to follow the completion.
func (b *CompletionBuilder) Suffix(s string) *CompletionBuilder { b.req.Suffix = &s; return b }

// Echo sets echo: the prompt is returned with the completion.
func (b *CompletionBuilder) Echo(v bool) *CompletionBuilder { b.req.Echo = &v; return b }

// Logprobs asks for the log probabilities of that many top tokens.
func (b *CompletionBuilder) Logprobs(n int) *CompletionBuilder { b.req.Logprobs = &n; return b }
