package vllm

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// allSampling sets every field of SamplingParams to a distinctive value.
func allSampling() SamplingParams {
	return SamplingParams{
		Temperature: Ptr(0.7), TopP: Ptr(0.9), MaxTokens: Ptr(128), N: Ptr(2),
		Stop: []string{"\n\n", "END"}, Seed: Ptr(int64(42)),
		PresencePenalty: Ptr(0.1), FrequencyPenalty: Ptr(0.2),
		LogitBias: map[string]float64{"50256": -100}, User: "user-7",
		StreamOptions: &StreamOptions{IncludeUsage: Ptr(true), ContinuousUsageStats: Ptr(false)},
		TopK:          Ptr(50), MinP: Ptr(0.05), RepetitionPenalty: Ptr(1.1), LengthPenalty: Ptr(0.8),
		MinTokens: Ptr(3), StopTokenIDs: []int{151645, 151643}, IgnoreEOS: Ptr(false),
		SkipSpecialTokens: Ptr(false), SpacesBetweenSpecialTokens: Ptr(true),
		IncludeStopStrInOutput: Ptr(true), TruncatePromptTokens: Ptr(4096), PromptLogprobs: Ptr(1),
		AllowedTokenIDs: []int{1, 2, 3}, BadWords: []string{"darn"}, UseBeamSearch: Ptr(false),
		AddSpecialTokens: Ptr(false),
		ResponseFormat: &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchemaSpec{
			Name: "answer", Description: "an answer", Schema: json.RawMessage(`{"type":"object"}`), Strict: Ptr(true)}},
		StructuredOutputs: &StructuredOutputs{Choice: []string{"yes", "no"},
			DisableAnyWhitespace: Ptr(true), DisableAdditionalProperties: Ptr(true), WhitespacePattern: `[ ]?`},
		Priority: Ptr(-1), RequestID: "req-1", CacheSalt: "salt", KVTransferParams: json.RawMessage(`{"do_remote_decode":true}`),
		ReturnTokensAsTokenIDs: Ptr(true), ReturnTokenIDs: Ptr(true),
	}
}

func allChatRequest() *ChatRequest {
	tool, _ := NewTool("get_weather", "Weather of a city", `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	return &ChatRequest{
		Model: "Qwen/Qwen3-8B",
		Messages: []Message{
			System("Be brief."), User("Weather in Paris?"),
		},
		SamplingParams:      allSampling(),
		MaxCompletionTokens: Ptr(256), Logprobs: Ptr(true), TopLogprobs: Ptr(5),
		Tools: []Tool{tool}, ToolChoice: ToolChoiceFunction("get_weather"), ParallelToolCalls: Ptr(false),
		ReasoningEffort: "low", IncludeReasoning: Ptr(true), ThinkingTokenBudget: Ptr(1024), ChatTemplate: "{{ messages }}",
		ChatTemplateKwargs:  map[string]any{"enable_thinking": false},
		AddGenerationPrompt: Ptr(true), ContinueFinalMessage: Ptr(false), Echo: Ptr(false),
		Documents:         []map[string]string{{"title": "t", "text": "x"}},
		MMProcessorKwargs: map[string]any{"fps": 2},
	}
}

// assertAllSet fails when a field of v (recursively through embedded
// structs) is at its zero value, so that a field added later without a wire
// test is noticed.
func assertAllSet(t *testing.T, v any, skip ...string) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	var walk func(rv reflect.Value)
	walk = func(rv reflect.Value) {
		for i := 0; i < rv.NumField(); i++ {
			f := rv.Type().Field(i)
			if !f.IsExported() || hasString(skip, f.Name) {
				continue
			}
			if f.Anonymous {
				walk(rv.Field(i))
				continue
			}
			if rv.Field(i).IsZero() {
				t.Errorf("%s.%s is not set in the all-fields request", rv.Type().Name(), f.Name)
			}
		}
	}
	walk(rv)
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestChatRequestAllFieldsWire(t *testing.T) {
	req := allChatRequest()
	assertAllSet(t, req, "Extra")
	checkAllFieldsWire(t, minimalChat, "/v1/chat/completions", "chat-all-fields", func(c *Client) error {
		_, err := c.Chat.Create(context.Background(), req)
		return err
	}, req.marshal)
}

// checkAllFieldsWire sends a request with every field set, through send, to
// a server that answers reply, and checks the request line, its
// Content-Type and its body (against the golden file golden.json); then the
// body of the same request as a stream, from marshal(true): the same fields,
// stream_options kept, and "stream": true (golden-stream.json).
func checkAllFieldsWire(t *testing.T, reply, path, golden string, send func(*Client) error, marshal func(stream bool) ([]byte, error)) {
	t.Helper()
	ws := newMemServer(t, fixedReply{Body: reply})
	if err := send(ws.Client(t)); err != nil {
		t.Fatal(err)
	}
	got := ws.Last(t)
	if got.Method != "POST" || got.Path != path || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %q", got.Method, got.Path, got.Header.Get("Content-Type"))
	}
	checkGolden(t, golden+".json", got.Body)
	b, err := marshal(true)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, golden+"-stream.json", b)
}

func TestCompletionRequestAllFieldsWire(t *testing.T) {
	req := &CompletionRequest{
		Model: "Qwen/Qwen2.5-0.5B", Prompt: PromptText("Once upon a time"),
		SamplingParams: allSampling(),
		Suffix:         Ptr("The end."), Logprobs: Ptr(3), Echo: Ptr(true),
	}
	assertAllSet(t, req, "Extra")
	checkAllFieldsWire(t, minimalCompletion, "/v1/completions", "completion-all-fields", func(c *Client) error {
		_, err := c.Completions.Create(context.Background(), req)
		return err
	}, req.marshal)
}

// TestChatBuilderMatchesRequest: the builder sends exactly the bytes of the
// same request written as a struct.
func TestChatBuilderMatchesRequest(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	ctx := context.Background()
	if _, err := c.Chat.Create(ctx, allChatRequest()); err != nil {
		t.Fatal(err)
	}
	want := ws.Last(t).Body

	s := allSampling()
	want2 := allChatRequest()
	b := c.Chat.Builder().Model("Qwen/Qwen3-8B").System("Be brief.").User("Weather in Paris?").
		Temperature(*s.Temperature).TopP(*s.TopP).MaxTokens(*s.MaxTokens).N(*s.N).Stop(s.Stop...).Seed(*s.Seed).
		PresencePenalty(*s.PresencePenalty).FrequencyPenalty(*s.FrequencyPenalty).LogitBias(s.LogitBias).UserID(s.User).
		StreamOptions(*s.StreamOptions).TopK(*s.TopK).MinP(*s.MinP).RepetitionPenalty(*s.RepetitionPenalty).
		LengthPenalty(*s.LengthPenalty).MinTokens(*s.MinTokens).StopTokenIDs(s.StopTokenIDs...).IgnoreEOS(false).
		SkipSpecialTokens(false).SpacesBetweenSpecialTokens(true).IncludeStopStrInOutput(true).
		TruncatePromptTokens(4096).PromptLogprobs(1).AllowedTokenIDs(1, 2, 3).BadWords("darn").UseBeamSearch(false).
		AddSpecialTokens(false).ResponseFormat(*s.ResponseFormat).StructuredOutputs(*s.StructuredOutputs).
		Priority(-1).BodyRequestID("req-1").CacheSalt("salt").
		KVTransferParams(s.KVTransferParams).ReturnTokensAsTokenIDs(true).ReturnTokenIDs(true).
		MaxCompletionTokens(256).TopLogprobs(5).Tools(want2.Tools...).ToolChoice(ToolChoiceFunction("get_weather")).
		ParallelToolCalls(false).ReasoningEffort("low").IncludeReasoning(true).ThinkingTokenBudget(1024).ChatTemplate("{{ messages }}").EnableThinking(false).
		AddGenerationPrompt(true).ContinueFinalMessage(false).Echo(false)
	b.Request().Documents = want2.Documents
	b.Request().MMProcessorKwargs = want2.MMProcessorKwargs
	if _, err := b.Send(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ws.Last(t).Body; string(got) != string(want) {
		t.Fatalf("builder body\n got %s\nwant %s", got, want)
	}
}

func TestCompletionBuilderMatchesRequest(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalCompletion})
	c := ws.Client(t)
	ctx := context.Background()
	req := &CompletionRequest{Model: "m", Prompt: PromptTexts("a", "b"), Suffix: Ptr("s"), Logprobs: Ptr(0), Echo: Ptr(true)}
	req.Temperature, req.TopK, req.Stop = Ptr(0.0), Ptr(-1), []string{}
	req.Extra = map[string]any{"x": 1}
	if _, err := c.Completions.Create(ctx, req); err != nil {
		t.Fatal(err)
	}
	want := ws.Last(t).Body
	_, err := c.Completions.Builder().Model("m").Prompts("a", "b").Suffix("s").Logprobs(0).Echo(true).
		Temperature(0).TopK(-1).Stop().Extra("x", 1).Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ws.Last(t).Body; string(got) != string(want) {
		t.Fatalf("builder body\n got %s\nwant %s", got, want)
	}
	if string(want) != `{"model":"m","prompt":["a","b"],"temperature":0,"stop":[],"top_k":-1,"suffix":"s","logprobs":0,"echo":true,"x":1}` {
		t.Fatalf("body %s", want)
	}
	if _, err := c.Completions.Builder().Model("m").PromptTokens(1, 2).Send(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(ws.Last(t).Body); got != `{"model":"m","prompt":[1,2]}` {
		t.Fatalf("token prompt body %s", got)
	}
}

// TestBuildersCoverSamplingParams: every SamplingParams field has a setter
// of the same name on both builders (User's is UserID, since User adds a
// user message; RequestID's is BodyRequestID, since it is not the header).
func TestBuildersCoverSamplingParams(t *testing.T) {
	st := reflect.TypeFor[SamplingParams]()
	for _, bt := range []reflect.Type{reflect.TypeFor[*ChatBuilder](), reflect.TypeFor[*CompletionBuilder]()} {
		for i := 0; i < st.NumField(); i++ {
			name := st.Field(i).Name
			switch name {
			case "User":
				name = "UserID"
			case "RequestID":
				name = "BodyRequestID"
			}
			m, ok := bt.MethodByName(name)
			if !ok {
				t.Errorf("%s has no setter %s", bt, name)
				continue
			}
			if m.Type.NumOut() != 1 || m.Type.Out(0) != bt {
				t.Errorf("%s.%s does not return %s", bt, name, bt)
			}
		}
	}
}

func TestRequestUnsetFieldsNotSent(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	ctx := context.Background()
	if _, err := c.Chat.Create(ctx, &ChatRequest{Model: "m", Messages: []Message{User("hi")}}); err != nil {
		t.Fatal(err)
	}
	if got := string(ws.Last(t).Body); got != `{"model":"m","messages":[{"role":"user","content":"hi"}]}` {
		t.Fatalf("minimal chat body %s", got)
	}
	// A nil Stop sends nothing; an empty one sends [].
	if _, err := c.Chat.Builder().Model("m").User("hi").Send(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(ws.Last(t).Body); got != `{"model":"m","messages":[{"role":"user","content":"hi"}]}` {
		t.Fatalf("minimal builder body %s", got)
	}
}

// TestRequestMeaningfulZeros: zero values that mean something are sent.
func TestRequestMeaningfulZeros(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	_, err := c.Chat.Builder().Model("m").User("").Temperature(0).TopK(-1).Stop().StopTokenIDs().Seed(0).
		MaxTokens(0).PresencePenalty(0).MinP(0).IgnoreEOS(false).Priority(0).Logprobs(false).TopLogprobs(0).
		ParallelToolCalls(false).ToolChoice(ToolChoiceNone).Send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chat-meaningful-zeros.json", ws.Last(t).Body)
}

func TestRequestExtraCollision(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	req := &ChatRequest{Model: "m", Messages: []Message{User("hi")}}
	req.Temperature = Ptr(0.5)
	req.TopK = Ptr(10)
	req.Extra = map[string]any{
		"temperature":          1.5,                       // replaces the typed value, in place
		"top_k":                nil,                       // an explicit null
		"zzz_new":              []int{1},                  // new keys follow, sorted
		"chat_template_kwargs": map[string]any{"a": true}, // a typed field left unset: added at the end
		"aaa_new":              "x",
	}
	if _, err := c.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1.5,"top_k":null,"aaa_new":"x","chat_template_kwargs":{"a":true},"zzz_new":[1]}`
	if got := string(ws.Last(t).Body); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	// MarshalJSON gives the same bytes as the wire.
	if b := mustJSON(t, req); string(b) != want {
		t.Fatalf("MarshalJSON\n got %s\nwant %s", b, want)
	}
	// An Extra value that cannot be encoded is a *ParamError naming the key,
	// and nothing is sent.
	n := ws.Count()
	req.Extra = map[string]any{"bad": func() {}}
	_, err := c.Chat.Create(context.Background(), req)
	var pe *ParamError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "bad") || ws.Count() != n {
		t.Fatalf("err %v, requests %d→%d", err, n, ws.Count())
	}
}

func TestPromptForms(t *testing.T) {
	for _, tc := range []struct {
		p    Prompt
		want string
	}{
		{PromptText("hi"), `"hi"`},
		{PromptTexts("a", "b"), `["a","b"]`},
		{PromptTokens(1, 2, 3), `[1,2,3]`},
		{PromptTokenBatches([]int{1}, []int{2, 3}), `[[1],[2,3]]`},
	} {
		b := mustJSON(t, tc.p)
		if string(b) != tc.want {
			t.Errorf("got %s want %s", b, tc.want)
		}
		var back Prompt
		if err := json.Unmarshal(b, &back); err != nil || string(mustJSON(t, back)) != tc.want {
			t.Errorf("round trip of %s: %s %v", tc.want, mustJSON(t, back), err)
		}
	}
}

func TestToolChoiceForms(t *testing.T) {
	for _, tc := range []struct {
		c    ToolChoice
		want string
	}{
		{ToolChoiceAuto, `"auto"`}, {ToolChoiceNone, `"none"`}, {ToolChoiceRequired, `"required"`},
		{ToolChoiceFunction("f"), `{"function":{"name":"f"},"type":"function"}`},
	} {
		b := mustJSON(t, tc.c)
		if string(b) != tc.want {
			t.Errorf("got %s want %s", b, tc.want)
		}
		var back ToolChoice
		if err := json.Unmarshal(b, &back); err != nil || back != tc.c {
			t.Errorf("round trip of %s: %v %v", tc.want, back, err)
		}
	}
	// The zero choice is not sent.
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	if b := mustJSON(t, req); strings.Contains(string(b), "tool_choice") {
		t.Errorf("zero tool choice sent: %s", b)
	}
}

// TestStreamOptionsOnlyInStreams: vLLM refuses stream_options without
// stream, so Create leaves it out while the stream body keeps it.
func TestStreamOptionsOnlyInStreams(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	req.StreamOptions = &StreamOptions{IncludeUsage: Ptr(true)}
	if _, err := c.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := string(ws.Last(t).Body); got != `{"model":"m","messages":[{"role":"user","content":"x"}]}` {
		t.Fatalf("Create body %s", got)
	}
	if req.StreamOptions == nil {
		t.Fatal("Create changed the caller's request")
	}
	b, err := req.marshal(true)
	if err != nil || string(b) != `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true},"stream":true}` {
		t.Fatalf("stream body %s %v", b, err)
	}
	creq := &CompletionRequest{Model: "m", Prompt: PromptText("x")}
	creq.StreamOptions = &StreamOptions{IncludeUsage: Ptr(true)}
	ws.Handle(fixedReply{Body: minimalCompletion})
	if _, err := c.Completions.Create(context.Background(), creq); err != nil {
		t.Fatal(err)
	}
	if got := string(ws.Last(t).Body); got != `{"model":"m","prompt":"x"}` {
		t.Fatalf("completion Create body %s", got)
	}
	if b, _ := creq.marshal(true); !strings.Contains(string(b), `"stream_options":{"include_usage":true},"stream":true`) {
		t.Fatalf("completion stream body %s", b)
	}
}
