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
	opts []Option
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

// TopLogprobs asks for that many alternatives per token (and logprobs).
func (b *ChatBuilder) TopLogprobs(n int) *ChatBuilder {
	if b.req.Logprobs == nil {
		b.req.Logprobs = Ptr(true)
	}
	b.req.TopLogprobs = &n
	return b
}

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

// CompletionBuilder builds a legacy completion request step by step: the
// fluent form of CompletionsService.Create. Get one from
// Client.Completions.Builder.
type CompletionBuilder struct {
	svc  *CompletionsService
	req  CompletionRequest
	opts []Option
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
