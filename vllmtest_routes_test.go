package vllm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/metrics"
	"github.com/vllmgo/vllm/vllmtest"
)

// These tests run the client against vllmtest's handlers for the routes
// beyond chat and completions, end to end.

func newTestServer(t *testing.T, opts ...vllmtest.Option) (*vllmtest.Server, *vllm.Client) {
	t.Helper()
	srv := vllmtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := vllm.New(srv.URL, vllm.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestVllmtestPoolingFamily(t *testing.T) {
	_, c := newTestServer(t, vllmtest.WithModel("m"))
	ctx := ctxT(t)

	p, err := c.Pooling.Create(ctx, &vllm.PoolingRequest{Input: vllm.PromptTexts("a b", "c"), Task: "token_embed"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := p.Data[0].Matrix()
	if err != nil || len(rows) != 2 || len(rows[0]) != 8 || p.Model != "m" || p.Usage.PromptTokens != 3 {
		t.Fatalf("pooling %+v rows %v %v", p, rows, err)
	}
	p, err = c.Pooling.Create(ctx, &vllm.PoolingRequest{Input: vllm.PromptText("a"), EncodingFormat: "base64", Dimensions: vllm.Ptr(4)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Data[0].Vector()
	var norm float32
	for _, x := range v {
		norm += x * x
	}
	if err != nil || len(v) != 4 || norm < 0.99 || norm > 1.01 {
		t.Fatalf("vector %v %v", v, err)
	}

	cl, err := c.Pooling.Classify(ctx, &vllm.ClassifyRequest{Input: vllm.PromptTexts("a good day", "rain")})
	if err != nil || cl.Data[0].Label != "positive" || cl.Data[1].Label != "negative" || cl.Data[0].NumClasses != 2 {
		t.Fatalf("classify %+v %v", cl, err)
	}

	sc, err := c.Pooling.Score(ctx, &vllm.ScoreRequest{Text1: vllm.PromptText("capital of France"), Text2: vllm.PromptTexts("Paris is the capital of France", "Berlin")})
	if err != nil || sc.Scores()[0] != 1 || sc.Scores()[1] != 0 {
		t.Fatalf("score %+v %v", sc, err)
	}

	for _, rerank := range []func() (*vllm.RerankResponse, error){
		func() (*vllm.RerankResponse, error) {
			return c.Pooling.Rerank(ctx, &vllm.RerankRequest{Query: "capital France", Documents: []string{"Berlin", "Paris, capital of France"}, TopN: 1})
		},
		func() (*vllm.RerankResponse, error) {
			return c.Pooling.Rerank(ctx, &vllm.RerankRequest{Route: "/v1/rerank", Query: "capital France", Documents: []string{"Berlin", "Paris, capital of France"}, TopN: 1})
		},
		func() (*vllm.RerankResponse, error) {
			return c.Pooling.Rerank(ctx, &vllm.RerankRequest{Route: "/v2/rerank", Query: "capital France", Documents: []string{"Berlin", "Paris, capital of France"}, TopN: 1})
		},
	} {
		rr, err := rerank()
		if err != nil || len(rr.Results) != 1 || rr.Results[0].Index != 1 || rr.Results[0].RelevanceScore != 1 || rr.Results[0].Document.Text != "Paris, capital of France" {
			t.Fatalf("rerank %+v %v", rr, err)
		}
	}

	_, err = c.Pooling.Rerank(ctx, &vllm.RerankRequest{Model: "nope", Query: "q", Documents: []string{"d"}})
	if !errors.Is(err, vllm.ErrModelNotFound) {
		t.Fatalf("unknown model: %v", err)
	}
	if _, err := c.Models.Retrieve(ctx, "nope"); !strings.Contains(err.Error(), "served: m") {
		t.Fatalf("retrieve: %v", err)
	}
}

func TestVllmtestAudio(t *testing.T) {
	srv, c := newTestServer(t)
	ctx := ctxT(t)
	tr, err := c.Audio.Transcribe(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", make([]byte, 40000)), Language: "en"})
	if err != nil || tr.Text == "" || tr.Usage == nil || tr.Usage.Seconds != 2 {
		t.Fatalf("transcribe %+v %v", tr, err)
	}
	rec, _ := srv.LastRequest()
	if rec.Path != "/v1/audio/transcriptions" || !strings.HasPrefix(rec.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Fatalf("recorded %s %s", rec.Path, rec.Header.Get("Content-Type"))
	}
	verbose, err := c.Audio.Translate(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", make([]byte, 40000)), Language: "en", ResponseFormat: "verbose_json"})
	if err != nil || verbose.Text != tr.Text || verbose.Duration != 2 || len(verbose.Segments) != 1 || verbose.Language != "en" {
		t.Fatalf("verbose %+v %v", verbose, err)
	}
	// vLLM answers "text" with JSON too, and rejects srt and vtt.
	txt, err := c.Audio.Transcribe(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", make([]byte, 40000)), Language: "en", ResponseFormat: "text"})
	if err != nil || txt.Text != tr.Text {
		t.Fatalf("text %q %v", txt.Text, err)
	}
	var ae *vllm.APIError
	_, err = c.Audio.Transcribe(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil), ResponseFormat: "srt"})
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !strings.Contains(ae.Message, "verbose_json") {
		t.Fatalf("srt: %v", err)
	}
	tl, err := c.Audio.Translate(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", make([]byte, 40000)), Language: "en"})
	if err != nil || tl.Text != tr.Text || tl.Usage != nil {
		t.Fatalf("translation %+v %v", tl, err)
	}
	st, err := c.Audio.TranscribeStream(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", make([]byte, 40000)), Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	text, err := collectAudioText(st)
	if err != nil || text != tr.Text {
		t.Fatalf("stream %q vs %q: %v", text, tr.Text, err)
	}
	_, err = c.Audio.Transcribe(ctx, &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil), Model: "whisper"})
	if !errors.Is(err, vllm.ErrModelNotFound) {
		t.Fatalf("unknown model: %v", err)
	}
}

func TestVllmtestResponses(t *testing.T) {
	_, c := newTestServer(t, vllmtest.WithReasoning(4))
	ctx := ctxT(t)
	r, err := c.Responses.Create(ctx, &vllm.ResponseRequest{Input: "hello", MaxOutputTokens: vllm.Ptr(5)})
	if err != nil || r.Status != "completed" || r.ReasoningText() == "" || r.Text() == "" || r.Usage.OutputTokensDetails.ReasoningTokens != 4 || r.Usage.OutputTokens != 9 {
		t.Fatalf("create %+v %v", r, err)
	}
	got, err := c.Responses.Get(ctx, r.ID)
	if err != nil || got.Text() != r.Text() {
		t.Fatalf("get %+v %v", got, err)
	}
	var ae *vllm.APIError
	if _, err := c.Responses.Cancel(ctx, r.ID); !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("cancelled a completed response: %v", err)
	}
	bg, err := c.Responses.Create(ctx, &vllm.ResponseRequest{Input: "later", Background: vllm.Ptr(true)})
	if err != nil || bg.Status != "queued" {
		t.Fatalf("background %+v %v", bg, err)
	}
	if cr, err := c.Responses.Cancel(ctx, bg.ID); err != nil || cr.Status != "cancelled" {
		t.Fatalf("cancel %+v %v", cr, err)
	}
	if _, err := c.Responses.Get(ctx, "resp_missing"); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("missing: %v", err)
	}

	// Streamed: reasoning, then the text; the collected text is the final
	// response's.
	st, err := c.Responses.Stream(ctx, &vllm.ResponseRequest{Input: "hello", MaxOutputTokens: vllm.Ptr(5)})
	if err != nil {
		t.Fatal(err)
	}
	var reasoning strings.Builder
	var text strings.Builder
	for ev, err := range st.Events() {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case "response.reasoning_text.delta":
			reasoning.WriteString(ev.Delta)
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		}
	}
	if final, err := st.Collect(); err != nil || text.String() != final.Text() || reasoning.String() != final.ReasoningText() || text.String() != r.Text() {
		t.Fatalf("stream text %q reasoning %q final %+v %v", text.String(), reasoning.String(), final, err)
	}

	// A function call, streamed.
	tool, _ := vllm.NewTool("get_weather", "", `{"type":"object","properties":{"city":{"type":"string"}}}`)
	st, err = c.Responses.Stream(ctx, &vllm.ResponseRequest{Input: "weather?", Tools: []vllm.ResponseTool{vllm.ResponseFunctionTool(tool)}})
	if err != nil {
		t.Fatal(err)
	}
	var args strings.Builder
	for ev, err := range st.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "response.function_call_arguments.delta" {
			args.WriteString(ev.Delta)
		}
	}
	final, err := st.Collect()
	if err != nil {
		t.Fatal(err)
	}
	calls := final.FunctionCalls()
	var a struct{ City string }
	if len(calls) != 1 || calls[0].Name != "get_weather" || calls[0].Arguments != args.String() || calls[0].DecodeArguments(&a) != nil || a.City == "" {
		t.Fatalf("calls %+v args %q", calls, args.String())
	}
}

func TestVllmtestOps(t *testing.T) {
	_, c := newTestServer(t, vllmtest.WithModel("base"), vllmtest.WithLoRA("sql", "base", "/a/sql"))
	ctx := ctxT(t)
	if _, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "base", Messages: []vllm.Message{vllm.User("hi")}}); err != nil {
		t.Fatal(err)
	}
	m, err := metrics.Scrape(ctx, c)
	if err != nil || m.RequestsFinished["stop"] != 1 || m.PromptTokens == 0 || m.TimeToFirstToken == nil || m.TimeToFirstToken.Count != 1 || m.E2ELatency == nil {
		t.Fatalf("metrics %+v %v", m, err)
	}
	if err := c.Server.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Server.Version(ctx); err != nil || v != vllmtest.DefaultVersion {
		t.Fatalf("version %q %v", v, err)
	}
	if info, err := c.Tokenizer.Info(ctx); err != nil || info["tokenizer_class"] != "VllmtestTokenizer" {
		t.Fatalf("tokenizer info %v %v", info, err)
	}
	if n, err := c.Server.Load(ctx); err != nil || n != 0 {
		t.Fatalf("load %d %v", n, err)
	}
	if d, err := c.Models.Default(ctx); err != nil || d != "base" {
		t.Fatalf("default %q %v", d, err)
	}
	msg, err := c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "math", Path: "/a/math"})
	if err != nil || msg != "Success: LoRA adapter 'math' added successfully." {
		t.Fatalf("load %q %v", msg, err)
	}
	var ae *vllm.APIError
	if _, err := c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "math", Path: "/a/math"}); !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("load twice: %v", err)
	}
	if msg, err := c.LoRA.Unload(ctx, "math"); err != nil || msg != "Success: LoRA adapter 'math' removed successfully." {
		t.Fatalf("unload %q %v", msg, err)
	}
	if _, err := c.LoRA.Unload(ctx, "math"); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("unload twice: %v", err)
	}
	if err := c.Dev.Sleep(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Dev.IsSleeping(ctx); err != nil || !s {
		t.Fatalf("sleeping %v %v", s, err)
	}
	if err := c.Dev.WakeUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Dev.IsSleeping(ctx); err != nil || s {
		t.Fatalf("awake %v %v", s, err)
	}
	if err := c.Dev.ResetPrefixCache(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Dev.ResetMMCache(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestVllmtestFaults: the handlers go through the server's fault injection.
func TestVllmtestFaults(t *testing.T) {
	srv, c := newTestServer(t)
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultTruncate})
	_, err := c.Pooling.Rerank(ctxT(t), &vllm.RerankRequest{Query: "q", Documents: []string{"d"}})
	if !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("truncated: %v", err)
	}
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Message: "sleeping"})
	var ae *vllm.APIError
	if _, err := metrics.Scrape(ctxT(t), c); !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("503: %v", err)
	}
}

func TestVllmtestEmbeddingsAndTokenize(t *testing.T) {
	_, c := newTestServer(t, vllmtest.WithModel("m"), vllmtest.WithMaxModelLen(4096))
	ctx := ctxT(t)
	f, err := c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptTexts("hello world", "bye")})
	if err != nil || len(f.Data) != 2 || len(f.Data[0].Embedding) == 0 {
		t.Fatalf("float %+v %v", f, err)
	}
	b, err := c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptTexts("hello world", "bye"), EncodingFormat: "base64"})
	if err != nil || b.Data[0].Base64 == "" || len(b.Data[0].Embedding) != len(f.Data[0].Embedding) {
		t.Fatalf("base64 %+v %v", b, err)
	}
	for i, x := range f.Data[0].Embedding {
		if d := x - b.Data[0].Embedding[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("float and base64 differ at %d: %v vs %v", i, x, b.Data[0].Embedding[i])
		}
	}
	tok, err := c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Prompt: "hello world", ReturnTokenStrs: vllm.Ptr(true)})
	if err != nil || tok.Count != len(tok.Tokens) || tok.Count == 0 || tok.MaxModelLen != 4096 || strings.Join(tok.TokenStrs, "") == "" {
		t.Fatalf("tokenize %+v %v", tok, err)
	}
	detok, err := c.Tokenizer.Detokenize(ctx, &vllm.DetokenizeRequest{Tokens: tok.Tokens})
	if err != nil || detok.Prompt != "hello world" {
		t.Fatalf("detokenize %+v %v", detok, err)
	}
	chat, err := c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Messages: []vllm.Message{vllm.User("hello world")}, AddGenerationPrompt: vllm.Ptr(true)})
	if err != nil || chat.Count <= tok.Count {
		t.Fatalf("chat tokenize %+v %v", chat, err)
	}
}

// TestVllmtestRejections: the handlers reject what vLLM rejects, with its
// error shapes.
func TestVllmtestRejections(t *testing.T) {
	srv, c := newTestServer(t)
	ctx := ctxT(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/pooling", `{"model":"vllmtest-model"}`, 400},
		{"POST", "/classify", `{"input":3}`, 400},
		{"POST", "/score", `{"text_1":["a","b"],"text_2":["c"]}`, 400},
		{"POST", "/rerank", `{"query":"q","documents":[]}`, 400},
		{"POST", "/v1/responses", `{"input":""}`, 400},
		{"POST", "/v1/responses/resp_x/cancel", ``, 404},
		{"GET", "/pooling", ``, 405},
		{"POST", "/v1/load_lora_adapter", `{"lora_name":"x"}`, 400},
		{"POST", "/v1/audio/transcriptions", `{"file":"x"}`, 400},
	} {
		_, err := c.RawRoot(ctx, tc.method, tc.path, []byte(tc.body))
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Message == "" {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
		}
	}
	// Every rejection was recorded.
	rec, _ := srv.LastRequest()
	if rec.Path != "/v1/audio/transcriptions" {
		t.Fatalf("last request %s", rec.Path)
	}
}

// TestVllmtestNAndBeamSearch: n > 1 with beam search and logprobs, end to end.
func TestVllmtestNAndBeamSearch(t *testing.T) {
	srv, c := newTestServer(t)
	req := &vllm.CompletionRequest{Model: vllmtest.DefaultModel, Prompt: vllm.PromptText("Once upon"), Logprobs: vllm.Ptr(2)}
	req.N = vllm.Ptr(2)
	req.UseBeamSearch = vllm.Ptr(true)
	req.MaxTokens = vllm.Ptr(4)
	resp, err := c.Completions.Create(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 2 || resp.Choices[1].Index != 1 || resp.Choices[0].Text == "" || resp.Choices[0].Logprobs == nil || len(resp.Choices[0].Logprobs.Tokens) == 0 {
		t.Fatalf("choices %+v", resp.Choices)
	}
	rec, _ := srv.LastRequest()
	if rec.JSON["use_beam_search"] != true || rec.JSON["n"] != float64(2) {
		t.Fatalf("sent %s", rec.Body)
	}
	creq := &vllm.ChatRequest{Model: vllmtest.DefaultModel, Messages: []vllm.Message{vllm.User("hi")}, Logprobs: vllm.Ptr(true), TopLogprobs: vllm.Ptr(1)}
	creq.N = vllm.Ptr(3)
	cresp, err := c.Chat.Create(ctxT(t), creq)
	if err != nil || len(cresp.Choices) != 3 {
		t.Fatalf("chat n=3: %+v %v", cresp, err)
	}
	if lp := cresp.Choices[2].Logprobs; lp == nil || len(lp.Content) == 0 || len(lp.Content[0].TopLogprobs) != 1 {
		t.Fatalf("chat logprobs %+v", lp)
	}
}

// Adapters loaded at run time are listed by /v1/models after the served
// models, in load order (root = adapter path, parent = the base model, no
// max_model_len), can be named by requests, and disappear once unloaded.
func TestVllmtestRuntimeLoRAListed(t *testing.T) {
	vllm.NoGoroutineLeaks(t)
	srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("base"), vllmtest.WithLoRA("sql", "base", "/adapters/sql"))
	defer srv.Close()
	c := newClient(t, srv.URL)
	defer c.Close()
	ctx := t.Context()
	ids := func() []string {
		t.Helper()
		l, err := c.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range l.Data {
			out = append(out, m.ID)
		}
		return out
	}
	for _, name := range []string{"math", "code"} {
		if _, err := c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: name, Path: "/a/" + name}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(); strings.Join(got, ",") != "base,sql,math,code" {
		t.Fatalf("models %v", got)
	}
	m := l.Data[2]
	if m.Root != "/a/math" || m.Parent != "base" || m.MaxModelLen != 0 || m.Parent == "" || m.OwnedBy != "vllm" ||
		!strings.Contains(string(m.Permission), `"object":"model_permission"`) {
		t.Fatalf("adapter card %+v", m)
	}
	if _, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "math", Messages: []vllm.Message{vllm.User("hi")}}); err != nil {
		t.Fatalf("chat with a loaded adapter: %v", err)
	}
	// Loading in place keeps the adapter's position and takes the new path.
	inplace := true
	if _, err := c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "math", Path: "/b/math", LoadInplace: &inplace}); err != nil {
		t.Fatal(err)
	}
	if l, err := c.Models.List(ctx); err != nil || len(l.Data) != 4 || l.Data[2].Root != "/b/math" {
		t.Fatalf("after in-place load: %+v %v", l, err)
	}
	if _, err := c.LoRA.Unload(ctx, "math"); err != nil {
		t.Fatal(err)
	}
	if got := ids(); strings.Join(got, ",") != "base,sql,code" {
		t.Fatalf("models after unload %v", got)
	}
	var ae *vllm.APIError
	if _, err := c.Chat.Create(ctx, &vllm.ChatRequest{Model: "math", Messages: []vllm.Message{vllm.User("hi")}}); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("chat with an unloaded adapter: %v", err)
	}
}
