package vllm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/vllmgo/vllm"
)

// fakeVLLM stands in for a vLLM server in these examples: it answers every
// request with status and body. (Examples run on loopback: their clients
// are the ones a reader would write.)
func fakeVLLM(status int, body string) *httptest.Server {
	return httptest.NewServer(reply{Status: status, Body: body})
}

// The quick start: one chat completion. Replace srv.URL+"/v1" with your
// server, e.g. "http://localhost:8000/v1".
func Example() {
	srv := fakeVLLM(200, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"Qwen/Qwen3-8B",
		"choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","reasoning":"The capital of France is Paris."},
		"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}}`)
	defer srv.Close()

	c, err := vllm.New(srv.URL + "/v1")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    "Qwen/Qwen3-8B",
		Messages: []vllm.Message{vllm.System("Be brief."), vllm.User("What is the capital of France?")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	fmt.Println(resp.Reasoning())
	fmt.Println(resp.Usage.TotalTokens, "tokens")
	// Output:
	// Paris.
	// The capital of France is Paris.
	// 29 tokens
}

// The fluent builder sets the same ChatRequest step by step, including
// vLLM's sampling extensions and fields without a setter (Extra).
func ExampleChatService_Builder() {
	srv := fakeVLLM(200, `{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	b := c.Chat.Builder().Model("Qwen/Qwen3-8B").
		System("Be brief.").User("Say hello.").
		Temperature(0.7).TopK(50).MinP(0.05).MaxTokens(64).
		EnableThinking(false).
		Extra("repetition_detection", map[string]any{"window": 64})
	body, _ := b.Request().MarshalJSON()
	fmt.Println(string(body))

	resp, err := b.Send(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text())
	// Output:
	// {"model":"Qwen/Qwen3-8B","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"temperature":0.7,"max_tokens":64,"top_k":50,"min_p":0.05,"chat_template_kwargs":{"enable_thinking":false},"repetition_detection":{"window":64}}
	// Hello!
}

// Tools are described by a Go type; the call's arguments decode into it and
// the result goes back as a tool message.
func ExampleToolFor() {
	type weatherArgs struct {
		City string `json:"city" description:"City name"`
		Unit string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
	}
	tool, err := vllm.ToolFor[weatherArgs]("get_weather", "Current weather in a city")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(tool.Function.Parameters))

	srv := fakeVLLM(200, `{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
		{"id":"chatcmpl-tool-1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		"finish_reason":"tool_calls"}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	resp, err := c.Chat.Builder().Model("m").User("Weather in Paris?").
		Tools(tool).ToolChoice(vllm.ToolChoiceAuto).Send(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	calls := resp.ToolCalls()
	if len(calls) == 0 {
		fmt.Println("the model answered directly:", resp.Text())
		return
	}
	call := calls[0]
	var args weatherArgs
	if err := call.DecodeArguments(&args); err != nil {
		log.Fatal(err)
	}
	result, _ := vllm.ToolResult(call.ID, map[string]any{"temp_c": 18})
	history := []vllm.Message{vllm.User("Weather in Paris?"), resp.AssistantMessage(), result}
	fmt.Println(call.Name, args.City, len(history))
	// Output:
	// {"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"],"additionalProperties":false}
	// get_weather Paris 3
}

// A tool call whose arguments are not valid JSON names the tool and shows
// the text.
func ExampleToolCall_DecodeArguments() {
	call := vllm.ToolCall{ID: "chatcmpl-tool-9", Name: "get_weather", Arguments: `{"city": "Par`}
	var args map[string]any
	err := call.DecodeArguments(&args)
	var ae *vllm.ToolArgumentsError
	fmt.Println(errors.As(err, &ae), ae.Tool, ae.Arguments)
	// Output:
	// true get_weather {"city": "Par
}

// An image part takes a URL: http(s), fetched by the server, or a base64
// data URL made by DataURL, whose MIME type is detected from the bytes.
// Several images may share one message.
func ExampleImagePart() {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))

	url, err := vllm.DataURL(&buf)
	if err != nil {
		log.Fatal(err)
	}
	msg := vllm.UserParts(vllm.TextPart("What is in this image?"),
		vllm.ImagePart(url, "low"),
		vllm.ImagePart("https://example.com/cat.jpg"))
	fmt.Println(len(msg.Parts), url[:22])
	// Output:
	// 3 data:image/png;base64,
}

// DataURL reads bytes (through bytes.NewReader) or a file (an *os.File) into
// a data URL of the type its first bytes show; anything else is an error.
func ExampleDataURL() {
	url, err := vllm.DataURL(bytes.NewReader([]byte("RIFF\x24\x00\x00\x00WAVEfmt ")))
	fmt.Println(url, err)

	_, err = vllm.DataURL(strings.NewReader("not an image"))
	fmt.Println(err)
	// Output:
	// data:audio/wav;base64,UklGRiQAAABXQVZFZm10IA== <nil>
	// vllm: invalid request: media is not image, audio or video data of a known type (first bytes 6e 6f 74 20 61 6e 20 69)
}

// Without a reasoning parser on the server, the model's thinking arrives in
// the content; WithThinkSplit moves it into the reasoning.
func ExampleWithThinkSplit() {
	srv := fakeVLLM(200, `{"choices":[{"index":0,"message":{"role":"assistant",
		"content":"<think>\nThe user greets me.\n</think>\n\nHello!"},"finish_reason":"stop"}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	req := &vllm.ChatRequest{Model: "Qwen/Qwen3-8B", Messages: []vllm.Message{vllm.User("Hi")}}
	resp, _ := c.Chat.Create(context.Background(), req, vllm.WithThinkSplit(false))
	fmt.Printf("%q %q\n", resp.Reasoning(), resp.Text())
	// Output:
	// "The user greets me." "Hello!"
}

// Every failure is a typed error: inspect it with errors.As and classify it
// with errors.Is and IsRetryable.
func ExampleAPIError() {
	srv := fakeVLLM(404, `{"error":{"message":"The model `+"`gpt-9`"+` does not exist.","type":"NotFoundError","param":"model","code":404}}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	_, err := c.Chat.Builder().Model("gpt-9").User("hi").Send(context.Background())
	var apiErr *vllm.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Type, apiErr.Message)
	}
	fmt.Println(errors.Is(err, vllm.ErrModelNotFound), vllm.IsRetryable(err))

	_, err = c.Chat.Builder().User("no model").Send(context.Background())
	var pe *vllm.ParamError
	fmt.Println(err, errors.As(err, &pe) && pe.Missing)
	// Output:
	// 404 NotFoundError The model `gpt-9` does not exist.
	// true false
	// vllm: invalid request: model is required true
}

// Legacy completions take a prompt as text, texts or token ids.
func ExampleCompletionsService_Create() {
	srv := fakeVLLM(200, `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"index":0,"text":" there","finish_reason":"length","stop_reason":null}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	req := &vllm.CompletionRequest{Model: "Qwen/Qwen2.5-0.5B", Prompt: vllm.PromptText("Hello")}
	req.MaxTokens = vllm.Ptr(1)
	req.Temperature = vllm.Ptr(0.0) // sent: 0 means greedy
	resp, err := c.Completions.Create(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q %s\n", resp.Text(), resp.FinishReason())
	// Output:
	// " there" length
}

// The assistant message of a response goes back into the history for the
// next turn; reasoning only when the model expects it back.
func ExampleChatResponse_AssistantMessage() {
	srv := fakeVLLM(200, `{"choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning":"2+2=4"},"finish_reason":"stop"}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	resp, _ := c.Chat.Builder().Model("moonshotai/Kimi-K2-Thinking").User("2+2?").Send(context.Background())

	plain, _ := resp.AssistantMessage().MarshalJSON()
	m := resp.AssistantMessage()
	m.Reasoning = resp.Reasoning() // for models that expect their reasoning back
	withReasoning, _ := m.MarshalJSON()
	fmt.Println(string(plain))
	fmt.Println(string(withReasoning))
	// Output:
	// {"role":"assistant","content":"4"}
	// {"role":"assistant","content":"4","reasoning":"2+2=4"}
}

// Thinking mode is a chat-template switch: Qwen3-style templates read
// enable_thinking from chat_template_kwargs. The reasoning comes back apart
// from the answer when the server runs a reasoning parser.
func ExampleChatBuilder_EnableThinking() {
	srv := fakeVLLM(200, `{"choices":[{"index":0,"message":{"role":"assistant","content":"17 is prime.",
		"reasoning":"17 has no divisors between 2 and 4."},"finish_reason":"stop"}]}`)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	resp, err := c.Chat.Builder().Model("Qwen/Qwen3-8B").User("Is 17 prime?").
		EnableThinking(true).MaxTokens(1024).Send(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reasoning:", resp.Reasoning())
	fmt.Println("answer:", resp.Text())
	// Output:
	// reasoning: 17 has no divisors between 2 and 4.
	// answer: 17 is prime.
}
