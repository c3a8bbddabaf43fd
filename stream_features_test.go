package vllm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestStreamRequestBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var accepts []string
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accepts = append(accepts, r.Header.Get("Accept"))
		mu.Unlock()
		s := startSSE(w)
		s.data("[DONE]")
	})).Client(t)
	// Capture the exact bytes sent, before the server's handler drains them.
	base := c.cfg.http.Transport
	c.cfg.http = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		return base.RoundTrip(r)
	})}
	ctx := context.Background()
	req := chatReq()
	for _, run := range []func() error{
		func() error { _, err := c.Chat.Stream(ctx, req); return err },
		func() error {
			r := *req
			r.StreamOptions = &StreamOptions{IncludeUsage: Ptr(false), ContinuousUsageStats: Ptr(true)}
			_, err := c.Chat.Stream(ctx, &r)
			return err
		},
		func() error {
			r := *req
			r.Extra = map[string]any{"stream_options": nil}
			_, err := c.Chat.Stream(ctx, &r)
			return err
		},
		func() error {
			_, err := c.Completions.Stream(ctx, &CompletionRequest{Model: "m", Prompt: PromptText("Once")})
			return err
		},
	} {
		if err := run(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true},"stream":true}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":false,"continuous_usage_stats":true},"stream":true}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":null,"stream":true}`,
		`{"model":"m","prompt":"Once","stream_options":{"include_usage":true},"stream":true}`,
	}
	if !reflect.DeepEqual(bodies, want) {
		t.Fatalf("bodies\n%s\nwant\n%s", strings.Join(bodies, "\n"), strings.Join(want, "\n"))
	}
	if req.StreamOptions != nil {
		t.Fatal("the caller's request was modified")
	}
	for _, a := range accepts {
		if a != "text/event-stream" {
			t.Fatalf("Accept %q", a)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// probeRecorder records what hooks see of streams.
type probeRecorder struct {
	mu     sync.Mutex
	events []StreamProgress
	ends   []*CallResult
}

func (p *probeRecorder) hooks() Hooks {
	return Hooks{
		OnStreamEvent: func(_ context.Context, _ *CallInfo, ev StreamProgress) {
			p.mu.Lock()
			p.events = append(p.events, ev)
			p.mu.Unlock()
		},
		OnCallEnd: func(_ context.Context, _ *CallInfo, res *CallResult) {
			p.mu.Lock()
			cp := *res
			p.ends = append(p.ends, &cp)
			p.mu.Unlock()
		},
	}
}

func TestStreamProbe(t *testing.T) {
	body := "data: " + vllmChunk(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(contentChoice(0, "a")) + "\n\n" +
		"data: " + vllmChunk(contentChoice(0, "b")) + "\n\n" +
		"data: " + vllmChunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop","stop_reason":null}`) + "\n\n" +
		`data: {"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"total_tokens":5,"completion_tokens":2,"prompt_tokens_details":null}}` + "\n\n"
	t.Run("done", func(t *testing.T) {
		rec := &probeRecorder{}
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body + "data: [DONE]\n\n") })).Client(t, WithHooks(rec.hooks()))
		if _, err := openChat(t, c).Collect(); err != nil {
			t.Fatal(err)
		}
		if len(rec.events) != 5 || rec.events[0].Tokens != 1 || !rec.events[1].Token || rec.events[2].Token || rec.events[4].Events != 5 {
			t.Fatalf("events %+v", rec.events)
		}
		if len(rec.ends) != 1 || rec.ends[0].Err != nil || rec.ends[0].Usage == nil || rec.ends[0].Usage.TotalTokens != 5 || rec.ends[0].TokenEvents != 2 {
			t.Fatalf("ends %+v", rec.ends)
		}
	})
	t.Run("failure", func(t *testing.T) {
		rec := &probeRecorder{}
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t, WithHooks(rec.hooks()))
		st := openChat(t, c)
		if _, err := st.Collect(); err == nil {
			t.Fatal("no error")
		}
		st.Close()
		var se *StreamError
		if len(rec.ends) != 1 || !errors.As(rec.ends[0].Err, &se) || se.Kind != KindUnexpectedEOF {
			t.Fatalf("ends %+v", rec.ends)
		}
	})
	t.Run("closed early", func(t *testing.T) {
		rec := &probeRecorder{}
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body + "data: [DONE]\n\n") })).Client(t, WithHooks(rec.hooks()))
		st := openChat(t, c)
		for range st.Events() {
			break
		}
		st.Close()
		if len(rec.ends) != 1 || !errors.Is(rec.ends[0].Err, ErrStreamClosed) {
			t.Fatalf("ends %+v", rec.ends)
		}
	})
	t.Run("not an event stream", func(t *testing.T) {
		rec := &probeRecorder{}
		c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>"))
		})).Client(t, WithHooks(rec.hooks()))
		if _, err := c.Chat.Stream(context.Background(), chatReq()); err == nil {
			t.Fatal("no error")
		}
		if len(rec.ends) != 1 || rec.ends[0].Err == nil {
			t.Fatalf("ends %+v", rec.ends)
		}
	})
}

func TestStreamContinuousUsage(t *testing.T) {
	u := func(n int) string {
		return `,"usage":{"prompt_tokens":4,"total_tokens":` + itoa(4+n) + `,"completion_tokens":` + itoa(n) + `}`
	}
	chunk := func(choice, usage string) string {
		return `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[` + choice + `]` + usage + "}\n\n"
	}
	body := chunk(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`, u(0)) +
		chunk(contentChoice(0, "x"), u(1)) +
		chunk(`{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"length","stop_reason":null}`, u(2)) +
		`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]` + u(2) + "}\n\ndata: [DONE]\n\n"
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	var usages []int
	var types []EventType
	for ev, err := range openChat(t, c).Events() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.Type)
		if ev.Type == EventUsage {
			if ev.Choice != -1 {
				t.Fatal("usage event tied to a choice")
			}
			usages = append(usages, ev.Usage.CompletionTokens)
		}
	}
	want := []EventType{EventUsage, EventContent, EventUsage, EventFinish, EventUsage, EventUsage, EventDone}
	if !reflect.DeepEqual(usages, []int{0, 1, 2, 2}) || !reflect.DeepEqual(types, want) {
		t.Fatalf("usages %v types %v", usages, types)
	}
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestStreamParallelToolCallsAcrossChoices: n > 1 with interleaved
// parallel calls; done events come per choice at its finish, in index
// order, and calls of a choice without a finish reason at [DONE].
func TestStreamParallelToolCallsAcrossChoices(t *testing.T) {
	tc := func(choice, idx int, extra string) string {
		return `{"index":` + itoa(choice) + `,"delta":{"tool_calls":[{"index":` + itoa(idx) + extra + `}]},"logprobs":null,"finish_reason":null}`
	}
	body := ""
	for _, ch := range []string{
		tc(0, 1, `,"id":"b","type":"function","function":{"name":"g"}`),
		tc(1, 0, `,"id":"c","type":"function","function":{"name":"h"}`),
		tc(0, 0, `,"id":"a","type":"function","function":{"name":"f"}`),
		tc(0, 1, `,"function":{"arguments":"{\"y\":"}`),
		tc(0, 0, `,"function":{"arguments":"{\"x\":1}"}`),
		tc(1, 0, `,"function":{"arguments":"{}"}`),
		tc(0, 1, `,"function":{"arguments":"2}"}`),
		`{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}`,
	} {
		body += "data: " + vllmChunk(ch) + "\n\n"
	}
	body += "data: [DONE]\n\n"
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	var done []string
	for ev, err := range openChat(t, c).Events() {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case EventToolCallDone:
			done = append(done, itoa(ev.Choice)+":"+ev.ToolCall.ID+":"+ev.ToolCall.Name+":"+ev.ToolCall.Arguments)
		case EventFinish:
			done = append(done, "finish "+itoa(ev.Choice))
		}
	}
	want := []string{`0:a:f:{"x":1}`, `0:b:g:{"y":2}`, "finish 0", `1:c:h:{}`}
	if !reflect.DeepEqual(done, want) {
		t.Fatalf("got %q", done)
	}
}

func TestStreamReasoningFieldNames(t *testing.T) {
	body := "data: " + vllmChunk(`{"index":0,"delta":{"reasoning_content":"old "},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(`{"index":0,"delta":{"reasoning":"new "},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(`{"index":0,"delta":{"reasoning":"both","reasoning_content":"both"},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(contentChoice(0, "answer")) + "\n\ndata: [DONE]\n\n"
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	st := openChat(t, c)
	var kinds []string
	for st.Next() {
		ev := st.Event()
		kinds = append(kinds, ev.Type.String()+":"+ev.Text)
	}
	want := []string{"reasoning:old ", "reasoning:new ", "reasoning:both", "content:answer", "done:"}
	if r, err := st.Collect(); err != nil || !reflect.DeepEqual(kinds, want) || r.Reasoning() != "old new both" {
		t.Fatalf("%q, reasoning %q, %v", kinds, r.Reasoning(), err)
	}
}

// TestStreamThinkSplit: <think> tags in streamed content, split anywhere
// across chunks, give the same reasoning and content as splitThink on the
// whole text, and events in order.
func TestStreamThinkSplit(t *testing.T) {
	texts := []struct {
		text         string
		startInThink bool
	}{
		{"<think>\nLet me see.\n</think>\n\nThe answer is 4.", false},
		{"Before <think>inner</think> after <think>again</think>end", false},
		{"reasoning only, opened by the template</think>\n\nanswer", true},
		{"no tags at all < > </thin", false},
		{"<think>cut off by the length limit", false},
	}
	var body string
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	for _, tt := range texts {
		wantR, wantC := splitThink(tt.text, false)
		if tt.startInThink {
			sp := thinkSplitter{startInThink: true}
			r1, c1 := sp.split(tt.text)
			r2, c2 := sp.flush()
			wantR, wantC = r1+r2, c1+c2
		}
		for step := 1; step <= 9; step++ {
			body = ""
			for i := 0; i < len(tt.text); i += step {
				body += "data: " + vllmChunk(contentChoice(0, tt.text[i:min(i+step, len(tt.text))])) + "\n\n"
			}
			body += "data: " + vllmChunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop","stop_reason":null}`) + "\n\ndata: [DONE]\n\n"
			st := openChat(t, c, WithThinkSplit(tt.startInThink))
			var gotR, gotC strings.Builder
			finished := false
			for ev, err := range st.Events() {
				if err != nil {
					t.Fatal(err)
				}
				switch ev.Type {
				case EventReasoning:
					gotR.WriteString(ev.Text)
				case EventContent:
					gotC.WriteString(ev.Text)
				case EventFinish:
					finished = true
				}
				if finished && (ev.Type == EventContent || ev.Type == EventReasoning) {
					t.Fatal("text after the finish event")
				}
			}
			resp, err := st.Collect()
			if err != nil {
				t.Fatal(err)
			}
			if gotR.String() != wantR || gotC.String() != wantC || resp.Reasoning() != wantR || resp.Text() != wantC {
				t.Fatalf("%q step %d: reasoning %q content %q, want %q %q", tt.text, step, gotR.String(), gotC.String(), wantR, wantC)
			}
		}
	}
}

func TestStreamFortyMiBToolArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	blob := strings.Repeat("0123456789abcdef", 40<<16) // 40 MiB
	args := `{"blob":"` + blob + `"}`
	body := "data: " + vllmChunk(`{"index":0,"delta":{"tool_calls":[{"id":"t","type":"function","index":0,"function":{"name":"store"}}]},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"blob\":\"`+blob+`\"}"}}]},"logprobs":null,"finish_reason":null}`) + "\n\n" +
		"data: " + vllmChunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}`) + "\n\ndata: [DONE]\n\n"
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	resp, err := openChat(t, c).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if tcs := resp.ToolCalls(); len(tcs) != 1 || len(tcs[0].Arguments) != len(args) || tcs[0].Arguments != args {
		t.Fatal("40 MiB arguments not assembled")
	}
}

func TestCompletionStream(t *testing.T) {
	chunk := func(choice string) string {
		return `data: {"id":"cmpl-1","object":"text_completion","created":7,"model":"m","choices":[` + choice + "]}\n\n"
	}
	body := chunk(`{"index":0,"text":"Once","logprobs":null,"finish_reason":null}`) +
		chunk(`{"index":1,"text":"Twice","logprobs":null,"finish_reason":null}`) +
		chunk(`{"index":0,"text":" upon","logprobs":null,"finish_reason":null}`) +
		chunk(`{"index":0,"text":"","logprobs":null,"finish_reason":"length","stop_reason":null}`) +
		chunk(`{"index":1,"text":"","logprobs":null,"finish_reason":"stop","stop_reason":"\n"}`) +
		`data: {"id":"cmpl-1","object":"text_completion","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":1,"total_tokens":4,"completion_tokens":3}}` + "\n\ndata: [DONE]\n\n"
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { startSSE(w).raw(body) })).Client(t)
	req := &CompletionRequest{Model: "m", Prompt: PromptText("x")}
	st, err := c.Completions.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev, err := range st.Events() {
		if err != nil {
			t.Fatal(err)
		}
		s := ev.Type.String() + ":" + itoa(ev.Choice+1) + ":" + ev.Text + ev.FinishReason
		if ev.StopReason != nil {
			s += ":" + ev.StopReason.String()
		}
		if ev.Usage != nil {
			s += ":" + itoa(ev.Usage.CompletionTokens)
		}
		got = append(got, s)
	}
	want := []string{"content:1:Once", "content:2:Twice", "content:1: upon", "finish:1:length", "finish:2:stop:\n", "usage:0::3", "done:0:"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
	r, err := st.Collect()
	if err != nil {
		t.Fatal(err)
	}
	if r.Text() != "Once upon" || r.Choices[1].Text != "Twice" || r.Object != "text_completion" || r.Usage.TotalTokens != 4 {
		t.Fatalf("%+v", r)
	}
	st2, _ := c.Completions.Stream(context.Background(), req)
	if text, err := collectCompletionText(st2); err != nil || text != "Once upon" {
		t.Fatalf("%q %v", text, err)
	}
	// Events and failures work as for chat.
	body = chunk(`{"index":0,"text":"cut","logprobs":null,"finish_reason":null}`)
	st3, _ := c.Completions.Stream(context.Background(), req)
	if !st3.Next() || st3.Event().Text != "cut" || st3.Event().Type != EventContent {
		t.Fatal("first event")
	}
	if _, err := st3.Collect(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
}

// TestCompletionStreamCollectEqualsCreate uses the shape of a real vLLM
// 0.25.1 completion (token ids, per-choice stop_reason, nulls).
func TestCompletionStreamCollectEqualsCreate(t *testing.T) {
	create := fixture(t, "vllm-0.25.1-completion.json")
	var full CompletionResponse
	if err := json.Unmarshal([]byte(create), &full); err != nil {
		t.Fatal(err)
	}
	// Render the same output as a stream, two characters per chunk.
	var body strings.Builder
	for _, ch := range full.Choices {
		for i := 0; i < len(ch.Text); i += 2 {
			body.WriteString(`data: {"id":` + jsonString(full.ID) + `,"object":"text_completion","created":` + itoa64(full.Created) +
				`,"model":` + jsonString(full.Model) + `,"choices":[{"index":` + itoa(ch.Index) + `,"text":` + jsonString(ch.Text[i:min(i+2, len(ch.Text))]) +
				`,"logprobs":null,"finish_reason":null,"stop_reason":null}]}` + "\n\n")
		}
		stop := "null"
		if ch.StopReason != nil {
			b, _ := ch.StopReason.MarshalJSON()
			stop = string(b)
		}
		ids, _ := json.Marshal(ch.TokenIDs)
		body.WriteString(`data: {"id":` + jsonString(full.ID) + `,"object":"text_completion","created":` + itoa64(full.Created) +
			`,"model":` + jsonString(full.Model) + `,"choices":[{"index":` + itoa(ch.Index) + `,"text":"","logprobs":null,"finish_reason":` +
			jsonString(ch.FinishReason) + `,"stop_reason":` + stop + `,"token_ids":` + string(ids) + `}]}` + "\n\n")
	}
	usage, _ := json.Marshal(full.Usage)
	body.WriteString(`data: {"id":` + jsonString(full.ID) + `,"object":"text_completion","created":` + itoa64(full.Created) +
		`,"model":` + jsonString(full.Model) + `,"system_fingerprint":` + jsonString(full.SystemFingerprint) + `,"choices":[],"usage":` + string(usage) + "}\n\ndata: [DONE]\n\n")
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "text/event-stream" {
			startSSE(w).raw(body.String())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(create))
	})).Client(t)
	req := &CompletionRequest{Model: "m", Prompt: PromptText("x")}
	want, err := c.Completions.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Completions.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Collect()
	if err != nil {
		t.Fatal(err)
	}
	want.Raw = nil
	if string(want.KVTransferParams) == "null" {
		want.KVTransferParams = nil
	}
	for i := range want.Choices {
		if string(want.Choices[i].PromptLogprobs) == "null" {
			want.Choices[i].PromptLogprobs = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestBuilderStream(t *testing.T) {
	var got []string
	var mu sync.Mutex
	c := newMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("X-Trace"))
		mu.Unlock()
		s := startSSE(w)
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			s.data(vllmChunk(contentChoice(0, "<think>hm</think>Hi")))
		} else {
			s.data(`{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"Once","logprobs":null,"finish_reason":null}]}`)
		}
		s.data("[DONE]")
	})).Client(t)
	ctx := context.Background()
	st, err := c.Chat.Builder().Model("m").User("hi").Options(WithHeader("X-Trace", "1"), WithThinkSplit(false)).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := st.Collect()
	if err != nil || resp.Text() != "Hi" || resp.Reasoning() != "hm" {
		t.Fatalf("%+v %v", resp, err)
	}
	cs, err := c.Completions.Builder().Model("m").Prompt("x").Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if text, err := collectCompletionText(cs); err != nil || text != "Once" {
		t.Fatalf("%q %v", text, err)
	}
	if !reflect.DeepEqual(got, []string{"/v1/chat/completions 1", "/v1/completions "}) {
		t.Fatalf("%q", got)
	}
	if _, err := c.Chat.Builder().User("hi").Stream(ctx); !isParamError(err, true) {
		t.Fatalf("missing model: %v", err)
	}
}

func TestEventAfterEnd(t *testing.T) {
	c := newMemServer(t, sseHandler(func(s *sseResponse) {
		s.data(vllmChunk(contentChoice(0, "x")))
		s.data("[DONE]")
	})).Client(t)
	st := openChat(t, c)
	if st.Event().Type != 0 {
		t.Fatal("an event before Next")
	}
	for st.Next() {
		_ = st.Event()
	}
	if ev := st.Event(); ev.Type != 0 {
		t.Fatalf("an event after the end: %+v", ev)
	}
	st.Close()
}
