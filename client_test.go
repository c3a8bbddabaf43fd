package vllm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", DefaultBaseURL},
		{"http://gpu-1:8000/v1", "http://gpu-1:8000/v1"},
		{"http://gpu-1:8000/v1/", "http://gpu-1:8000/v1"},
		{"http://gpu-1:8000/v1///", "http://gpu-1:8000/v1"},
		{"  https://vllm.example.com/v1 ", "https://vllm.example.com/v1"},
		{"https://proxy.example.com/team-a/v1/", "https://proxy.example.com/team-a/v1"},
	} {
		c, err := New(tc.in)
		if err != nil || c.BaseURL() != tc.want {
			t.Errorf("New(%q): BaseURL %q, %v; want %q", tc.in, c.BaseURL(), err, tc.want)
		}
	}
	for _, in := range []string{"localhost:8000", "ftp://h/v1", "http://", "http://h/v1?x=1", "http://h/v1#f", "://bad"} {
		_, err := New(in)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != "base URL" || !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(in))) {
			t.Errorf("New(%q): %v", in, err)
		}
	}
	_, err := New("ftp://user:hunter2@h/v1")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("password shown: %v", err)
	}
}

func TestRequestPathsJoinBase(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c, err := New(ws.URL+"/team/v1//", inMemory())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}}); err != nil {
		t.Fatal(err)
	}
	if p := ws.Last(t).Path; p != "/team/v1/chat/completions" {
		t.Fatalf("path %s", p)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("VLLM_BASE_URL", "http://env-host:9000/v1/")
	t.Setenv("VLLM_API_KEY", "sk-env")
	t.Setenv("VLLM_TIMEOUT", "2.5")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "http://env-host:9000/v1" || c.cfg.apiKey != "sk-env" || c.cfg.timeout != 2500*time.Millisecond {
		t.Fatalf("%s %q %v", c.BaseURL(), c.cfg.apiKey, c.cfg.timeout)
	}
	// Options override the environment.
	c, err = FromEnv(WithAPIKey("sk-opt"), WithTimeout(time.Second))
	if err != nil || c.cfg.apiKey != "sk-opt" || c.cfg.timeout != time.Second {
		t.Fatalf("override: %v %q %v", err, c.cfg.apiKey, c.cfg.timeout)
	}
	for _, bad := range []string{"abc", "-1", "1e12", "NaN", "10s"} {
		t.Setenv("VLLM_TIMEOUT", bad)
		_, err := FromEnv()
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != "VLLM_TIMEOUT" || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("VLLM_TIMEOUT=%s: %v", bad, err)
		}
	}
	t.Setenv("VLLM_TIMEOUT", "0")
	if c, err := FromEnv(); err != nil || c.cfg.timeout != 0 {
		t.Errorf("VLLM_TIMEOUT=0: %v", err)
	}
	t.Setenv("VLLM_BASE_URL", "not a url")
	_, err = FromEnv()
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Field != "VLLM_BASE_URL" || !strings.Contains(err.Error(), `"not a url"`) {
		t.Errorf("bad VLLM_BASE_URL: %v", err)
	}
	t.Setenv("VLLM_BASE_URL", "")
	t.Setenv("VLLM_API_KEY", "")
	t.Setenv("VLLM_TIMEOUT", "")
	c, err = FromEnv()
	if err != nil || c.BaseURL() != DefaultBaseURL || c.cfg.apiKey != "" || c.cfg.timeout != defaultTimeout {
		t.Fatalf("defaults: %v %s %q %v", err, c.BaseURL(), c.cfg.apiKey, c.cfg.timeout)
	}
}

func TestHeadersSent(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t, WithAPIKey("sk-123"), WithHeader("X-Team", "a"), WithHeader("X-Trace", "t1"), WithHeader("User-Agent", "my-app/2"))
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}}
	if _, err := c.Chat.Create(context.Background(), req, WithHeader("X-Trace", "t2"), WithHeader("X-Once", "1")); err != nil {
		t.Fatal(err)
	}
	h := ws.Last(t).Header
	for k, want := range map[string]string{
		"Authorization": "Bearer sk-123", "X-Team": "a", "X-Trace": "t2", "X-Once": "1",
		"User-Agent": "my-app/2", "Accept": "application/json", "Content-Type": "application/json",
	} {
		if got := h.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// Builder headers are per request.
	if _, err := c.Chat.Builder().Model("m").User("x").Header("X-Trace", "t3").Send(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ws.Last(t).Header.Get("X-Trace"); got != "t3" {
		t.Errorf("builder header %q", got)
	}
	if _, err := c.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if h := ws.Last(t).Header; h.Get("X-Trace") != "t1" || h.Get("X-Once") != "" {
		t.Errorf("per-request headers leaked into the next request: %v", h)
	}
	// No key, no Authorization; the default user agent names the library.
	c2 := ws.Client(t)
	if _, err := c2.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if h := ws.Last(t).Header; h.Get("Authorization") != "" || h.Get("User-Agent") != "vllm-go/"+Version {
		t.Errorf("headers without options: %v", h)
	}
	// A client Authorization header replaces the key's.
	c3 := ws.Client(t, WithAPIKey("sk-1"), WithHeader("Authorization", "Basic abc"))
	if _, err := c3.Chat.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := ws.Last(t).Header.Values("Authorization"); len(got) != 1 || got[0] != "Basic abc" {
		t.Errorf("Authorization %q", got)
	}
}

func TestInvalidHeaders(t *testing.T) {
	for _, o := range []Option{WithHeader("", "x"), WithHeader("Bad Name", "x"), WithHeader("X", "a\r\nb"),
		WithAPIKey("sk\n"), WithHeader("User-Agent", "ua\r"), WithTimeout(-time.Second), WithHTTPClient(nil)} {
		_, err := New("", o)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Field, "With") {
			t.Errorf("option accepted or unnamed: %v", err)
		}
	}
	// A bad per-request header is the caller's mistake: a *ParamError, not
	// a retryable transport failure, and nothing is sent.
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	for _, o := range []Option{WithHeader("X-Bad", "a\nb"), WithHeader("Bad Name", "x")} {
		_, err := c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}}, o)
		var pe *ParamError
		if !errors.As(err, &pe) || IsRetryable(err) || pe.Field != "WithHeader" {
			t.Errorf("bad request header: %T %v", err, err)
		}
	}
	// An option given where it does not apply, or a bad value given to a
	// call, is refused naming the option: by the call before anything is
	// sent, or by New.
	for name, o := range map[string]Option{
		"WithEndpoints": WithEndpoints("http://127.0.0.1:2/v1"), "WithRetry": WithRetry(RetryPolicy{MaxAttempts: 2}),
		"WithAPIKey": WithAPIKey("k"), "WithTimeout": WithTimeout(-time.Second),
		"WithStreamIdleTimeout": WithStreamIdleTimeout(-time.Second),
	} {
		_, err := c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}}, o)
		var pe *ParamError
		if !errors.As(err, &pe) || IsRetryable(err) || pe.Field != name {
			t.Errorf("%s given to a call: %T %v", name, err, err)
		}
	}
	for name, o := range map[string]Option{"WithAffinityKey": WithAffinityKey("s"), "WithThinkSplit": WithThinkSplit(false)} {
		_, err := New("", o)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != name {
			t.Errorf("%s given to New: %T %v", name, err, err)
		}
	}
	if ws.Count() != 0 {
		t.Errorf("%d requests sent", ws.Count())
	}
}

type countingTransport struct {
	mu sync.Mutex
	n  int
	rt http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.rt.RoundTrip(r)
}

func TestTransportSettings(t *testing.T) {
	c, _ := New("")
	tr, ok := c.cfg.http.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost != 512 || tr.MaxIdleConns != 0 || tr.Proxy == nil {
		t.Fatalf("default transport %+v", tr)
	}
	// A caller's http.Client is used as it is.
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	ct := &countingTransport{rt: memHTTPClient().Transport}
	hc := &http.Client{Transport: ct}
	c = ws.Client(t, WithHTTPClient(hc))
	if c.cfg.http != hc {
		t.Fatal("HTTPClient is not the caller's")
	}
	if _, err := c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}}); err != nil {
		t.Fatal(err)
	}
	if ct.n != 1 {
		t.Fatalf("custom transport used %d times", ct.n)
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "sk-do-not-print-7f3a"
	c, err := New("http://user:pw-secret@127.0.0.1:1/v1", WithAPIKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.apiKey != key {
		t.Fatal("APIKey accessor")
	}
	// Every verb prints the same description, the key redacted.
	const want = "vllm.Client{BaseURL: http://user:xxxxx@127.0.0.1:1/v1, APIKey: [REDACTED]}"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{c, *c} {
			if s := fmt.Sprintf(verb, v); s != want {
				t.Errorf("%s prints %s, want %s", verb, s, want)
			}
		}
	}
	if s := fmt.Sprint(Client{}); s != "vllm.Client{}" {
		t.Errorf("zero Client prints %q", s)
	}
	_, err = c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{User("x")}}, WithTimeout(time.Second))
	if err == nil || strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), key) || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("error shows a secret: %v", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	noGoroutineLeaks(t)
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t, WithAPIKey("k"))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := c.Chat.Builder().Model("m").User(fmt.Sprint(i)).Header("X-I", fmt.Sprint(i)).Send(context.Background())
			if err == nil && resp.Text() != "ok" {
				err = fmt.Errorf("content %q", resp.Text())
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ws.Count() != 64 {
		t.Fatalf("%d requests", ws.Count())
	}
	c.cfg.http.CloseIdleConnections()
}

func TestValidationNamesTheField(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	ctx := context.Background()
	msgs := []Message{User("x")}
	for _, tc := range []struct {
		req     *ChatRequest
		field   string
		missing bool
	}{
		{nil, "request", true},
		{&ChatRequest{Messages: msgs}, "model", true},
		{&ChatRequest{Model: "m"}, "messages", true},
		{&ChatRequest{Model: "m", Messages: []Message{User("x"), {Role: RoleTool, Content: "42"}}}, "messages[1].tool_call_id", true},
		{&ChatRequest{Model: "m", Messages: []Message{{Content: "x"}}}, "messages[0].role", true},
		{&ChatRequest{Model: "m", Messages: msgs, Tools: []Tool{{Type: "function"}}}, "tools[0].function.name", true},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{N: Ptr(0)}}, "n", false},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{TopP: Ptr(0.0)}}, "top_p", false},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{Temperature: Ptr(-0.1)}}, "temperature", false},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{TopK: Ptr(-2)}}, "top_k", false},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{MinP: Ptr(1.5)}}, "min_p", false},
		{&ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{MaxTokens: Ptr(-1)}}, "max_tokens", false},
	} {
		_, err := c.Chat.Create(ctx, tc.req)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != tc.field || isParamError(err, true) != tc.missing || IsRetryable(err) {
			t.Errorf("want field %q (missing %v), got %v", tc.field, tc.missing, err)
		}
	}
	for _, tc := range []struct {
		req   *CompletionRequest
		field string
	}{
		{nil, "request"},
		{&CompletionRequest{Prompt: PromptText("x")}, "model"},
		{&CompletionRequest{Model: "m"}, "prompt"},
		{&CompletionRequest{Model: "m", Prompt: PromptTexts()}, "prompt"},
		{&CompletionRequest{Model: "m", Prompt: PromptText("x"), Logprobs: Ptr(-1)}, "logprobs"},
	} {
		_, err := c.Completions.Create(ctx, tc.req)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("want field %q, got %v", tc.field, err)
		}
	}
	if ws.Count() != 0 {
		t.Fatalf("%d invalid requests were sent", ws.Count())
	}
	// Boundary values that are valid.
	ok := &ChatRequest{Model: "m", Messages: msgs, SamplingParams: SamplingParams{TopP: Ptr(1.0), TopK: Ptr(-1), MinP: Ptr(0.0), Temperature: Ptr(0.0), N: Ptr(1), MaxTokens: Ptr(0)}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateContentPartsAndStream(t *testing.T) {
	for _, tc := range []struct {
		parts []ContentPart
		field string
	}{
		{[]ContentPart{{Type: partImageURL}}, "messages[0].content[0].image_url"},
		{[]ContentPart{TextPart("x"), {Type: partImageURL, ImageURL: &MediaURL{}}}, "messages[0].content[1].image_url.url"},
		{[]ContentPart{{Type: partInputAudio, InputAudio: &InputAudio{Data: "AAAA"}}}, "messages[0].content[0].input_audio.format"},
		{[]ContentPart{{Type: partAudioURL}}, "messages[0].content[0].audio_url"},
		{[]ContentPart{{Type: partVideoURL, VideoURL: &MediaURL{}}}, "messages[0].content[0].video_url.url"},
		{[]ContentPart{{Text: "no type"}}, "messages[0].content[0].type"},
	} {
		req := &ChatRequest{Model: "m", Messages: []Message{UserParts(tc.parts...)}}
		var pe *ParamError
		if err := req.Validate(); !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("want field %q, got %v", tc.field, err)
		}
	}
	ok := &ChatRequest{Model: "m", Messages: []Message{UserParts(TextPart(""), ImagePart("https://x/y.png"),
		AudioPart("https://x/a.wav"), VideoPart("https://x/v.mp4"), ContentPart{Raw: json.RawMessage(`{"type":"image_embeds","image_embeds":"AAAA"}`)})}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	// Validate runs on every call: a valid conversation costs no allocation
	// (the names of fields are built only for an error).
	conv := &ChatRequest{Model: "m", Messages: []Message{System("s"), User("a"), Assistant("b"),
		UserParts(TextPart("look"), ImagePart("https://x/y.png"), ImagePart("data:image/png;base64,iVBORw0KGgo="), AudioPart("https://x/a.wav")),
		{Role: RoleTool, ToolCallID: "c1", Content: "{}"}}}
	if n := testing.AllocsPerRun(10, func() {
		if err := conv.Validate(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Validate of a valid conversation: %v allocations", n)
	}
	// The stream flag belongs to the method, not to Extra.
	req := &ChatRequest{Model: "m", Messages: []Message{User("x")}, Extra: map[string]any{"stream": true}}
	var pe *ParamError
	if err := req.Validate(); !errors.As(err, &pe) || pe.Field != "Extra[stream]" {
		t.Errorf("Extra stream: %v", err)
	}
	creq := &CompletionRequest{Model: "m", Prompt: PromptText("x"), Extra: map[string]any{"stream": false}}
	if err := creq.validate(); !errors.As(err, &pe) || pe.Field != "Extra[stream]" {
		t.Errorf("completion Extra stream: %v", err)
	}
}

func TestRawContentPart(t *testing.T) {
	raw := `{"type":"image_embeds","image_embeds":"AAAA","uuid":"u1"}`
	m := UserParts(TextPart("look"), ContentPart{Raw: json.RawMessage(raw)})
	want := `{"role":"user","content":[{"type":"text","text":"look"},` + raw + `]}`
	if got := string(mustJSON(t, m)); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// A part of a type not modelled here survives a round trip.
	in := `{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_embeds","image_embeds":{"image_embeds":"AAAA"},"uuid":"x"}]}`
	var back Message
	if err := json.Unmarshal([]byte(in), &back); err != nil || string(mustJSON(t, back)) != in {
		t.Fatalf("round trip: %s %v", mustJSON(t, back), err)
	}
	var pe *ParamError
	bad := &ChatRequest{Model: "m", Messages: []Message{UserParts(ContentPart{Raw: json.RawMessage(`[1]`)})}}
	if err := bad.Validate(); !errors.As(err, &pe) || pe.Field != "messages[0].content[0]" {
		t.Fatalf("raw part that is not an object: %v", err)
	}
}

func TestPromptNullIsUnset(t *testing.T) {
	var p Prompt
	if err := json.Unmarshal([]byte(`null`), &p); err != nil || !p.IsZero() {
		t.Fatalf("null prompt: %+v %v", p, err)
	}
}

func TestValidateLogprobsAndToolChoice(t *testing.T) {
	tool, _ := NewTool("f", "", nil)
	msgs := []Message{User("x")}
	for _, tc := range []struct {
		req   ChatRequest
		field string
	}{
		{ChatRequest{TopLogprobs: Ptr(3)}, "top_logprobs"},
		{ChatRequest{TopLogprobs: Ptr(-1), Logprobs: Ptr(false)}, "top_logprobs"},
		{ChatRequest{TopLogprobs: Ptr(-2), Logprobs: Ptr(true)}, "top_logprobs"},
		{ChatRequest{ToolChoice: ToolChoiceRequired}, "tool_choice"},
		{ChatRequest{ToolChoice: ToolChoiceFunction("f")}, "tool_choice"},
		{ChatRequest{ToolChoice: ToolChoiceFunction("g"), Tools: []Tool{tool}}, "tool_choice.function.name"},
		{ChatRequest{ToolChoice: ToolChoiceFunction(""), Tools: []Tool{tool}}, "tool_choice.function.name"},
	} {
		r := tc.req
		r.Model, r.Messages = "m", msgs
		var pe *ParamError
		if err := r.Validate(); !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("want field %q, got %v", tc.field, err)
		}
	}
	for _, r := range []ChatRequest{
		{TopLogprobs: Ptr(0)},
		{TopLogprobs: Ptr(-1), Logprobs: Ptr(true)},
		{TopLogprobs: Ptr(5), Logprobs: Ptr(true)},
		{ToolChoice: ToolChoiceNone},
		{ToolChoice: ToolChoiceAuto},
		{ToolChoice: ToolChoiceFunction("f"), Tools: []Tool{tool}},
		{ToolChoice: ToolChoiceRequired, Tools: []Tool{tool}},
	} {
		r.Model, r.Messages = "m", msgs
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

// TestBadRequestOptionFailsFirst checks that an invalid request option is
// rejected before the call takes anything: no hook runs, no in-flight slot
// or rate-limit token is used (a held slot would make the call wait).
func TestBadRequestOptionFailsFirst(t *testing.T) {
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	var hooked atomic.Int32
	c := ws.Client(t, WithMaxInFlight(1), WithRateLimit(1, 1), WithHooks(Hooks{
		OnCallStart: func(ctx context.Context, _ *CallInfo) context.Context { hooked.Add(1); return ctx },
		OnCallEnd:   func(context.Context, *CallInfo, *CallResult) { hooked.Add(1) },
	}))
	c.cfg.prod.inflight <- struct{}{} // the only slot is taken
	defer func() { <-c.cfg.prod.inflight }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a call that reached the slot wait would fail with Canceled
	_, err := c.Chat.Create(ctx, &ChatRequest{Model: "m", Messages: []Message{User("x")}}, WithHeader("Bad Name", "x"))
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Field != "WithHeader" {
		t.Fatalf("err = %T %v, want a *ParamError naming WithHeader", err, err)
	}
	if n := hooked.Load(); n != 0 {
		t.Errorf("hooks ran %d times for a call rejected before it started", n)
	}
	if ws.Count() != 0 {
		t.Errorf("%d requests sent", ws.Count())
	}
}
