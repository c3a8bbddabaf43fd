package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	"github.com/vllmgo/vllm/vllmtest"
)

// newClient returns a client of the test server at base.
func newClient(t *testing.T, base string) *vllm.Client {
	t.Helper()
	c, err := vllm.New(base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type weatherArgs struct {
	City string `json:"city" description:"the city"`
	Unit string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
}

type weather struct {
	City    string  `json:"city"`
	Celsius float64 `json:"celsius"`
}

func weatherTool(t *testing.T) agent.Tool {
	t.Helper()
	tool, err := agent.Func("get_weather", "Current weather in a city", func(ctx context.Context, a weatherArgs) (weather, error) {
		if a.City == "Atlantis" {
			return weather{}, errors.New("no station in Atlantis")
		}
		return weather{City: a.City, Celsius: 21.5}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

// toolMessages returns the tool messages of a recorded request as
// "id=content".
func toolMessages(r vllmtest.Request) []string {
	var out []string
	for _, m := range r.Chat.Messages {
		if m.Role == "tool" {
			out = append(out, m.ToolCallID+"="+m.Text())
		}
	}
	return out
}

func TestAgentRunsTools(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		last := r.Chat.Messages[len(r.Chat.Messages)-1]
		if last.Role == "user" {
			return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{
				{ID: "call-1", Name: "get_weather", Arguments: `{"city": "Paris"}`},
				{ID: "call-2", Name: "get_weather", Arguments: `{"city": "Atlantis"}`},
				{ID: "call-3", Name: "get_weather", Arguments: `{"city": 5}`},
				{ID: "call-4", Name: "launch_rocket", Arguments: `{}`},
			}}
		}
		return &vllmtest.Reply{Content: "Paris is mild; I could not check the rest."}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	var mu sync.Mutex
	var seen []string
	a := agent.New(c, "m", weatherTool(t))
	a.Parallel = true
	a.Request.Temperature = vllm.Ptr(0.0)
	a.OnToolResult = func(call vllm.ToolCall, result string, err error) {
		mu.Lock()
		seen = append(seen, call.ID)
		mu.Unlock()
	}
	res, err := a.Run(context.Background(), []vllm.Message{vllm.User("Weather in Paris and Atlantis?")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text() != "Paris is mild; I could not check the rest." || res.Rounds != 2 || res.ToolCalls != 4 || len(seen) != 4 {
		t.Fatalf("result %+v, seen %v", res, seen)
	}
	roles := []string{}
	for _, m := range res.Messages {
		roles = append(roles, m.Role)
	}
	if strings.Join(roles, ",") != "user,assistant,tool,tool,tool,tool,assistant" {
		t.Fatalf("roles %v", roles)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The first request carries the tool derived from the argument struct.
	var sent struct {
		Tools []struct {
			Type     string `json:"type"`
			Function struct {
				Name       string          `json:"name"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		Temperature *float64 `json:"temperature"`
	}
	if err := json.Unmarshal(reqs[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	schema, _ := vllm.JSONSchemaFor[weatherArgs]()
	if len(sent.Tools) != 1 || sent.Tools[0].Function.Name != "get_weather" || string(sent.Tools[0].Function.Parameters) != string(schema) || sent.Temperature == nil {
		t.Fatalf("tools sent: %s", reqs[0].Body)
	}
	// The second request answers every call, in call order: results as JSON,
	// errors as text the model can read.
	got := toolMessages(reqs[1])
	want := []string{
		`call-1={"city":"Paris","celsius":21.5}`,
		`call-2=error: no station in Atlantis`,
		`call-3=error: vllm: tool "get_weather" (call call-3): cannot decode arguments`,
		`call-4=error: unknown tool "launch_rocket"`,
	}
	if len(got) != len(want) {
		t.Fatalf("tool messages %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("tool message %d\n got %s\nwant %s…", i, got[i], want[i])
		}
	}
	var asst vllmtest.ChatMessage
	for _, m := range reqs[1].Chat.Messages {
		if m.Role == "assistant" {
			asst = m
		}
	}
	if !strings.Contains(string(asst.ToolCalls), `"id":"call-1"`) || !strings.Contains(string(asst.ToolCalls), `"launch_rocket"`) {
		t.Fatalf("assistant turn not replayed: %s", asst.ToolCalls)
	}
}

func TestAgentRoundLimit(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "get_weather", Arguments: `{"city": "Oslo"}`}}}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	a := agent.New(c, "m", weatherTool(t))
	a.MaxRounds = 3
	_, err := a.Run(context.Background(), []vllm.Message{vllm.User("loop")})
	var rl *agent.RoundLimitError
	if !errors.As(err, &rl) || rl.Limit != 3 || !strings.Contains(err.Error(), "MaxRounds 3") {
		t.Fatalf("err %v", err)
	}
	if len(rl.Messages) != 7 || len(srv.Requests()) != 3 || rl.Messages[6].Role != "tool" {
		t.Fatalf("%d messages, %d requests", len(rl.Messages), len(srv.Requests()))
	}
}

func TestAgentParallelAndPanics(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
			if len(r.Chat.Messages) == 1 {
				return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{
					{ID: "a", Name: "meet", Arguments: `{}`}, {ID: "b", Name: "meet", Arguments: `{}`}, {ID: "c", Name: "boom", Arguments: `{}`},
				}}
			}
			return &vllmtest.Reply{Content: "done"}
		}))
		defer srv.Close()
		c, err := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Both "meet" calls must be running at once to finish: only a parallel
		// agent gets past them.
		var wg sync.WaitGroup
		wg.Add(2)
		meet, _ := agent.Func("meet", "", func(ctx context.Context, _ struct{}) (string, error) {
			wg.Done()
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
				return "met", nil
			case <-time.After(2 * time.Second): // simulated time: a sequential agent waits the 2s at once
				return "", errors.New("alone")
			}
		})
		boom, _ := agent.Func("boom", "", func(ctx context.Context, _ struct{}) (string, error) { panic("kaboom") })
		a := agent.New(c, "m", meet, boom)
		a.Parallel = true
		res, err := a.Run(context.Background(), []vllm.Message{vllm.User("go")})
		if err != nil {
			t.Fatal(err)
		}
		got := toolMessages(srv.Requests()[1])
		if fmt.Sprint(got) != `[a=met b=met c=error: tool "boom" panicked: kaboom]` || res.Text() != "done" {
			t.Fatalf("tool messages %q", got)
		}
		// Duplicate names are a caller mistake, found before any request.
		a2 := agent.New(c, "m", meet, meet)
		var pe *vllm.ParamError
		if _, err := a2.Run(context.Background(), []vllm.Message{vllm.User("x")}); !errors.As(err, &pe) {
			t.Fatalf("err %v", err)
		}
		// A tool whose arguments have no object schema is refused.
		if _, err := agent.Func("bad", "", func(ctx context.Context, s string) (string, error) { return s, nil }); err == nil {
			t.Fatal("string arguments accepted")
		}
	})
}

func TestAgentCancelled(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{ID: "x", Name: "slow", Arguments: `{}`}}}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	slow, _ := agent.Func("slow", "", func(ctx context.Context, _ struct{}) (string, error) {
		cancel()
		<-ctx.Done()
		return "", ctx.Err()
	})
	_, err := agent.New(c, "m", slow).Run(ctx, []vllm.Message{vllm.User("x")})
	if !errors.Is(err, context.Canceled) || len(srv.Requests()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(srv.Requests()))
	}
}

func TestConversation(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		var users []string
		for _, m := range r.Chat.Messages {
			if m.Role == "user" {
				users = append(users, m.Text())
			}
		}
		return &vllmtest.Reply{Content: fmt.Sprintf("turn %d: %s", len(users), strings.Join(users, "+"))}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	cv := agent.NewConversation(c, "m", "Be brief.")
	ctx := context.Background()
	if r, err := cv.Send(ctx, "My name is Ada."); err != nil || r.Text() != "turn 1: My name is Ada." {
		t.Fatalf("%v %v", r, err)
	}
	r, err := cv.Send(ctx, "What is my name?")
	if err != nil || r.Text() != "turn 2: My name is Ada.+What is my name?" {
		t.Fatalf("%v %v", r, err)
	}
	last, _ := srv.LastRequest()
	if len(last.Chat.Messages) != 4 || last.Chat.Messages[0].Role != "system" || last.Chat.Messages[2].Text() != "turn 1: My name is Ada." {
		t.Fatalf("history sent: %s", last.Body)
	}
	// A failed turn leaves the history as it was.
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 500})
	if _, err := cv.Send(ctx, "lost"); err == nil {
		t.Fatal("want an error")
	}
	if n := len(cv.Messages()); n != 5 {
		t.Fatalf("history has %d messages after a failed turn", n)
	}
	cv.Reset()
	if m := cv.Messages(); len(m) != 1 || m[0].Role != "system" {
		t.Fatalf("after reset %+v", m)
	}
	// With an agent, the turn runs the tool loop and keeps its messages.
	srv2 := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		if r.Chat.Messages[len(r.Chat.Messages)-1].Role == "user" {
			return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{ID: "w", Name: "get_weather", Arguments: `{"city":"Rome"}`}}}
		}
		return &vllmtest.Reply{Content: "sunny"}
	}))
	defer srv2.Close()
	c2 := newClient(t, srv2.URL)
	defer c2.Close()
	cv2 := agent.NewConversation(c2, "m", "")
	cv2.Agent = agent.New(c2, "m", weatherTool(t))
	if r, err := cv2.Send(ctx, "Rome?"); err != nil || r.Text() != "sunny" || len(cv2.Messages()) != 4 {
		t.Fatalf("%v %v %d", r, err, len(cv2.Messages()))
	}
}

// A tool-using agent: the model calls get_weather, the agent runs it and
// sends the result back, and the model answers.
func ExampleAgent() {
	// A scripted model: it calls the tool, then answers from its result.
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		last := r.Chat.Messages[len(r.Chat.Messages)-1]
		if last.Role == "tool" {
			return &vllmtest.Reply{Content: "It is " + last.Text()}
		}
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "get_weather", Arguments: `{"city": "Paris"}`}}}
	}))
	defer srv.Close()
	c, _ := vllm.New(srv.URL)

	type args struct {
		City string `json:"city" description:"the city"`
	}
	getWeather := agent.MustFunc("get_weather", "Current weather in a city",
		func(ctx context.Context, a args) (string, error) { return "sunny in " + a.City, nil })

	a := agent.New(c, "m", getWeather)
	a.MaxRounds = 4
	res, err := a.Run(context.Background(), []vllm.Message{vllm.User("Weather in Paris?")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Text())
	fmt.Println(res.Rounds, "rounds,", res.ToolCalls, "tool call")
	// Output:
	// It is sunny in Paris
	// 2 rounds, 1 tool call
}

// A conversation keeps the history between turns.
func ExampleConversation() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		return &vllmtest.Reply{Content: fmt.Sprintf("I have seen %d messages.", len(r.Chat.Messages))}
	}))
	defer srv.Close()
	c, _ := vllm.New(srv.URL)

	cv := agent.NewConversation(c, "m", "You are a helpful assistant.")
	for _, q := range []string{"Hello.", "And now?"} {
		resp, err := cv.Send(context.Background(), q)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.Text())
	}
	fmt.Println(len(cv.Messages()), "messages in the history")
	// Output:
	// I have seen 2 messages.
	// I have seen 4 messages.
	// 5 messages in the history
}

func TestAgentRunStream(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithHandler(func(r *vllmtest.Request) *vllmtest.Reply {
		last := r.Chat.Messages[len(r.Chat.Messages)-1]
		if last.Role == "tool" {
			return &vllmtest.Reply{Content: "It is " + last.Text()}
		}
		return &vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city": "Lima"}`}}}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	var content strings.Builder
	var done, toolDone int
	res, err := agent.New(c, "m", weatherTool(t)).RunStream(context.Background(), []vllm.Message{vllm.User("Lima?")}, func(ev vllm.ChatEvent) {
		switch ev.Type {
		case vllm.EventContent:
			content.WriteString(ev.Text)
		case vllm.EventToolCallDone:
			toolDone++
		case vllm.EventDone:
			done++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `It is {"city":"Lima","celsius":21.5}`
	if res.Text() != want || content.String() != want || done != 2 || toolDone != 1 || res.Rounds != 2 {
		t.Fatalf("content %q / streamed %q, done %d, tool done %d, rounds %d", res.Text(), content.String(), done, toolDone, res.Rounds)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !reqs[0].Chat.Stream || toolMessages(reqs[1])[0] != `c1={"city":"Lima","celsius":21.5}` {
		t.Fatalf("requests %d: %s", len(reqs), reqs[len(reqs)-1].Body)
	}

	// A conversation streams its turns and keeps the history.
	cv := agent.NewConversation(c, "m", "")
	cv.Agent = agent.New(c, "m", weatherTool(t))
	var n int
	if r, err := cv.Stream(context.Background(), "Lima?", func(vllm.ChatEvent) { n++ }); err != nil || r.Text() != want || n == 0 || len(cv.Messages()) != 4 {
		t.Fatalf("%v %v %d %d", r, err, n, len(cv.Messages()))
	}
	plain := agent.NewConversation(c, "m", "sys")
	srv.Enqueue()
	if r, err := plain.Stream(context.Background(), "Lima?", nil); err != nil || len(r.ToolCalls()) == 0 || len(plain.Messages()) != 3 {
		t.Fatalf("plain stream: %v %v %d", r, err, len(plain.Messages()))
	}
}

// Current vLLM rejects "tools": [] with a 400: an agent without tools sends
// no tools field at all.
func TestAgentWithoutToolsSendsNoTools(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	if _, err := agent.New(c, "m").Run(context.Background(), []vllm.Message{vllm.User("hi")}); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.LastRequest()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(last.Body, &body); err != nil {
		t.Fatal(err)
	}
	if tools, ok := body["tools"]; ok {
		t.Fatalf(`body has "tools": %s`, tools)
	}
}
