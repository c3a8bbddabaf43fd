package compat

import (
	"context"
	"errors"
	"io"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
	"github.com/vllmgo/vllm/vllmtest"
)

func newGoOpenAI(srv *vllmtest.Server) *goopenai.Client {
	cfg := goopenai.DefaultConfig("sk-compat")
	cfg.BaseURL = srv.URL
	return goopenai.NewClientWithConfig(cfg)
}

func goRequest(tools bool) goopenai.ChatCompletionRequest {
	r := goopenai.ChatCompletionRequest{
		Model:    "m",
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "What is the weather in Paris?"}},
	}
	if tools {
		for _, name := range []string{"get_weather", "get_time"} {
			r.Tools = append(r.Tools, goopenai.Tool{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{
				Name: name, Parameters: map[string]any{"type": "object", "properties": map[string]any{}},
			}})
		}
	}
	return r
}

// go-openai reads reasoning only under the old field name,
// reasoning_content: the server emulates a vLLM from before the rename.
func TestGoOpenAIChat(t *testing.T) {
	srv := newServer(t, vllmtest.WithReasoningField("reasoning_content"))
	srv.Enqueue(textReply)
	resp, err := newGoOpenAI(srv).CreateChatCompletion(context.Background(), goRequest(false))
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if msg.Content != textReply.Content || msg.ReasoningContent != textReply.Reasoning || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("response %+v", resp)
	}
	if resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens || resp.Usage.CompletionTokens == 0 {
		t.Fatalf("usage %+v", resp.Usage)
	}
}

// goStreamChunks streams req with go-openai's client and returns every
// chunk up to the end of the stream, failing the test on an error.
func goStreamChunks(t *testing.T, c *goopenai.Client, req goopenai.ChatCompletionRequest) []goopenai.ChatCompletionStreamResponse {
	t.Helper()
	stream, err := c.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var chunks []goopenai.ChatCompletionStreamResponse
	for {
		ch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return chunks
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, ch)
	}
}

func TestGoOpenAIStream(t *testing.T) {
	srv := newServer(t, vllmtest.WithReasoningField("reasoning_content"))
	srv.Enqueue(textReply)
	req := goRequest(false)
	req.StreamOptions = &goopenai.StreamOptions{IncludeUsage: true}
	var content, reasoning, finish string
	var usage *goopenai.Usage
	for _, ch := range goStreamChunks(t, newGoOpenAI(srv), req) {
		if ch.Usage != nil {
			usage = ch.Usage
		}
		for _, c := range ch.Choices {
			content += c.Delta.Content
			reasoning += c.Delta.ReasoningContent
			if c.FinishReason != "" {
				finish = string(c.FinishReason)
			}
		}
	}
	if content != textReply.Content || reasoning != textReply.Reasoning || finish != "stop" || usage == nil || usage.TotalTokens == 0 {
		t.Fatalf("content %q reasoning %q finish %q usage %+v", content, reasoning, finish, usage)
	}
}

func TestGoOpenAIToolCalls(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(toolReply, toolReply)
	c := newGoOpenAI(srv)
	resp, err := c.CreateChatCompletion(context.Background(), goRequest(true))
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 2 || resp.Choices[0].FinishReason != goopenai.FinishReasonToolCalls {
		t.Fatalf("response %+v", resp)
	}
	for i, tc := range calls {
		want := toolReply.ToolCalls[i]
		if tc.ID != want.ID || tc.Function.Name != want.Name || tc.Function.Arguments != want.Arguments {
			t.Fatalf("call %d: %+v", i, tc)
		}
	}

	type call struct{ id, name, args string }
	got := map[int]*call{}
	for _, ch := range goStreamChunks(t, c, goRequest(true)) {
		for _, d := range ch.Choices[0].Delta.ToolCalls {
			if d.Index == nil {
				t.Fatalf("tool call delta without index: %+v", d)
			}
			c := got[*d.Index]
			if c == nil {
				c = &call{}
				got[*d.Index] = c
			}
			c.id += d.ID
			c.name += d.Function.Name
			c.args += d.Function.Arguments
		}
	}
	for i, want := range toolReply.ToolCalls {
		if c := got[i]; c == nil || c.id != want.ID || c.name != want.Name || c.args != want.Arguments {
			t.Fatalf("streamed call %d: %+v", i, got[i])
		}
	}
}
