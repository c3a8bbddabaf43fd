package vllmtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// A test server answers a chat request with a canned reply.
func Example() {
	srv := vllmtest.NewServer(vllmtest.WithModel("Qwen/Qwen3-8B"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hello from vLLM."})

	c, _ := vllm.New(srv.URL)
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    "Qwen/Qwen3-8B",
		Messages: []vllm.Message{vllm.User("Say hello.")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	rec, _ := srv.LastRequest()
	fmt.Println(rec.Path, rec.Chat.Messages[0].Text())
	// Output:
	// Hello from vLLM.
	// /v1/chat/completions Say hello.
}

// The next request fails with a 429 and a Retry-After header.
func ExampleServer_Fail() {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 429, Message: "slow down", RetryAfter: "2"})

	c, _ := vllm.New(srv.URL)
	_, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("hi")},
	})
	var ae *vllm.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, ae.Type, ae.Message, ae.RetryAfter)
	}
	// Output: 429 Too Many Requests slow down 2
}

// A handler scripts the reply from the decoded request.
func ExampleWithHandler() {
	srv := vllmtest.NewServer(vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		last := r.Chat.Messages[len(r.Chat.Messages)-1].Text()
		return &vllmtest.Reply{Content: "You said: " + last}
	}))
	defer srv.Close()

	c, _ := vllm.New(srv.URL)
	resp, err := c.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("ping")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	// Output: You said: ping
}

// A scripted tool call, streamed: the client assembles the argument
// fragments into the whole call.
func ExampleReply_toolCalls() {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{
		{Name: "get_weather", Arguments: `{"city": "Paris"}`},
	}})

	c, _ := vllm.New(srv.URL)
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("Weather in Paris?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	resp, err := s.Collect()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, call := range resp.ToolCalls() {
		fmt.Println(resp.FinishReason(), call.Name, call.Arguments)
	}
	// Output: tool_calls get_weather {"city": "Paris"}
}

// An error in the middle of a stream, as vLLM sends it, surfaces as a
// *vllm.StreamError after the events that came before it.
func ExampleFault_errorEvent() {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "one two three four"})
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 3, Status: 500, Message: "engine died"})

	c, _ := vllm.New(srv.URL)
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("count")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	resp, err := s.Collect()
	var se *vllm.StreamError
	if errors.As(err, &se) {
		fmt.Printf("%q %v %d %s\n", resp.Text(), se.Kind, se.API.StatusCode, se.API.Message)
	}
	// Output: "one two" error event 500 engine died
}

// A stall longer than the client's idle timeout ends the stream with a
// timeout instead of a hang: this prints true. (The example is compiled, not
// run, as it would wait on the real clock; the library's reliability tests
// check the same on simulated time.)
func ExampleFault_stall() {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStall, After: 2, Duration: time.Minute})

	c, _ := vllm.New(srv.URL, vllm.WithStreamIdleTimeout(50*time.Millisecond))
	s, err := c.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model:    vllmtest.DefaultModel,
		Messages: []vllm.Message{vllm.User("hi")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	_, err = s.Collect()
	fmt.Println(errors.Is(err, vllm.ErrTimeout))
}

// Start serves on a given address, as "vllm mock" does.
func ExampleStart() {
	srv, err := vllmtest.Start("127.0.0.1:0", vllmtest.WithModel("Qwen/Qwen3-8B"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(strings.HasPrefix(srv.URL, "http://127.0.0.1:"), strings.HasSuffix(srv.URL, "/v1"))
	// Output: true true
}
