package vllmtest_test

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// chunk is the part of a chat stream chunk the tests read.
type chunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      *string `json:"role"`
			Content   *string `json:"content"`
			Reasoning *string `json:"reasoning"`
			ToolCalls []struct {
				Index    int     `json:"index"`
				ID       *string `json:"id"`
				Function struct {
					Name      *string `json:"name"`
					Arguments *string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		Logprobs *struct {
			Content []struct {
				Token       string `json:"token"`
				TopLogprobs []any  `json:"top_logprobs"`
			} `json:"content"`
		} `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		Prompt     int `json:"prompt_tokens"`
		Completion int `json:"completion_tokens"`
		Total      int `json:"total_tokens"`
	} `json:"usage"`
}

func chunks(t *testing.T, body string) []chunk {
	t.Helper()
	var out []chunk
	data := sseData(body)
	if len(data) == 0 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", body)
	}
	for _, d := range data[:len(data)-1] {
		var c chunk
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("%v: %s", err, d)
		}
		out = append(out, c)
	}
	return out
}

func TestStreamNInterleavedWithLogprobsAndContinuousUsage(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithTokens(3))
	defer srv.Close()
	_, body := post(t, srv, "/chat/completions", `{"model":"m","n":2,"stream":true,"logprobs":true,"top_logprobs":2,
		"stream_options":{"include_usage":true,"continuous_usage_stats":true},"messages":[{"role":"user","content":"hi"}]}`)
	cs := chunks(t, body)
	// 2 role chunks, then 3 tokens and a finish per choice, interleaved, then usage.
	if len(cs) != 2+2*4+1 {
		t.Fatalf("%d chunks:\n%s", len(cs), body)
	}
	text := [2]string{}
	completion := 0
	for i, c := range cs[:len(cs)-1] {
		ch := c.Choices[0]
		if want := i % 2; ch.Index != want {
			t.Fatalf("chunk %d has index %d, want %d (interleaved)", i, ch.Index, want)
		}
		if c.Usage == nil || c.Usage.Total != c.Usage.Prompt+c.Usage.Completion {
			t.Fatalf("chunk %d without continuous usage: %+v", i, c.Usage)
		}
		if i >= 2 && ch.Delta.Content != nil && *ch.Delta.Content != "" {
			text[ch.Index] += *ch.Delta.Content
			if ch.Logprobs == nil || len(ch.Logprobs.Content) != 1 || ch.Logprobs.Content[0].Token != *ch.Delta.Content || len(ch.Logprobs.Content[0].TopLogprobs) != 2 {
				t.Fatalf("chunk %d logprobs %+v", i, ch.Logprobs)
			}
			completion++
		}
	}
	last := cs[len(cs)-1]
	if len(last.Choices) != 0 || last.Usage.Completion != 8 {
		t.Fatalf("usage chunk %+v", last)
	}
	if text[0] == "" || text[0] == text[1] || len(strings.Fields(text[0])) != 3 {
		t.Fatalf("choices %q", text)
	}
	// Same prompt, same answer: the generator is deterministic.
	_, again := post(t, srv, "/chat/completions", `{"model":"m","n":2,"messages":[{"role":"user","content":"hi"}]}`)
	if !strings.Contains(again, `"content":"`+text[0]+`"`) || !strings.Contains(again, `"content":"`+text[1]+`"`) {
		t.Fatalf("non-streaming answer differs from streamed %q: %s", text, again)
	}
}

func TestParallelToolCalls(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	calls := []vllmtest.ToolCall{
		{ID: "chatcmpl-tool-1", Name: "get_weather", Arguments: `{"city": "Paris", "unit": "c"}`},
		{ID: "chatcmpl-tool-2", Name: "get_time", Arguments: `{"tz": "Europe/Paris"}`},
	}
	srv.Enqueue(vllmtest.Reply{ToolCalls: calls}, vllmtest.Reply{ToolCalls: calls})
	req := `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get_weather"}},{"type":"function","function":{"name":"get_time"}}]`
	_, body := post(t, srv, "/chat/completions", req+`}`)
	var resp struct {
		Choices []struct {
			Message struct {
				Content   *string `json:"content"`
				ToolCalls []struct {
					ID       string `json:"id"`
					Type     string `json:"type"`
					Function struct{ Name, Arguments string }
				} `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if m.Content != nil || len(m.ToolCalls) != 2 || m.ToolCalls[1].Function.Arguments != calls[1].Arguments || m.ToolCalls[0].Type != "function" || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("response %s", body)
	}
	_, body = post(t, srv, "/chat/completions", req+`,"stream":true}`)
	args := map[int]string{}
	names := map[int]string{}
	for _, c := range chunks(t, body) {
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if tc.Function.Name != nil {
				if tc.ID == nil || tc.Function.Arguments != nil {
					t.Fatalf("first delta of call %d: %s", tc.Index, body)
				}
				names[tc.Index] = *tc.Function.Name
			} else if tc.ID != nil || tc.Function.Arguments == nil {
				t.Fatalf("later delta of call %d carries id or lacks arguments: %s", tc.Index, body)
			} else {
				args[tc.Index] += *tc.Function.Arguments
			}
		}
	}
	if names[0] != "get_weather" || names[1] != "get_time" || args[0] != calls[0].Arguments || args[1] != calls[1].Arguments {
		t.Fatalf("names %v args %v", names, args)
	}
}

func TestDefaultToolCallAndNamedChoice(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	tools := `"tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{"n":{"type":"integer"},"city":{"type":"string"}}}}},{"type":"function","function":{"name":"b"}}]`
	_, body := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],`+tools+`}`)
	if !strings.Contains(body, `"name":"a","arguments":"{\"city\": \"`) || !strings.Contains(body, `\"n\": `) || !strings.Contains(body, `"content":null`) || !strings.Contains(body, `"finish_reason":"tool_calls"`) {
		t.Fatalf("auto: %s", body)
	}
	_, body = post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"b"}},`+tools+`}`)
	if !strings.Contains(body, `"name":"b","arguments":"{}"`) || !strings.Contains(body, `"content":""`) || !strings.Contains(body, `"finish_reason":"stop"`) {
		t.Fatalf("named: %s", body)
	}
	_, body = post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none",`+tools+`}`)
	if strings.Contains(body, `"tool_calls"`) {
		t.Fatalf("none: %s", body)
	}
}

func TestReasoningFieldAndSwitch(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithReasoning(3), vllmtest.WithReasoningField("reasoning_content"))
	defer srv.Close()
	_, body := post(t, srv, "/chat/completions", `{"messages":[{"role":"user","content":"x"}],"stream":true}`)
	if !strings.Contains(body, `"delta":{"reasoning_content":"`) || strings.Contains(body, `"reasoning":`) {
		t.Fatalf("stream: %s", body)
	}
	_, body = post(t, srv, "/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`)
	var r struct {
		Choices []struct {
			Message map[string]any `json:"message"`
		} `json:"choices"`
	}
	_ = json.Unmarshal([]byte(body), &r)
	if rc, _ := r.Choices[0].Message["reasoning_content"].(string); len(strings.Fields(rc)) != 3 {
		t.Fatalf("non-stream: %s", body)
	}
	_, body = post(t, srv, "/chat/completions", `{"messages":[{"role":"user","content":"x"}],"chat_template_kwargs":{"enable_thinking":false}}`)
	if !strings.Contains(body, `"reasoning_content":null`) {
		t.Fatalf("thinking off: %s", body)
	}
}

func TestModelsWithLoRA(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("base"), vllmtest.WithLoRA("sql", "base", "/adapters/sql"), vllmtest.WithMaxModelLen(4096))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string  `json:"id"`
			Root        string  `json:"root"`
			Parent      *string `json:"parent"`
			MaxModelLen *int    `json:"max_model_len"`
			Permission  []struct {
				Object string `json:"object"`
			} `json:"permission"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	d := list.Data
	if list.Object != "list" || len(d) != 2 || d[0].ID != "base" || d[0].Parent != nil || *d[0].MaxModelLen != 4096 ||
		d[1].ID != "sql" || *d[1].Parent != "base" || d[1].Root != "/adapters/sql" || d[0].Permission[0].Object != "model_permission" {
		t.Fatalf("models %+v", list)
	}
	if code, body := post(t, srv, "/chat/completions", `{"model":"sql","messages":[{"role":"user","content":"x"}]}`); code != 200 || !strings.Contains(body, `"model":"sql"`) {
		t.Fatalf("LoRA request: %d %s", code, body)
	}
}

func TestEmbeddingsFloatAndBase64(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	_, body := post(t, srv, "/embeddings", `{"input":["a b","c"],"dimensions":4}`)
	var f struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int       `json:"index"`
			Object    string    `json:"object"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
		Usage struct {
			Prompt int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	want := vllmtest.Embedding("c", 4)
	if f.Object != "list" || len(f.Data) != 2 || f.Data[1].Index != 1 || f.Data[1].Object != "embedding" || f.Usage.Prompt != 3 {
		t.Fatalf("%s", body)
	}
	for i := range want {
		if f.Data[1].Embedding[i] != want[i] {
			t.Fatalf("embedding %v, want %v", f.Data[1].Embedding, want)
		}
	}
	_, body = post(t, srv, "/embeddings", `{"input":"c","dimensions":4,"encoding_format":"base64"}`)
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(body), &b64)
	raw, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(raw) != 16 {
		t.Fatalf("base64 %q: %v", b64.Data[0].Embedding, err)
	}
	for i := range want {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != want[i] {
			t.Fatalf("base64 value %d: %v, want %v", i, got, want[i])
		}
	}
}

func TestTokenizeDetokenize(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithAPIKey("k"))
	defer srv.Close()
	// /tokenize is outside /v1: no key needed, as in vLLM.
	code, body := postRoot(t, srv, "/tokenize", `{"prompt":"Hello, world!","return_token_strs":true}`)
	var tok struct {
		Count       int      `json:"count"`
		MaxModelLen int      `json:"max_model_len"`
		Tokens      []int    `json:"tokens"`
		TokenStrs   []string `json:"token_strs"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || code != 200 {
		t.Fatal(code, body)
	}
	if tok.Count != 4 || len(tok.Tokens) != 4 || strings.Join(tok.TokenStrs, "|") != "Hello|,| world|!" || tok.MaxModelLen != vllmtest.DefaultMaxModelLen {
		t.Fatalf("%s", body)
	}
	ids, _ := json.Marshal(tok.Tokens)
	_, body = postRoot(t, srv, "/detokenize", `{"tokens":`+string(ids)+`}`)
	if body != `{"prompt":"Hello, world!"}` {
		t.Fatalf("detokenize %s", body)
	}
	_, body = postRoot(t, srv, "/tokenize", `{"messages":[{"role":"user","content":"hi"}]}`)
	if !strings.Contains(body, `"token_strs":null`) {
		t.Fatalf("messages: %s", body)
	}
}

func postRoot(t *testing.T, srv *vllmtest.Server, path, body string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Post(srv.RootURL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestValidationErrors(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithMaxModelLen(20))
	defer srv.Close()
	cases := []struct{ body, status, typ, param string }{
		{`{"model":"m","messages":`, "400", "Bad Request", ""},
		{`{"model":"m","messages":"hi"}`, "400", "Bad Request", "messages"},
		{`{"model":"m"}`, "400", "Bad Request", "messages"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, "400", "Bad Request", "stream_options"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":100}`, "400", "BadRequestError", "max_tokens"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`, "400", "Bad Request", "tool_choice"},
		{`{"model":"other","messages":[{"role":"user","content":"x"}]}`, "404", "NotFoundError", "model"},
	}
	for _, c := range cases {
		code, body := post(t, srv, "/chat/completions", c.body)
		msg, typ, param, bodyCode := errorOf(t, body)
		if itoa(code) != c.status || itoa(bodyCode) != c.status || typ != c.typ || param != c.param || msg == "" {
			t.Errorf("%s\n -> %d %s", c.body, code, body)
		}
	}
	// Unknown fields are ignored, as vLLM does.
	if code, body := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"no_such_field":1}`); code != 200 {
		t.Errorf("unknown field: %d %s", code, body)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestFailNextPathAndPermanentFaults(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithFault(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Path: "/completions"}))
	defer srv.Close()
	srv.FailNext(2, vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 429, Path: "/chat/completions"})
	chat := `{"messages":[{"role":"user","content":"x"}]}`
	var got []int
	for i := 0; i < 3; i++ {
		code, _ := post(t, srv, "/chat/completions", chat)
		got = append(got, code)
	}
	code, _ := post(t, srv, "/completions", `{"prompt":"x"}`)
	got = append(got, code)
	srv.ClearFaults()
	code, _ = post(t, srv, "/completions", `{"prompt":"x"}`)
	got = append(got, code)
	if itoa(got[0])+itoa(got[1])+itoa(got[2])+itoa(got[3])+itoa(got[4]) != "429429200503200" {
		t.Fatalf("statuses %v", got)
	}
}

func TestRecording(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	post(t, srv, "/chat/completions", `{"messages":[{"role":"user","content":"x"}],"top_k":-1}`, "X-Test", "1")
	post(t, srv, "/completions", `{"prompt":[1,2]}`)
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("X-Test") != "1" || reqs[0].JSON["top_k"] != float64(-1) || reqs[0].Chat == nil ||
		reqs[1].Completion == nil || string(reqs[1].Completion.Prompt) != "[1,2]" || reqs[1].Method != "POST" {
		t.Fatalf("%+v", reqs)
	}
	srv.ResetRequests()
	if len(srv.Requests()) != 0 {
		t.Fatal("not reset")
	}
}

// rawStream sends a streaming chat request and returns the raw body read
// until the connection ends, and the read error.
func rawStream(t *testing.T, srv *vllmtest.Server) (string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/chat/completions",
		strings.NewReader(`{"messages":[{"role":"user","content":"x"}],"stream":true}`))
	req.Header.Set("X-Request-Id", "fixed")
	resp, err := srv.Client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return normalize(string(b)), err
}

func TestStreamFaultsOnTheWire(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testStreamFaultsOnTheWire)
}

func testStreamFaultsOnTheWire(t *testing.T) {
	reply := vllmtest.Reply{Content: "one two three"}
	run := func(f vllmtest.Fault) (string, error) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithHandler(func(*vllmtest.Request) *vllmtest.Reply { return &reply }))
		defer srv.Close()
		srv.Fail(f)
		return rawStream(t, srv)
	}
	clean, err := run(vllmtest.Fault{})
	if err != nil || len(sseData(clean)) != 6 {
		t.Fatalf("clean: %v %q", err, clean)
	}
	events := sseData(clean)

	body, err := run(vllmtest.Fault{Kind: vllmtest.FaultDrop, After: 2})
	if !errors.Is(err, io.ErrUnexpectedEOF) || body != "data: "+events[0]+"\n\ndata: "+events[1]+"\n\n" {
		t.Errorf("drop after 2: %v %q", err, body)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultDrop, Bytes: 30})
	if !errors.Is(err, io.ErrUnexpectedEOF) || body != clean[:30] {
		t.Errorf("drop after 30 bytes: %v %q", err, body)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultNoDone})
	if err != nil || body != strings.TrimSuffix(clean, "data: [DONE]\n\n") {
		t.Errorf("no done: %v %q", err, body)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 3, Status: 500, Message: "Engine loop died é"})
	want := "data: " + events[0] + "\n\ndata: " + events[1] + "\n\ndata: " + events[2] + "\n\n" +
		`data: {"error": {"message": "Engine loop died \u00e9", "type": "InternalServerError", "param": null, "code": 500}}` + "\n\ndata: [DONE]\n\n"
	if err != nil || body != want {
		t.Errorf("error event: %v\n got %q\nwant %q", err, body, want)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultTruncate, After: 1})
	if d := sseData(body); err != nil || len(d) != 6 || !strings.HasPrefix(events[1], d[1]) || len(d[1]) >= len(events[1])-10 || json.Valid([]byte(d[1])) {
		t.Errorf("truncate: %v %q", err, body)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultGarbage, After: 1, Data: []byte("<garbage>\n\n")})
	if err != nil || body != "data: "+events[0]+"\n\n<garbage>\n\n"+strings.TrimPrefix(clean, "data: "+events[0]+"\n\n") {
		t.Errorf("garbage: %v %q", err, body)
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultHugeEvent, After: 1, Bytes: 100000})
	if d := sseData(body); err != nil || len(d) != 7 || !strings.Contains(d[1], `"delta":{"content":"`+strings.Repeat("x", 100000)+`"},`) {
		t.Errorf("huge: %v %d events", err, len(d))
	}
	start := time.Now()
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultStall, After: 1, Duration: time.Minute})
	if err != nil || body != clean || time.Since(start) != time.Minute {
		t.Errorf("stall: %v %q after %v", err, body, time.Since(start))
	}
	body, err = run(vllmtest.Fault{Kind: vllmtest.FaultReset, After: 2})
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset: %v %q", err, body)
	}
}

func TestResetBeforeHeaders(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultReset})
	_, err := http.Post(srv.URL+"/chat/completions", "application/json", strings.NewReader(`{"messages":[]}`))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("want ECONNRESET, got %v", err)
	}
}

func TestCloseEndsStalledHandlers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithFault(vllmtest.Fault{Kind: vllmtest.FaultStall, Duration: time.Hour}))
		done := make(chan error, 1)
		go func() {
			_, err := rawStream(t, srv)
			done <- err
		}()
		synctest.Wait() // the handler stalls
		if len(srv.Requests()) != 1 {
			t.Fatalf("%d requests", len(srv.Requests()))
		}
		start := time.Now()
		srv.Close()
		<-done
		// Close ends the stall at once instead of waiting out the hour.
		if d := time.Since(start); d != 0 {
			t.Fatalf("Close took %v", d)
		}
	})
}

func TestStartServesOnAddress(t *testing.T) {
	srv, err := vllmtest.Start("127.0.0.1:0", vllmtest.WithModel("m"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.URL != "http://"+srv.Addr()+"/v1" {
		t.Fatalf("URL %q addr %q", srv.URL, srv.Addr())
	}
	// One connection, reused for keep-alive requests.
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := 0; i < 3; i++ {
		if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatal(resp, err)
		}
		resp.Body.Close()
	}
	if srv.Connections() != 1 {
		t.Fatalf("connections %d", srv.Connections())
	}
	if _, err := vllmtest.Start(srv.Addr()); err == nil {
		t.Fatal("second listener on the same address succeeded")
	}
}

func TestVersionAndUnknownRoute(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithVersion("0.25.1"))
	defer srv.Close()
	resp, err := http.Get(srv.RootURL() + "/version")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"version":"0.25.1"}` {
		t.Fatalf("version %s", b)
	}
	resp, err = http.Get(srv.RootURL() + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || string(b) != `{"detail":"Not Found"}` {
		t.Fatalf("unknown route %d %s", resp.StatusCode, b)
	}
}

func TestStopStringEndsGeneration(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithTokens(8))
	defer srv.Close()
	_, full := post(t, srv, "/completions", `{"prompt":"stop test","max_tokens":8}`)
	var r struct {
		Choices []struct {
			Text         string  `json:"text"`
			FinishReason string  `json:"finish_reason"`
			StopReason   *string `json:"stop_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(full), &r); err != nil {
		t.Fatal(err)
	}
	text := r.Choices[0].Text
	words := strings.Fields(text)
	stop := " " + words[3]
	cut := strings.Index(text, stop)
	body, _ := json.Marshal(map[string]any{"prompt": "stop test", "max_tokens": 8, "stop": []string{"zzz", stop}})
	_, got := post(t, srv, "/completions", string(body))
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatal(err)
	}
	c := r.Choices[0]
	if c.Text != text[:cut] || c.FinishReason != "stop" || c.StopReason == nil || *c.StopReason != stop {
		t.Fatalf("text %q finish %q stop_reason %v; full text %q, stop %q", c.Text, c.FinishReason, c.StopReason, text, stop)
	}
}

func TestLatencyTakesExactlyItsSimulatedTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithTokens(4),
			vllmtest.WithTTFT(2*time.Second), vllmtest.WithITL(250*time.Millisecond))
		defer srv.Close()

		// A stream: the first event after the TTFT, each later token (the
		// end-of-sequence one with the finish reason included) one ITL
		// after the previous one.
		ms := time.Millisecond
		for path, want := range map[string][]time.Duration{
			// role, 4 tokens, end of sequence, [DONE]
			"/chat/completions": {2000 * ms, 2000 * ms, 2250 * ms, 2500 * ms, 2750 * ms, 3000 * ms, 3000 * ms},
			// 4 tokens, end of sequence, [DONE]
			"/completions": {2000 * ms, 2250 * ms, 2500 * ms, 2750 * ms, 3000 * ms, 3000 * ms},
		} {
			start := time.Now()
			resp, err := srv.Client().Post(srv.URL+path, "application/json",
				strings.NewReader(`{"messages":[{"role":"user","content":"x"}],"prompt":"x","stream":true}`))
			if err != nil {
				t.Fatal(err)
			}
			var at []time.Duration
			br := bufio.NewReader(resp.Body)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				if strings.HasPrefix(line, "data: ") {
					at = append(at, time.Since(start))
				}
			}
			resp.Body.Close()
			if fmt.Sprint(at) != fmt.Sprint(want) {
				t.Errorf("%s: events at %v, want %v", path, at, want)
			}
		}

		// A whole response: TTFT plus an ITL per further token, the
		// end-of-sequence one included.
		for _, path := range []string{"/chat/completions", "/completions"} {
			start := time.Now()
			status, _ := post(t, srv, path, `{"messages":[{"role":"user","content":"x"}],"prompt":"x"}`)
			if d := time.Since(start); status != 200 || d != 3000*ms {
				t.Errorf("%s: status %d after %v, want 200 after 3s", path, status, d)
			}
		}
	})
}
