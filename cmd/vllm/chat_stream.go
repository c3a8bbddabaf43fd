package main

import (
	"context"

	"github.com/vllmgo/vllm"
)

// streamTurn generates the answer to req, printing it as it arrives.
// (Until the library streams, it prints the whole answer at once.)
func (s *chatSession) streamTurn(ctx context.Context, req *vllm.ChatRequest, out *answerPrinter) (vllm.Message, error) {
	resp, err := s.c.Chat.Create(ctx, req)
	if err != nil {
		return vllm.Message{}, err
	}
	out.reasoning(resp.Reasoning())
	out.content(resp.Content())
	return resp.AssistantMessage(), nil
}
