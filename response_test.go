package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// serveFile answers every request with the file's bytes and returns the
// response the client decoded.
func chatFromFile(t *testing.T, path string) (*ChatResponse, []byte) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ws := newMemServer(t, fixedReply{Body: string(body)})
	resp, err := ws.Client(t).Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Raw, body) {
		t.Fatal("Raw is not the body as received")
	}
	return resp, body
}

// jsonEqual fails the test unless got and want are the same JSON value
// (object keys in any order); what names got in the message.
func jsonEqual(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

func TestChatResponseReasoningAndTools(t *testing.T) {
	resp, _ := chatFromFile(t, "testdata/responses/chat-reasoning-tools.json")
	wantChoice := ChatChoice{
		Index: 0,
		Message: Message{
			Role:      RoleAssistant,
			Reasoning: "The user wants weather and time in Paris; call both tools.",
			ToolCalls: []ToolCall{
				{ID: "chatcmpl-tool-4f1e0c5b2a9d4e7f8a6b3c2d1e0f9a8b", Type: "function", Name: "get_weather", Arguments: `{"city": "Paris", "unit": "celsius"}`},
				{ID: "chatcmpl-tool-0a1b2c3d4e5f60718293a4b5c6d7e8f9", Type: "function", Name: "get_time", Arguments: `{"tz": "Europe/Paris"}`},
			},
			contentNull: true,
		},
		FinishReason: FinishToolCalls,
		TokenIDs:     []int{151657, 198},
	}
	if len(resp.Choices) != 1 || !reflect.DeepEqual(resp.Choices[0], wantChoice) {
		t.Fatalf("choice\n got %+v\nwant %+v", resp.Choices, wantChoice)
	}
	if resp.ID != "chatcmpl-8f2c6d0e9a7b4c1d" || resp.Object != "chat.completion" || resp.Created != 1764000000 ||
		resp.Model != "Qwen/Qwen3-8B" || resp.SystemFingerprint != "vllm-0.12.0-abc123" || resp.ServiceTier != "" {
		t.Fatalf("header fields %+v", resp)
	}
	wantUsage := &Usage{PromptTokens: 312, CompletionTokens: 58, TotalTokens: 370, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 256}}
	if !reflect.DeepEqual(resp.Usage, wantUsage) {
		t.Fatalf("usage %+v", resp.Usage)
	}
	if !reflect.DeepEqual(resp.PromptTokenIDs, []int{151644, 785}) {
		t.Fatalf("prompt token ids %v", resp.PromptTokenIDs)
	}
	jsonEqual(t, "prompt_logprobs", resp.PromptLogprobs, `[null,{"785":{"logprob":-2.5,"rank":3,"decoded_token":"The"}}]`)
	jsonEqual(t, "kv_transfer_params", resp.KVTransferParams, `{"do_remote_prefill":false,"remote_engine_id":"e1"}`)
	// Unknown fields survive in Raw.
	var extra struct {
		Future json.RawMessage `json:"future_field"`
	}
	if err := json.Unmarshal(resp.Raw, &extra); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "future_field", extra.Future, `{"nested":[1,2,3]}`)

	// Helpers.
	if resp.Text() != "" || resp.Reasoning() != wantChoice.Message.Reasoning || len(resp.ToolCalls()) != 2 || resp.FinishReason() != "tool_calls" {
		t.Errorf("helpers: %q %q %v %q", resp.Text(), resp.Reasoning(), resp.ToolCalls(), resp.FinishReason())
	}
	if err := resp.DecodeJSON(new(any)); err != ErrNoContent {
		t.Errorf("DecodeJSON of a null content: %v", err)
	}
	var args struct{ City, Unit string }
	if tc := resp.ToolCalls()[0]; tc.Name != "get_weather" || tc.DecodeArguments(&args) != nil || args.City != "Paris" || args.Unit != "celsius" {
		t.Errorf("arguments %+v", args)
	}
}

func TestChatResponseOldReasoningFieldAndStopReasons(t *testing.T) {
	resp, _ := chatFromFile(t, "testdata/responses/chat-reasoning-content-n2.json")
	if len(resp.Choices) != 2 {
		t.Fatalf("%d choices", len(resp.Choices))
	}
	c0, c1 := resp.Choices[0], resp.Choices[1]
	if c0.Message.Reasoning != "Two plus two is four." || c0.Message.Content != "4" || c1.Message.Reasoning != "Simple sum." || c1.Message.Content != "Four" || c1.Index != 1 {
		t.Fatalf("choices %+v", resp.Choices)
	}
	if c0.StopReason == nil || !c0.StopReason.IsToken || c0.StopReason.TokenID != 151643 || c0.StopReason.String() != "151643" {
		t.Fatalf("int stop_reason %+v", c0.StopReason)
	}
	if c1.StopReason == nil || c1.StopReason.IsToken || c1.StopReason.Text != "###" {
		t.Fatalf("string stop_reason %+v", c1.StopReason)
	}
	if resp.Usage.PromptTokensDetails != nil || resp.PromptLogprobs != nil || resp.KVTransferParams != nil {
		t.Fatalf("null fields: %+v %s %s", resp.Usage, resp.PromptLogprobs, resp.KVTransferParams)
	}
	if len(c0.Message.ToolCalls) != 0 || len(resp.ToolCalls()) != 0 {
		t.Fatal("empty tool_calls list read as calls")
	}
	// Any choice can go back into the history.
	if got := string(mustJSON(t, resp.Choices[1].AssistantMessage())); got != `{"role":"assistant","content":"Four"}` {
		t.Fatalf("second choice: %s", got)
	}
	withR := resp.Choices[1].AssistantMessage()
	withR.Reasoning = resp.Choices[1].Message.Reasoning
	if got := string(mustJSON(t, withR)); got != `{"role":"assistant","content":"Four","reasoning":"Simple sum."}` {
		t.Fatalf("second choice with reasoning: %s", got)
	}
}

func TestChatResponseLogprobs(t *testing.T) {
	resp, _ := chatFromFile(t, "testdata/responses/chat-logprobs.json")
	want := &ChatLogprobs{Content: []TokenLogprob{
		{Token: "Hi", Logprob: -0.01, Bytes: []int{72, 105}, TopLogprobs: []TopLogprob{
			{Token: "Hi", Logprob: -0.01, Bytes: []int{72, 105}}, {Token: "Hello", Logprob: -4.6, Bytes: []int{72, 101, 108, 108, 111}}}},
		{Token: "!", Logprob: -9999.0, Bytes: []int{33}, TopLogprobs: []TopLogprob{}},
	}}
	if got := resp.Choices[0].Logprobs; !reflect.DeepEqual(got, want) {
		t.Fatalf("logprobs\n got %+v\nwant %+v", got, want)
	}
	if resp.Choices[0].StopReason != nil || resp.FinishReason() != FinishLength || resp.Reasoning() != "" {
		t.Fatalf("choice %+v", resp.Choices[0])
	}
	if s := resp.Text(); s != "Hi!" {
		t.Fatalf("Text = %q", s)
	}
}

func TestChatResponseSimulatorFixture(t *testing.T) {
	resp, _ := chatFromFile(t, "testdata/fixtures/llmd-sim-chat.json")
	if resp.Text() != "Hello there sim" || resp.Model != "fake-model" || resp.Created != 1795576044 ||
		resp.Usage.PromptTokensDetails == nil || resp.Usage.PromptTokensDetails.CachedTokens != 0 || resp.Choices[0].StopReason != nil {
		t.Fatalf("%+v", resp)
	}
}

func TestCompletionResponseRealFixture(t *testing.T) {
	body := []byte(fixture(t, "vllm-0.25.1-completion.json"))
	ws := newMemServer(t, fixedReply{Body: string(body)})
	resp, err := ws.Client(t).Completions.Create(context.Background(), &CompletionRequest{Model: "m", Prompt: PromptText("x")})
	if err != nil {
		t.Fatal(err)
	}
	want := CompletionChoice{
		Index:        0,
		Text:         " \n\n<legal_actions_counts>\n<A0> 0\n<A1> 0\n<A2> 0\n<A3> 0\n<A4> 0\n<A5> 0\n</legal_actions_counts>",
		FinishReason: FinishStop,
	}
	if len(resp.Choices) != 1 || !reflect.DeepEqual(resp.Choices[0], want) {
		t.Fatalf("choice\n got %+v\nwant %+v", resp.Choices[0], want)
	}
	if resp.KVTransferParams != nil {
		t.Fatalf("null kv_transfer_params kept as %q", resp.KVTransferParams)
	}
	if resp.ID != "cmpl-9523f9b435e598f7" || resp.Object != "text_completion" || resp.Created != 1784847078 ||
		resp.Model != "Qwen/Qwen2.5-0.5B" || resp.SystemFingerprint != "vllm-0.25.1-6cda6dc1" {
		t.Fatalf("header fields %+v", resp)
	}
	if !reflect.DeepEqual(resp.Usage, &Usage{PromptTokens: 326, CompletionTokens: 48, TotalTokens: 374}) {
		t.Fatalf("usage %+v", resp.Usage)
	}
	if resp.Text() != want.Text || resp.FinishReason() != "stop" || !bytes.Equal(resp.Raw, body) {
		t.Fatal("helpers or Raw")
	}
	var extra struct {
		Metrics json.RawMessage `json:"metrics"`
		Choices []struct {
			RoutedExperts json.RawMessage `json:"routed_experts"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(resp.Raw, &extra); err != nil || string(extra.Metrics) != "null" || string(extra.Choices[0].RoutedExperts) != "null" {
		t.Fatalf("untyped fields in Raw: %+v %v", extra, err)
	}
}

func TestCompletionResponseLogprobs(t *testing.T) {
	body, _ := os.ReadFile("testdata/responses/completion-logprobs.json")
	var resp CompletionResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	lp := resp.Choices[0].Logprobs
	want := &CompletionLogprobs{
		TextOffset:    []int{0, 3, 6},
		TokenLogprobs: []*float64{nil, Ptr(-0.5), Ptr(-0.25)},
		Tokens:        []string{"Say", " hi", " there"},
		TopLogprobs:   []map[string]float64{nil, {" hi": -0.5, " yo": -1.5}, {" there": -0.25}},
	}
	if !reflect.DeepEqual(lp, want) {
		t.Fatalf("logprobs\n got %+v\nwant %+v", lp, want)
	}
}

// TestAssistantMessageRoundTrip: the assistant message of a response goes
// back into the next request exactly as vLLM reads history: content null with
// the tool calls, reasoning only when asked for.
func TestAssistantMessageRoundTrip(t *testing.T) {
	resp, _ := chatFromFile(t, "testdata/responses/chat-reasoning-tools.json")
	plain := resp.AssistantMessage()
	withR := resp.AssistantMessage()
	withR.Reasoning = resp.Reasoning()
	calls := `"tool_calls":[{"id":"chatcmpl-tool-4f1e0c5b2a9d4e7f8a6b3c2d1e0f9a8b","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"unit\": \"celsius\"}"}},` +
		`{"id":"chatcmpl-tool-0a1b2c3d4e5f60718293a4b5c6d7e8f9","type":"function","function":{"name":"get_time","arguments":"{\"tz\": \"Europe/Paris\"}"}}]`
	if got, want := string(mustJSON(t, plain)), `{"role":"assistant","content":null,`+calls+`}`; got != want {
		t.Fatalf("AssistantMessage\n got %s\nwant %s", got, want)
	}
	if got, want := string(mustJSON(t, withR)), `{"role":"assistant","content":null,"reasoning":"The user wants weather and time in Paris; call both tools.",`+calls+`}`; got != want {
		t.Fatalf("AssistantMessage with Reasoning set\n got %s\nwant %s", got, want)
	}
	// Decoding what we send gives the message back.
	var back Message
	if err := json.Unmarshal(mustJSON(t, withR), &back); err != nil || !reflect.DeepEqual(back, withR) {
		t.Fatalf("round trip\n got %+v\nwant %+v (%v)", back, withR, err)
	}
	// The whole second turn, as sent.
	r1, _ := ToolResult(plain.ToolCalls[0].ID, map[string]any{"temp_c": 18, "sky": "clear"})
	r2, _ := ToolResult(plain.ToolCalls[1].ID, "14:05")
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	_, err := ws.Client(t).Chat.Builder().Model("Qwen/Qwen3-8B").User("Weather and time in Paris?").
		Messages(withR, r1, r2).Send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chat-second-turn.json", ws.Last(t).Body)

	// An empty response still yields a valid assistant message.
	var empty ChatResponse
	if m := empty.AssistantMessage(); m.Role != RoleAssistant || string(mustJSON(t, m)) != `{"role":"assistant","content":""}` {
		t.Fatalf("empty: %s", mustJSON(t, m))
	}
}

func TestMessageDecodeForms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Message
	}{
		{`{"role":"assistant","content":"a","reasoning":"r","reasoning_content":"old"}`, Message{Role: RoleAssistant, Content: "a", Reasoning: "r"}},
		{`{"role":"assistant","content":"a","reasoning":null,"reasoning_content":"old"}`, Message{Role: RoleAssistant, Content: "a", Reasoning: "old"}},
		{`{"role":"assistant","content":"","refusal":"no"}`, Message{Role: RoleAssistant, Refusal: "no"}},
		{`{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"u","detail":"low"}}]}`,
			Message{Role: RoleUser, Parts: []ContentPart{TextPart("hi"), ImagePart("u", "low")}}},
		{`{"role":"tool","tool_call_id":"c1","content":"42","name":"calc"}`, Message{Role: RoleTool, ToolCallID: "c1", Content: "42", Name: "calc"}},
		{`{"role":"assistant"}`, Message{Role: RoleAssistant, contentNull: true}},
	} {
		var m Message
		if err := json.Unmarshal([]byte(tc.in), &m); err != nil || !reflect.DeepEqual(m, tc.want) {
			t.Errorf("%s\n got %+v (%v)\nwant %+v", tc.in, m, err, tc.want)
		}
	}
	var m Message
	if err := json.Unmarshal([]byte(`{"role":"user","content":5}`), &m); err == nil {
		t.Error("numeric content accepted")
	}
}

func TestStopReasonJSON(t *testing.T) {
	for _, in := range []string{`"stop"`, `42`} {
		var s StopReason
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatal(err)
		}
		if b := mustJSON(t, s); string(b) != in {
			t.Errorf("round trip %s → %s", in, b)
		}
	}
	var s StopReason
	if err := json.Unmarshal([]byte(`true`), &s); err == nil {
		t.Error("bool stop_reason accepted")
	}
	var nilReason *StopReason
	if nilReason.String() != "" {
		t.Error("nil String")
	}
}
