package vllm

import "context"

// Stream sends the request as a stream with ChatService.Stream:
//
//	stream, err := c.Chat.Builder().Model("m").User("Hello").Stream(ctx)
func (b *ChatBuilder) Stream(ctx context.Context) (*ChatStream, error) {
	return b.svc.Stream(ctx, &b.req, b.opts...)
}

// Stream sends the request as a stream with CompletionsService.Stream.
func (b *CompletionBuilder) Stream(ctx context.Context) (*CompletionStream, error) {
	return b.svc.Stream(ctx, &b.req, b.opts...)
}
