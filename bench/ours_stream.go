package bench

import (
	"context"
	"net/http"
	"strings"

	"github.com/vllmgo/vllm"
)

// oursStream reads a chat stream with this module's client the way a caller
// keeping the text would: the Events iterator, every content and reasoning
// delta appended to a builder, tool calls taken whole from the
// tool-call-done events.
func oursStream(ctx context.Context, c *vllm.Client, req *vllm.ChatRequest) (Result, error) {
	s, err := c.Chat.Stream(ctx, req)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	var res Result
	var content, reasoning strings.Builder
	for ev, err := range s.Events() {
		if err != nil {
			return res, err
		}
		switch ev.Type {
		case vllm.EventContent:
			content.WriteString(ev.Text)
		case vllm.EventReasoning:
			reasoning.WriteString(ev.Text)
		case vllm.EventToolCallDone:
			tc := ev.ToolCall
			res.ToolCalls = append(res.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		case vllm.EventUsage:
			res.Usage = Usage{ev.Usage.PromptTokens, ev.Usage.CompletionTokens, ev.Usage.TotalTokens}
		case vllm.EventFinish:
			res.FinishReason = ev.FinishReason
		}
	}
	res.Content, res.Reasoning = content.String(), reasoning.String()
	return res, nil
}

// oursExtraRows is the other way of reading a stream with this module:
// Collect (the accumulated response). It reads streams only.
func oursExtraRows(baseURL string) []*Row {
	collect := func(ctx context.Context, c *vllm.Client, req *vllm.ChatRequest) (Result, error) {
		s, err := c.Chat.Stream(ctx, req)
		if err != nil {
			return Result{}, err
		}
		resp, err := s.Collect()
		if err != nil {
			return Result{}, err
		}
		return oursResult(resp), nil
	}
	return []*Row{oursRow(baseURL, RowOursCollect, collect)}
}

func oursRow(baseURL, name string, read func(context.Context, *vllm.Client, *vllm.ChatRequest) (Result, error)) *Row {
	tr := NewTransport()
	client, err := vllm.New(baseURL, vllm.WithAPIKey(apiKey), vllm.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		panic(err) // the base URL comes from our own server
	}
	do := func(ctx context.Context, sc *Scenario) (Result, error) {
		return read(ctx, client, &vllm.ChatRequest{Model: sc.Name, Messages: []vllm.Message{vllm.User(userPrompt)}})
	}
	return &Row{Name: name, Do: do, StreamOnly: true, transport: tr}
}
