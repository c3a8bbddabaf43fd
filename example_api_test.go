package vllm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/vllmgo/vllm"
)

// exampleServer answers every route with the vLLM response bytes used by the
// wire tests (the first case of each route), streams where the request asks
// for one, and the metrics scrape in testdata.
func exampleServer() (*vllm.Client, func()) {
	bodies := map[string]routeCase{}
	for _, tc := range routeCases {
		if _, ok := bodies[tc.method+" "+tc.path]; !ok {
			bodies[tc.method+" "+tc.path] = tc
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		stream := strings.Contains(string(body), `"stream":true`) || strings.Contains(string(body), "name=\"stream\"")
		switch {
		case r.URL.Path == "/v1/responses" && stream:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, toolStream)
			return
		case r.URL.Path == "/v1/responses":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, responseToolJSON)
			return
		case strings.HasPrefix(r.URL.Path, "/v1/audio/") && stream:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, transcriptionSSE)
			return
		case strings.HasPrefix(r.URL.Path, "/v1/audio/"):
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"text":"Hello world.","usage":{"type":"duration","seconds":3}}`)
			return
		case r.URL.Path == "/v1/chat/completions":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{\"city\":\"Paris\",\"temp_c\":21.5}"},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":32,"completion_tokens":12}}`)
			return
		}
		tc, ok := bodies[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `{"detail":"Not Found"}`)
			return
		}
		ct := tc.respType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		io.WriteString(w, tc.resp)
	}))
	c, _ := vllm.New(srv.URL + "/v1")
	return c, srv.Close
}

// Pick the served model when the user named none.
func ExampleModelsService_Default() {
	c, done := exampleServer()
	defer done()
	model, err := c.Models.Default(context.Background())
	fmt.Println(model, err)
	// Output: Qwen/Qwen3-8B <nil>
}

// List the served models with their context length, and the LoRA adapters
// with their base model.
func ExampleModelsService_List() {
	c, done := exampleServer()
	defer done()
	list, err := c.Models.List(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range list.Data {
		if m.Parent != "" { // a LoRA adapter
			fmt.Printf("%s: LoRA adapter on %s\n", m.ID, m.Parent)
		} else {
			fmt.Printf("%s: %d tokens of context\n", m.ID, m.MaxModelLen)
		}
	}
	_, err = c.Models.Retrieve(context.Background(), "llama")
	fmt.Println(err)
	// Output:
	// Qwen/Qwen3-8B: 32768 tokens of context
	// sql-lora: LoRA adapter on Qwen/Qwen3-8B
	// vllm: model "llama" is not served; served: Qwen/Qwen3-8B, sql-lora
}

// Embed two texts; with EncodingFormat "base64" the vectors arrive decoded
// just the same.
func ExampleEmbeddingsService_Create() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Embeddings.Create(context.Background(), &vllm.EmbeddingRequest{
		Model: "BAAI/bge-m3", Input: vllm.PromptTexts("a", "b"), Dimensions: vllm.Ptr(3),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range resp.Vectors() {
		fmt.Println(v)
	}
	fmt.Println(resp.Usage.PromptTokens, "prompt tokens")
	// Output:
	// [0.015625 -0.5 0.001]
	// [1 2 3]
	// 6 prompt tokens
}

// Count the tokens of a prompt against the model's context length.
func ExampleTokenizerService_Tokenize() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Tokenizer.Tokenize(context.Background(), &vllm.TokenizeRequest{
		Model: "m", Prompt: "Hello world", AddSpecialTokens: vllm.Ptr(false), ReturnTokenStrs: vllm.Ptr(true),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Count, "of", resp.MaxModelLen, resp.Tokens, resp.TokenStrs)
	// Output: 2 of 32768 [9707 1879] [Hello Ġworld]
}

// Turn token ids back into text.
func ExampleTokenizerService_Detokenize() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Tokenizer.Detokenize(context.Background(), &vllm.DetokenizeRequest{Model: "m", Tokens: []int{9707, 1879}})
	fmt.Println(resp.Prompt, err)
	// Output: Hello world <nil>
}

// Read a reward model's per-token scores from /pooling.
func ExamplePoolingService_Create() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Pooling.Create(context.Background(), &vllm.PoolingRequest{Model: "reward", Input: vllm.PromptTexts("a", "b"), Task: "token_classify"})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := resp.Data[0].Matrix()
	vec, _ := resp.Data[1].Vector()
	fmt.Println(rows, vec)
	// Output: [[0.5 0.25] [1 2]] [0.75 -1]
}

// Classify texts.
func ExamplePoolingService_Classify() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Pooling.Classify(context.Background(), &vllm.ClassifyRequest{Model: "cls", Input: vllm.PromptTexts("good", "bad")})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range resp.Data {
		fmt.Printf("%d %q %v\n", d.Index, d.Label, d.Probs)
	}
	// Output:
	// 0 "positive" [0.1 0.9]
	// 1 "" [0.8 0.2]
}

// Score one text against several.
func ExamplePoolingService_Score() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Pooling.Score(context.Background(), &vllm.ScoreRequest{
		Model: "bge-reranker", Text1: vllm.PromptText("capital of France?"), Text2: vllm.PromptTexts("Paris", "Berlin"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Scores())
	// Output: [0.99 0.01]
}

// Rerank documents and keep the best one.
func ExamplePoolingService_Rerank() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Pooling.Rerank(context.Background(), &vllm.RerankRequest{
		Model: "bge-reranker", Query: "capital of France?", Documents: []string{"Berlin", "Paris"}, TopN: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range resp.Results {
		fmt.Println(r.Index, r.Document.Text, r.RelevanceScore)
	}
	// Output: 1 Paris 0.998
}

// Transcribe an audio file; the upload is streamed from the file.
func ExampleAudioService_Transcribe() {
	c, done := exampleServer()
	defer done()
	path := os.TempDir() + "/vllm-example.wav"
	_ = os.WriteFile(path, []byte("RIFF"), 0o600)
	defer os.Remove(path)
	tr, err := c.Audio.Transcribe(context.Background(), &vllm.AudioRequest{
		File: vllm.AudioFromFile(path), Model: "openai/whisper-large-v3", Language: "en", Temperature: vllm.Ptr(0.0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Text, tr.Usage.Seconds)
	// Output: Hello world. 3
}

// Stream a transcription as it is decoded.
func ExampleAudioService_TranscribeStream() {
	c, done := exampleServer()
	defer done()
	st, err := c.Audio.TranscribeStream(context.Background(), &vllm.AudioRequest{
		File: vllm.AudioFromReader("clip.wav", strings.NewReader("RIFF")),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	for ev, err := range st.Events() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if ev.Text != "" {
			fmt.Printf("%q\n", ev.Text)
		}
		if ev.Usage != nil {
			fmt.Println(ev.Usage.CompletionTokens, "tokens")
		}
	}
	// Output:
	// " Hello"
	// " world."
	// 4 tokens
}

// Call the Responses API with a tool; the model reasons, then calls it.
func ExampleResponsesService_Create() {
	c, done := exampleServer()
	defer done()
	tool, _ := vllm.NewTool("get_weather", "Weather of a city", `{"type":"object","properties":{"city":{"type":"string"}}}`)
	resp, err := c.Responses.Create(context.Background(), &vllm.ResponseRequest{
		Model: "Qwen/Qwen3-8B", Input: "Weather in Paris?", Tools: []vllm.ResponseTool{vllm.ResponseFunctionTool(tool)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reasoning:", resp.ReasoningText())
	for _, call := range resp.FunctionCalls() {
		fmt.Println("call:", call.Name, call.Arguments)
	}
	// Output:
	// reasoning: The user wants the weather.
	// call: get_weather {"city": "Paris"}
}

// Stream a response: reasoning deltas, then the function call's arguments.
func ExampleResponsesService_Stream() {
	c, done := exampleServer()
	defer done()
	st, err := c.Responses.Stream(context.Background(), &vllm.ResponseRequest{Input: "Weather in Paris?"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	for ev, err := range st.Events() {
		if err != nil {
			fmt.Println(err)
			return
		}
		switch ev.Type {
		case "response.reasoning_text.delta":
			fmt.Printf("thinking %q\n", ev.Delta)
		case "response.function_call_arguments.done":
			fmt.Println("arguments", ev.Arguments)
		case "response.completed":
			fmt.Println("done,", ev.Response.Usage.TotalTokens, "tokens")
		}
	}
	// Output:
	// thinking "The user wants "
	// thinking "the weather."
	// arguments {"city": "Paris"}
	// done, 70 tokens
}

// Check liveness and the server's version.
func ExampleServerService_Health() {
	c, done := exampleServer()
	defer done()
	ctx := context.Background()
	fmt.Println(c.Server.Health(ctx))
	v, err := c.Server.Version(ctx)
	fmt.Println(v, err)
	// Output:
	// <nil>
	// 0.11.0 <nil>
}

// Load and unload a LoRA adapter (the server needs
// VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).
func ExampleLoRAService_Load() {
	c, done := exampleServer()
	defer done()
	ctx := context.Background()
	msg, err := c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "sql", Path: "/adapters/sql"})
	fmt.Println(msg, err)
	msg, err = c.LoRA.Unload(ctx, "sql")
	fmt.Println(msg, err)
	// Output:
	// Success: LoRA adapter 'sql' added successfully. <nil>
	// Success: LoRA adapter 'sql' removed successfully. <nil>
}

// Free the GPU between jobs on a development server
// (VLLM_SERVER_DEV_MODE=1).
func ExampleDevService_Sleep() {
	c, done := exampleServer()
	defer done()
	ctx := context.Background()
	fmt.Println(c.Dev.Sleep(ctx, 1))
	sleeping, err := c.Dev.IsSleeping(ctx)
	fmt.Println(sleeping, err)
	fmt.Println(c.Dev.WakeUp(ctx, nil), c.Dev.ResetPrefixCache(ctx))
	// Output:
	// <nil>
	// true <nil>
	// <nil> <nil>
}

// Ask for JSON following a Go type and decode the answer into it.
func ExampleStructuredOutputs() {
	c, done := exampleServer()
	defer done()
	type Weather struct {
		City  string  `json:"city"`
		TempC float64 `json:"temp_c"`
	}
	schema, err := vllm.JSONSchemaFor[Weather]()
	if err != nil {
		fmt.Println(err)
		return
	}
	req := &vllm.ChatRequest{Model: "m", Messages: []vllm.Message{vllm.User("Weather in Paris?")}}
	req.StructuredOutputs = &vllm.StructuredOutputs{JSON: schema}
	resp, err := c.Chat.Create(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	var w Weather
	fmt.Println(resp.DecodeJSON(&w), w.City, w.TempC)
	// Output: <nil> Paris 21.5
}

// Constrain the answer to a set of choices.
func ExampleStructuredOutputs_choice() {
	req := &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("Is the sky blue?")}
	req.StructuredOutputs = &vllm.StructuredOutputs{Choice: []string{"yes", "no"}}
	b, _ := req.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// {"model":"m","prompt":"Is the sky blue?","structured_outputs":{"choice":["yes","no"]}}
}

// Cancel a background response, then read it back.
func ExampleResponsesService_Cancel() {
	c, done := exampleServer()
	defer done()
	ctx := context.Background()
	resp, err := c.Responses.Cancel(ctx, "resp_abc")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.ID, resp.Status)
	resp, err = c.Responses.Get(ctx, "resp_abc")
	fmt.Println(resp.Text(), err)
	// Output:
	// resp_abc cancelled
	// Hello! <nil>
}

// Read the number of requests the server is working on.
func ExampleServerService_Load() {
	c, done := exampleServer()
	defer done()
	n, err := c.Server.Load(context.Background())
	fmt.Println(n, err)
	// Output: 3 <nil>
}

// Read the tokenizer's configuration.
func ExampleTokenizerService_Info() {
	c, done := exampleServer()
	defer done()
	info, err := c.Tokenizer.Info(context.Background())
	fmt.Println(info["tokenizer_class"], err)
	// Output: Qwen2TokenizerFast <nil>
}

// Translate speech into English text.
func ExampleAudioService_Translate() {
	c, done := exampleServer()
	defer done()
	tr, err := c.Audio.Translate(context.Background(), &vllm.AudioRequest{
		File: vllm.AudioFromBytes("bonjour.wav", []byte("RIFF")), Language: "fr",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Text)
	// Output: Hello world.
}

// Rerank through the Cohere-compatible path.
func ExamplePoolingService_Rerank_cohere() {
	c, done := exampleServer()
	defer done()
	resp, err := c.Pooling.Rerank(context.Background(), &vllm.RerankRequest{Route: "/v2/rerank", Query: "q", Documents: []string{"d"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Results[0].Document.Text, resp.Results[0].RelevanceScore)
	// Output: d 0.25
}
