package vllm_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/vllmgo/vllm"
)

// streamExampleServer stands in for a vLLM server: it answers every request with
// the event stream body, as vLLM frames it.
func streamExampleServer(body string) *httptest.Server {
	return httptest.NewServer(reply{ContentType: "text/event-stream", Body: body})
}

const exampleChatStream = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"reasoning":"2 and 2 make 4."},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":"The answer"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":" is 4."},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B","choices":[],"usage":{"prompt_tokens":12,"total_tokens":20,"completion_tokens":8,"prompt_tokens_details":null}}

data: [DONE]

`

func ExampleChatService_Stream() {
	srv := streamExampleServer(exampleChatStream)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	stream, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model:    "Qwen/Qwen3-8B",
		Messages: []vllm.Message{vllm.User("What is 2+2?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for ev, err := range stream.Events() {
		if err != nil {
			fmt.Println("stream failed:", err)
			return
		}
		switch ev.Type {
		case vllm.EventReasoning:
			fmt.Fprint(os.Stdout, "[thinking] ", ev.Text, "\n")
		case vllm.EventContent:
			fmt.Print(ev.Text)
		case vllm.EventFinish:
			fmt.Println("\nfinish:", ev.FinishReason)
		case vllm.EventUsage:
			fmt.Println("tokens:", ev.Usage.TotalTokens)
		}
	}
	final, _ := stream.Collect() // the loop read it all: nothing more is read
	fmt.Println("accumulated:", final.Text())
	// Output:
	// [thinking] 2 and 2 make 4.
	// The answer is 4.
	// finish: stop
	// tokens: 20
	// accumulated: The answer is 4.
}

func ExampleChatStream_Next() {
	srv := streamExampleServer(exampleChatStream)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")

	stream, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model: "Qwen/Qwen3-8B", Messages: []vllm.Message{vllm.User("What is 2+2?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stream.Close()
	var answer strings.Builder
	for stream.Next() {
		if ev := stream.Event(); ev.Type == vllm.EventContent {
			answer.WriteString(ev.Text)
		}
	}
	if err := stream.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(answer.String())
	// Output:
	// The answer is 4.
}

func ExampleChatStream_Collect() {
	body := `data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"id":"chatcmpl-tool-1","type":"function","index":0,"function":{"name":"get_weather"}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": "}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}]}

data: [DONE]

`
	srv := streamExampleServer(body)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	stream, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model: "m", Messages: []vllm.Message{vllm.User("Weather in Paris?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := stream.Collect()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, call := range resp.ToolCalls() {
		fmt.Println(resp.FinishReason(), call.Name, call.Arguments)
	}
	// Output:
	// tool_calls get_weather {"city": "Paris"}
}

func ExampleCompletionsService_Stream() {
	body := `data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"Once upon","logprobs":null,"finish_reason":null,"stop_reason":null}]}

data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" a time","logprobs":null,"finish_reason":"length","stop_reason":null}]}

data: [DONE]

`
	srv := streamExampleServer(body)
	defer srv.Close()
	c, _ := vllm.New(srv.URL + "/v1")
	stream, err := c.Completions.Stream(context.Background(), &vllm.CompletionRequest{
		Model: "m", Prompt: vllm.PromptText("Tell me a story."),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := stream.Collect()
	fmt.Println(resp.Text(), err)
	// Output:
	// Once upon a time <nil>
}
