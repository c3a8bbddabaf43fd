package compat

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/respjson"
	"github.com/vllmgo/vllm/vllmtest"
)

// The scripted answers every client must read back exactly.
var (
	textReply = vllmtest.Reply{Content: "The weather in Paris is sunny, 21°C.", Reasoning: "The user asks about the weather; answer briefly."}
	toolReply = vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{
		{ID: "chatcmpl-tool-0123456789abcdef0123456789abcdef", Name: "get_weather", Arguments: `{"city": "Paris", "unit": "celsius"}`},
		{ID: "chatcmpl-tool-fedcba9876543210fedcba9876543210", Name: "get_time", Arguments: `{"tz": "Europe/Paris"}`},
	}}
)

func newOpenAI(srv *vllmtest.Server) *openai.Client {
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/"), option.WithAPIKey("sk-compat"), option.WithMaxRetries(0))
	return &c
}

func openaiParams(tools bool) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
	}
	if tools {
		for _, name := range []string{"get_weather", "get_time"} {
			p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
				Name:       name,
				Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{}},
			}))
		}
	}
	return p
}

// rawString decodes the JSON string held by an extra field. openai-go keeps
// fields it does not model with their raw JSON (and reports them as not
// Valid, having no type to check them against).
func rawString(t *testing.T, f respjson.Field) string {
	t.Helper()
	if f.Raw() == "" || f.Raw() == respjson.Null {
		return ""
	}
	var s string
	if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
		t.Fatalf("extra field %q: %v", f.Raw(), err)
	}
	return s
}

func newServer(t *testing.T, opts ...vllmtest.Option) *vllmtest.Server {
	t.Helper()
	srv := vllmtest.NewServer(append([]vllmtest.Option{vllmtest.WithModel("m"), vllmtest.WithAPIKey("sk-compat")}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAIGoChat(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(textReply)
	resp, err := newOpenAI(srv).Chat.Completions.New(context.Background(), openaiParams(false))
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if msg.Content != textReply.Content || resp.Choices[0].FinishReason != "stop" || resp.Model != "m" {
		t.Fatalf("response %+v", resp)
	}
	if got := rawString(t, msg.JSON.ExtraFields["reasoning"]); got != textReply.Reasoning {
		t.Fatalf("reasoning %q", got)
	}
	if resp.Usage.CompletionTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Fatalf("usage %+v", resp.Usage)
	}
}

func TestOpenAIGoStream(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(textReply)
	p := openaiParams(false)
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := newOpenAI(srv).Chat.Completions.NewStreaming(context.Background(), p)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	var content, reasoning string
	chunks := 0
	for stream.Next() {
		ch := stream.Current()
		chunks++
		if !acc.AddChunk(ch) {
			t.Fatalf("accumulator rejected chunk %d: %s", chunks, ch.RawJSON())
		}
		if len(ch.Choices) > 0 {
			content += ch.Choices[0].Delta.Content
			reasoning += rawString(t, ch.Choices[0].Delta.JSON.ExtraFields["reasoning"])
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if content != textReply.Content || reasoning != textReply.Reasoning {
		t.Fatalf("content %q reasoning %q", content, reasoning)
	}
	if acc.Choices[0].Message.Content != textReply.Content || acc.Choices[0].FinishReason != "stop" || acc.Usage.TotalTokens == 0 {
		t.Fatalf("accumulated %+v", acc.ChatCompletion)
	}
}

func TestOpenAIGoToolCalls(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(toolReply, toolReply)
	c := newOpenAI(srv)
	resp, err := c.Chat.Completions.New(context.Background(), openaiParams(true))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].FinishReason != "tool_calls" || len(resp.Choices[0].Message.ToolCalls) != 2 {
		t.Fatalf("response %s", resp.RawJSON())
	}
	for i, tc := range resp.Choices[0].Message.ToolCalls {
		want := toolReply.ToolCalls[i]
		if tc.ID != want.ID || tc.Function.Name != want.Name || tc.Function.Arguments != want.Arguments || tc.Type != "function" {
			t.Fatalf("call %d: %+v", i, tc)
		}
	}

	stream := c.Chat.Completions.NewStreaming(context.Background(), openaiParams(true))
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("accumulator rejected %s", stream.Current().RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 2 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("accumulated %+v", acc.Choices[0])
	}
	for i, tc := range calls {
		want := toolReply.ToolCalls[i]
		if tc.ID != want.ID || tc.Function.Name != want.Name || tc.Function.Arguments != want.Arguments {
			t.Fatalf("streamed call %d: %+v", i, tc)
		}
	}
}

// TestOpenAIGoStreamErrorEvent: vLLM's error event inside a stream is
// surfaced by openai-go as an error, not swallowed.
func TestOpenAIGoStreamErrorEvent(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(textReply)
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 2, Status: 500, Message: "engine died"})
	stream := newOpenAI(srv).Chat.Completions.NewStreaming(context.Background(), openaiParams(false))
	defer stream.Close()
	n := 0
	for stream.Next() {
		n++
	}
	if stream.Err() == nil {
		t.Fatalf("error event swallowed after %d chunks", n)
	}
}
