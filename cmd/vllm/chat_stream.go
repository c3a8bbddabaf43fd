package main

import (
	"context"

	"github.com/vllmgo/vllm"
)

// streamTurn streams the answer to req, printing reasoning and content as
// they arrive. When ctx is cancelled (Ctrl-C) the stream is closed at once,
// which releases its connection, and context.Canceled is returned; the
// caller keeps what was printed.
func (s *chatSession) streamTurn(ctx context.Context, req *vllm.ChatRequest, out *answerPrinter) (vllm.Message, error) {
	st, err := s.c.Chat.Stream(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return vllm.Message{}, context.Canceled
		}
		return vllm.Message{}, err
	}
	defer st.Close()
	for ev, err := range st.Events() {
		if err != nil {
			if ctx.Err() != nil {
				return vllm.Message{}, context.Canceled
			}
			return vllm.Message{}, err
		}
		switch ev.Type {
		case vllm.EventReasoning:
			out.reasoning(ev.Text)
		case vllm.EventContent:
			out.content(ev.Text)
		case vllm.EventToolCallDone:
			out.toolCall(ev.ToolCall)
		}
	}
	resp, err := st.Collect()
	if err != nil {
		return vllm.Message{}, err
	}
	return resp.AssistantMessage(), nil
}
