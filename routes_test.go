package vllm_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/vllmgo/vllm"
)

// routeCase is one JSON route: the call, the exact request it must send,
// vLLM's answer and what the client must make of it.
type routeCase struct {
	name     string
	call     func(context.Context, *vllm.Client) (any, error)
	method   string
	path     string
	query    string
	body     string // exact JSON sent; "" for no body
	respType string
	resp     string
	check    func(t *testing.T, got any)
}

var routeCases = []routeCase{
	{
		name:   "models.list",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Models.List(ctx) },
		method: "GET", path: "/v1/models",
		resp: `{"object":"list","data":[{"id":"Qwen/Qwen3-8B","object":"model","created":1745000000,"owned_by":"vllm","root":"/models/Qwen3-8B","parent":null,"max_model_len":32768,"permission":[{"id":"modelperm-1","object":"model_permission","created":1745000000,"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}]},{"id":"sql-lora","object":"model","created":1745000000,"owned_by":"vllm","root":"/adapters/sql","parent":"Qwen/Qwen3-8B","max_model_len":null,"permission":[{"id":"modelperm-2","object":"model_permission","created":1745000000,"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}]}]}`,
		check: func(t *testing.T, got any) {
			l := got.(*vllm.ModelList)
			if len(l.Data) != 2 || l.Data[0].MaxModelLen != 32768 || l.Data[0].Root != "/models/Qwen3-8B" || l.Data[0].Parent != "" ||
				l.Data[1].Parent != "Qwen/Qwen3-8B" || l.Data[1].MaxModelLen != 0 || l.Data[0].OwnedBy != "vllm" {
				t.Fatalf("models = %+v", l.Data)
			}
			if !reflect.DeepEqual(l.IDs(), []string{"Qwen/Qwen3-8B", "sql-lora"}) || l.Find("sql-lora") == nil || len(l.Raw) == 0 {
				t.Fatalf("helpers: %v", l.IDs())
			}
		},
	},
	{
		name: "embeddings.float",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Model: "BAAI/bge-m3", Input: vllm.PromptTexts("a", "b"), Dimensions: vllm.Ptr(3), TruncatePromptTokens: vllm.Ptr(-1)})
		},
		method: "POST", path: "/v1/embeddings",
		body: `{"model":"BAAI/bge-m3","input":["a","b"],"dimensions":3,"truncate_prompt_tokens":-1}`,
		resp: `{"id":"embd-5c7e","object":"list","created":1745000000,"model":"BAAI/bge-m3","data":[{"index":0,"object":"embedding","embedding":[0.015625,-0.5,1e-3]},{"index":1,"object":"embedding","embedding":[1,2,3]}],"usage":{"prompt_tokens":6,"total_tokens":6,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			r := got.(*vllm.EmbeddingResponse)
			v := r.Vectors()
			if len(v) != 2 || !reflect.DeepEqual(v[0], []float32{0.015625, -0.5, 0.001}) || !reflect.DeepEqual(v[1], []float32{1, 2, 3}) || r.Usage.PromptTokens != 6 {
				t.Fatalf("vectors %v usage %+v", v, r.Usage)
			}
		},
	},
	{
		name: "embeddings.base64",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptTokens(1, 2, 3), EncodingFormat: "base64"})
		},
		method: "POST", path: "/v1/embeddings",
		body: `{"input":[1,2,3],"encoding_format":"base64"}`,
		// 1.0, -2.5 and 0.1 as little-endian float32.
		resp: `{"id":"embd-1","object":"list","created":1745000000,"model":"m","data":[{"index":0,"object":"embedding","embedding":"AACAPwAAIMDNzMw9"}],"usage":{"prompt_tokens":3,"total_tokens":3,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			d := got.(*vllm.EmbeddingResponse).Data[0]
			if !reflect.DeepEqual(d.Embedding, []float32{1, -2.5, float32(0.1)}) || d.Base64 != "AACAPwAAIMDNzMw9" {
				t.Fatalf("embedding %v %q", d.Embedding, d.Base64)
			}
		},
	},
	{
		name: "embeddings.base64.float16.big",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptText("x"), EncodingFormat: "base64", EmbedDType: "float16", Endianness: "big"})
		},
		method: "POST", path: "/v1/embeddings",
		body: `{"input":"x","encoding_format":"base64","embed_dtype":"float16","endianness":"big"}`,
		// 1.0 (0x3c00), -2.0 (0xc000), 0.5 (0x3800) as big-endian float16.
		resp: `{"id":"embd-2","object":"list","created":1,"model":"m","data":[{"index":0,"object":"embedding","embedding":"PADAADgA"}],"usage":{"prompt_tokens":1,"total_tokens":1,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			if v := got.(*vllm.EmbeddingResponse).Data[0].Embedding; !reflect.DeepEqual(v, []float32{1, -2, 0.5}) {
				t.Fatalf("embedding %v", v)
			}
		},
	},
	{
		name: "embeddings.chat",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Model: "e5", Messages: []vllm.Message{vllm.User("hi")}, AddGenerationPrompt: vllm.Ptr(false)})
		},
		method: "POST", path: "/v1/embeddings",
		body: `{"model":"e5","messages":[{"role":"user","content":"hi"}],"add_generation_prompt":false}`,
		resp: `{"id":"embd-3","object":"list","created":1,"model":"e5","data":[{"index":0,"object":"embedding","embedding":[0.25]}],"usage":{"prompt_tokens":5,"total_tokens":5,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			if v := got.(*vllm.EmbeddingResponse).Data[0].Embedding; !reflect.DeepEqual(v, []float32{0.25}) {
				t.Fatalf("embedding %v", v)
			}
		},
	},
	{
		name: "tokenize.prompt",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Model: "m", Prompt: "Hello world", AddSpecialTokens: vllm.Ptr(false), ReturnTokenStrs: vllm.Ptr(true)})
		},
		method: "POST", path: "/tokenize",
		body: `{"model":"m","prompt":"Hello world","add_special_tokens":false,"return_token_strs":true}`,
		resp: `{"count":2,"max_model_len":32768,"tokens":[9707,1879],"token_strs":["Hello","Ġworld"]}`,
		check: func(t *testing.T, got any) {
			r := got.(*vllm.TokenizeResponse)
			if r.Count != 2 || r.MaxModelLen != 32768 || !reflect.DeepEqual(r.Tokens, []int{9707, 1879}) || !reflect.DeepEqual(r.TokenStrs, []string{"Hello", "Ġworld"}) {
				t.Fatalf("tokenize %+v", r)
			}
		},
	},
	{
		name: "tokenize.messages",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Messages: []vllm.Message{vllm.User("hi")}, AddGenerationPrompt: vllm.Ptr(true), ChatTemplateKwargs: map[string]any{"enable_thinking": false}})
		},
		method: "POST", path: "/tokenize",
		body: `{"messages":[{"role":"user","content":"hi"}],"add_generation_prompt":true,"chat_template_kwargs":{"enable_thinking":false}}`,
		resp: `{"count":3,"max_model_len":4096,"tokens":[1,2,3],"token_strs":null}`,
		check: func(t *testing.T, got any) {
			r := got.(*vllm.TokenizeResponse)
			if r.Count != 3 || r.MaxModelLen != 4096 || r.TokenStrs != nil {
				t.Fatalf("tokenize %+v", r)
			}
		},
	},
	{
		name: "detokenize",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Tokenizer.Detokenize(ctx, &vllm.DetokenizeRequest{Model: "m", Tokens: []int{9707, 1879}})
		},
		method: "POST", path: "/detokenize",
		body: `{"model":"m","tokens":[9707,1879]}`,
		resp: `{"prompt":"Hello world"}`,
		check: func(t *testing.T, got any) {
			if r := got.(*vllm.DetokenizeResponse); r.Prompt != "Hello world" {
				t.Fatalf("detokenize %+v", r)
			}
		},
	},
	{
		name:   "tokenizer_info",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Tokenizer.Info(ctx) },
		method: "GET", path: "/tokenizer_info",
		resp: `{"tokenizer_class":"Qwen2TokenizerFast","model_max_length":131072}`,
		check: func(t *testing.T, got any) {
			if m := got.(map[string]any); m["tokenizer_class"] != "Qwen2TokenizerFast" {
				t.Fatalf("info %v", m)
			}
		},
	},
	{
		name: "pooling",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Pooling.Create(ctx, &vllm.PoolingRequest{Model: "reward", Input: vllm.PromptTexts("a", "b"), Task: "token_classify"})
		},
		method: "POST", path: "/pooling",
		body: `{"model":"reward","input":["a","b"],"task":"token_classify"}`,
		resp: `{"id":"pool-1","object":"list","created":1,"model":"reward","data":[{"index":0,"object":"pooling","data":[[0.5,0.25],[1,2]]},{"index":1,"object":"pooling","data":[0.75,-1]}],"usage":{"prompt_tokens":4,"total_tokens":4,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			r := got.(*vllm.PoolingResponse)
			m, err := r.Data[0].Matrix()
			if err != nil || !reflect.DeepEqual(m, [][]float32{{0.5, 0.25}, {1, 2}}) {
				t.Fatalf("matrix %v %v", m, err)
			}
			if _, err := r.Data[0].Vector(); err == nil {
				t.Fatal("Vector of a matrix succeeded")
			}
			v, err := r.Data[1].Vector()
			if err != nil || !reflect.DeepEqual(v, []float32{0.75, -1}) {
				t.Fatalf("vector %v %v", v, err)
			}
			if _, err := r.Data[1].Matrix(); err == nil {
				t.Fatal("Matrix of a vector succeeded")
			}
		},
	},
	{
		name: "classify",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Pooling.Classify(ctx, &vllm.ClassifyRequest{Model: "cls", Input: vllm.PromptTexts("good", "bad"), UseActivation: vllm.Ptr(true)})
		},
		method: "POST", path: "/classify",
		body: `{"model":"cls","input":["good","bad"],"use_activation":true}`,
		resp: `{"id":"classify-1","object":"list","created":1,"model":"cls","data":[{"index":0,"label":"positive","probs":[0.1,0.9],"num_classes":2},{"index":1,"label":null,"probs":[0.8,0.2],"num_classes":2}],"usage":{"prompt_tokens":4,"total_tokens":4,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			d := got.(*vllm.ClassifyResponse).Data
			if len(d) != 2 || d[0].Label != "positive" || d[1].Label != "" || d[0].NumClasses != 2 || d[1].Probs[0] != 0.8 {
				t.Fatalf("classify %+v", d)
			}
		},
	},
	{
		name: "score",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Pooling.Score(ctx, &vllm.ScoreRequest{Model: "bge-reranker", Text1: vllm.PromptText("capital of France?"), Text2: vllm.PromptTexts("Paris", "Berlin")})
		},
		method: "POST", path: "/score",
		body: `{"model":"bge-reranker","text_1":"capital of France?","text_2":["Paris","Berlin"]}`,
		resp: `{"id":"score-1","object":"list","created":1,"model":"bge-reranker","data":[{"index":0,"object":"score","score":0.99},{"index":1,"object":"score","score":0.01}],"usage":{"prompt_tokens":14,"total_tokens":14,"completion_tokens":0,"prompt_tokens_details":null}}`,
		check: func(t *testing.T, got any) {
			if s := got.(*vllm.ScoreResponse).Scores(); !reflect.DeepEqual(s, []float64{0.99, 0.01}) {
				t.Fatalf("scores %v", s)
			}
		},
	},
	{
		name: "rerank",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Pooling.Rerank(ctx, &vllm.RerankRequest{Model: "bge-reranker", Query: "capital of France?", Documents: []string{"Berlin", "Paris"}, TopN: 1})
		},
		method: "POST", path: "/rerank",
		body: `{"model":"bge-reranker","query":"capital of France?","documents":["Berlin","Paris"],"top_n":1}`,
		resp: `{"id":"rerank-1","model":"bge-reranker","usage":{"prompt_tokens":14,"total_tokens":14},"results":[{"index":1,"document":{"text":"Paris","multi_modal":null},"relevance_score":0.998}]}`,
		check: func(t *testing.T, got any) {
			r := got.(*vllm.RerankResponse)
			if len(r.Results) != 1 || r.Results[0].Index != 1 || r.Results[0].Document.Text != "Paris" || r.Results[0].RelevanceScore != 0.998 || r.Usage.TotalTokens != 14 {
				t.Fatalf("rerank %+v", r)
			}
		},
	},
	rerankAlias("rerank.v1", "/v1/rerank", 2, 0.5),
	rerankAlias("rerank.v2", "/v2/rerank", 3, 0.25),
	{
		name:   "health",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return nil, c.Server.Health(ctx) },
		method: "GET", path: "/health",
		respType: "text/plain", resp: ``,
	},
	{
		name:   "version",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Server.Version(ctx) },
		method: "GET", path: "/version",
		resp: `{"version":"0.11.0"}`,
		check: func(t *testing.T, got any) {
			if got.(string) != "0.11.0" {
				t.Fatalf("version %v", got)
			}
		},
	},
	{
		name:   "load",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Server.Load(ctx) },
		method: "GET", path: "/load",
		resp: `{"server_load":3}`,
		check: func(t *testing.T, got any) {
			if got.(int) != 3 {
				t.Fatalf("load %v", got)
			}
		},
	},
	{
		name: "lora.load",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "sql", Path: "/adapters/sql"})
		},
		method: "POST", path: "/v1/load_lora_adapter",
		body:     `{"lora_name":"sql","lora_path":"/adapters/sql"}`,
		respType: "text/plain; charset=utf-8", resp: `Success: LoRA adapter 'sql' added successfully.`,
		check: func(t *testing.T, got any) {
			if got.(string) != "Success: LoRA adapter 'sql' added successfully." {
				t.Fatalf("load %q", got)
			}
		},
	},
	{
		name:   "lora.unload",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.LoRA.Unload(ctx, "sql") },
		method: "POST", path: "/v1/unload_lora_adapter",
		body:     `{"lora_name":"sql"}`,
		respType: "text/plain; charset=utf-8", resp: `Success: LoRA adapter 'sql' removed successfully.`,
		check: func(t *testing.T, got any) {
			if got.(string) != "Success: LoRA adapter 'sql' removed successfully." {
				t.Fatalf("unload %q", got)
			}
		},
	},
	{
		name:   "dev.sleep",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return nil, c.Dev.Sleep(ctx, 2) },
		method: "POST", path: "/sleep", query: "level=2",
		respType: "text/plain", resp: ``,
	},
	{
		name: "dev.wake_up",
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return nil, c.Dev.WakeUp(ctx, []string{"weights", "kv_cache"})
		},
		method: "POST", path: "/wake_up", query: "tags=weights&tags=kv_cache",
		respType: "text/plain", resp: ``,
	},
	{
		name:   "dev.is_sleeping",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Dev.IsSleeping(ctx) },
		method: "GET", path: "/is_sleeping",
		resp: `{"is_sleeping":true}`,
		check: func(t *testing.T, got any) {
			if got.(bool) != true {
				t.Fatal("not sleeping")
			}
		},
	},
	{
		name:   "dev.reset_prefix_cache",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return nil, c.Dev.ResetPrefixCache(ctx) },
		method: "POST", path: "/reset_prefix_cache",
		respType: "text/plain", resp: ``,
	},
	{
		name:   "dev.reset_mm_cache",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return nil, c.Dev.ResetMMCache(ctx) },
		method: "POST", path: "/reset_mm_cache",
		respType: "text/plain", resp: ``,
	},
	{
		name:   "responses.get",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Responses.Get(ctx, "resp_abc") },
		method: "GET", path: "/v1/responses/resp_abc",
		resp: responseTextJSON,
		check: func(t *testing.T, got any) {
			if r := got.(*vllm.Response); r.Text() != "Hello!" || r.Status != "completed" {
				t.Fatalf("response %+v", r)
			}
		},
	},
	{
		name:   "responses.cancel",
		call:   func(ctx context.Context, c *vllm.Client) (any, error) { return c.Responses.Cancel(ctx, "resp_abc") },
		method: "POST", path: "/v1/responses/resp_abc/cancel",
		resp: `{"id":"resp_abc","object":"response","created_at":1745000000,"model":"m","status":"cancelled","output":[],"usage":null}`,
		check: func(t *testing.T, got any) {
			if r := got.(*vllm.Response); r.Status != "cancelled" {
				t.Fatalf("response %+v", r)
			}
		},
	},
}

// TestRoutesWire checks, for every JSON route, the exact request sent and
// the decoding of vLLM's answer.
// rerankAlias is a rerank call on route, an alias of /rerank: the request
// names the route only through the path, and the answer (response id
// rerank-<id>) scores its one document score.
func rerankAlias(name, route string, id int, score float64) routeCase {
	return routeCase{
		name: name,
		call: func(ctx context.Context, c *vllm.Client) (any, error) {
			return c.Pooling.Rerank(ctx, &vllm.RerankRequest{Route: route, Query: "q", Documents: []string{"d"}})
		},
		method: "POST", path: route,
		body: `{"query":"q","documents":["d"]}`,
		resp: fmt.Sprintf(`{"id":"rerank-%d","model":"m","usage":{"prompt_tokens":2,"total_tokens":2},"results":[{"index":0,"document":{"text":"d"},"relevance_score":%v}]}`, id, score),
		check: func(t *testing.T, got any) {
			if r := got.(*vllm.RerankResponse); r.Results[0].RelevanceScore != score {
				t.Fatalf("rerank %+v", r)
			}
		},
	}
}

func TestRoutesWire(t *testing.T) {
	for _, tc := range routeCases {
		t.Run(tc.name, func(t *testing.T) {
			s := vllm.NewMemServer(t, reply{ContentType: tc.respType, Body: tc.resp})
			c := s.Client(t, vllm.WithAPIKey("sk-test"))
			got, err := tc.call(ctxT(t), c)
			if err != nil {
				t.Fatal(err)
			}
			req := s.Last(t)
			if req.Method != tc.method || req.Path != tc.path || req.RawQuery != tc.query {
				t.Fatalf("sent %s %s?%s, want %s %s?%s", req.Method, req.Path, req.RawQuery, tc.method, tc.path, tc.query)
			}
			if string(req.Body) != tc.body {
				t.Fatalf("body\n got %s\nwant %s", req.Body, tc.body)
			}
			if tc.body != "" && req.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("content type %q", req.Header.Get("Content-Type"))
			}
			if req.Header.Get("Authorization") != "Bearer sk-test" {
				t.Fatalf("auth %q", req.Header.Get("Authorization"))
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// TestRoutesErrors checks that every route turns vLLM's error answer into an
// *APIError with the server's status, type and message.
func TestRoutesErrors(t *testing.T) {
	for _, tc := range routeCases {
		t.Run(tc.name, func(t *testing.T) {
			c := vllm.NewMemServer(t, reply{Status: 400, Body: vllmError400}).Client(t)
			_, err := tc.call(ctxT(t), c)
			var ae *vllm.APIError
			if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Type != "BadRequestError" || ae.Message == "" {
				t.Fatalf("err = %v (%T)", err, err)
			}
		})
	}
}

// TestRoutesUndecodable checks that a JSON route answered with garbage fails
// with a *DecodeError (routes without a JSON answer are skipped).
func TestRoutesUndecodable(t *testing.T) {
	for _, tc := range routeCases {
		if tc.respType != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			c := vllm.NewMemServer(t, reply{Body: `{"truncated":`}).Client(t)
			_, err := tc.call(ctxT(t), c)
			if !errors.Is(err, vllm.ErrInvalidResponse) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestDevModeDisabled(t *testing.T) {
	c := vllm.NewMemServer(t, reply{Status: 404, Body: `{"detail":"Not Found"}`}).Client(t)
	err := c.Dev.Sleep(ctxT(t), 1)
	var ae *vllm.APIError
	if !errors.Is(err, vllm.ErrDevModeDisabled) || !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("err = %v", err)
	}
	if err := c.Dev.Sleep(ctxT(t), -1); !errors.As(err, new(*vllm.ParamError)) {
		t.Fatalf("negative level: %v", err)
	}
}

func TestHealthUnavailable(t *testing.T) {
	c := vllm.NewMemServer(t, reply{Status: 503, ContentType: "text/plain"}).Client(t)
	err := c.Server.Health(ctxT(t))
	var ae *vllm.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("err = %v", err)
	}
}

// TestParamErrors checks that caller mistakes are rejected before sending.
func TestParamErrors(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{}`})
	c := s.Client(t)
	ctx := ctxT(t)
	cases := map[string]struct {
		err   error
		field string
	}{}
	add := func(name string, field string, err error) {
		cases[name] = struct {
			err   error
			field string
		}{err, field}
	}
	_, err := c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{})
	add("embeddings none", "input", err)
	_, err = c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), Messages: []vllm.Message{vllm.User("b")}})
	add("embeddings both", "input", err)
	_, err = c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EncodingFormat: "binary"})
	add("embeddings format", "encoding_format", err)
	_, err = c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EmbedDType: "fp8_e4m3"})
	add("embeddings dtype", "embed_dtype", err)
	_, err = c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), Dimensions: vllm.Ptr(0)})
	add("embeddings dimensions", "dimensions", err)
	_, err = c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{})
	add("tokenize none", "prompt", err)
	_, err = c.Tokenizer.Tokenize(ctx, &vllm.TokenizeRequest{Prompt: "a", Messages: []vllm.Message{vllm.User("b")}})
	add("tokenize both", "prompt", err)
	_, err = c.Tokenizer.Detokenize(ctx, &vllm.DetokenizeRequest{})
	add("detokenize", "tokens", err)
	_, err = c.Pooling.Create(ctx, &vllm.PoolingRequest{})
	add("pooling", "input", err)
	_, err = c.Pooling.Classify(ctx, &vllm.ClassifyRequest{})
	add("classify", "input", err)
	_, err = c.Pooling.Score(ctx, &vllm.ScoreRequest{Text2: vllm.PromptText("x")})
	add("score text_1", "text_1", err)
	_, err = c.Pooling.Score(ctx, &vllm.ScoreRequest{Text1: vllm.PromptTexts("a", "b"), Text2: vllm.PromptTexts("x")})
	add("score pairs", "text_2", err)
	_, err = c.Pooling.Score(ctx, &vllm.ScoreRequest{Text1: vllm.PromptText("q"), Extra: map[string]any{"queries": "q"}})
	add("score text_2 with unrelated extra", "text_2", err)
	_, err = c.Pooling.Rerank(ctx, &vllm.RerankRequest{Documents: []string{"d"}})
	add("rerank query", "query", err)
	_, err = c.Pooling.Rerank(ctx, &vllm.RerankRequest{Route: "/v2/rerank", Query: "q"})
	add("rerank documents", "documents", err)
	_, err = c.LoRA.Load(ctx, &vllm.LoadLoRARequest{Name: "x"})
	add("lora path", "lora_path", err)
	_, err = c.LoRA.Unload(ctx, "")
	add("lora unload", "lora_name", err)
	_, err = c.Responses.Create(ctx, &vllm.ResponseRequest{})
	add("responses input", "input", err)
	_, err = c.Responses.Get(ctx, "")
	add("responses get", "response_id", err)
	_, err = c.Models.Retrieve(ctx, "")
	add("models retrieve", "model", err)
	for name, tc := range cases {
		var pe *vllm.ParamError
		if !errors.As(tc.err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: err = %v, want a ParamError for %q", name, tc.err, tc.field)
		}
	}
	if s.Count() != 0 {
		t.Fatalf("%d requests were sent", s.Count())
	}
}

func TestEmbeddingBase64Malformed(t *testing.T) {
	c := vllm.NewMemServer(t, reply{Body: `{"object":"list","data":[{"index":0,"object":"embedding","embedding":"not*base64"}]}`}).Client(t)
	_, err := c.Embeddings.Create(ctxT(t), &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EncodingFormat: "base64"})
	if !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("err = %v", err)
	}
	// 6 bytes fit neither float32 nor the float32 the request asked for.
	c = vllm.NewMemServer(t, reply{Body: `{"object":"list","data":[{"index":0,"object":"embedding","embedding":"AACAPwAA"}]}`}).Client(t)
	_, err = c.Embeddings.Create(ctxT(t), &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EncodingFormat: "base64"})
	if !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("err = %v", err)
	}
}

func TestEmbeddingBFloat16(t *testing.T) {
	// bfloat16 1.0 = 0x3f80, -0.5 = 0xbf00, little-endian.
	c := vllm.NewMemServer(t, reply{Body: `{"object":"list","data":[{"index":0,"object":"embedding","embedding":"gD8Avw=="}]}`}).Client(t)
	r, err := c.Embeddings.Create(ctxT(t), &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EncodingFormat: "base64", EmbedDType: "bfloat16"})
	if err != nil || !reflect.DeepEqual(r.Data[0].Embedding, []float32{1, -0.5}) {
		t.Fatalf("%v %v", r, err)
	}
}

func TestFloat16Specials(t *testing.T) {
	// +Inf 0x7c00, smallest subnormal 0x0001, -0 0x8000 (little-endian).
	c := vllm.NewMemServer(t, reply{Body: `{"object":"list","data":[{"index":0,"object":"embedding","embedding":"AHwBAACA"}]}`}).Client(t)
	r, err := c.Embeddings.Create(ctxT(t), &vllm.EmbeddingRequest{Input: vllm.PromptText("a"), EncodingFormat: "base64", EmbedDType: "float16"})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Data[0].Embedding
	if !math.IsInf(float64(v[0]), 1) || v[1] != float32(math.Ldexp(1, -24)) || v[2] != 0 || !math.Signbit(float64(v[2])) {
		t.Fatalf("float16 specials: %v", v)
	}
}

const responseTextJSON = `{"id":"resp_abc","object":"response","created_at":1745000000,"model":"m","status":"completed","output":[{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hello!","annotations":[],"logprobs":null}]}],"usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":8},"error":null,"incomplete_details":null}`

// TestScoreNewerFieldNames sends the queries/documents form through Extra.
func TestScoreNewerFieldNames(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{"id":"score-1","object":"list","created":1,"model":"m","data":[{"index":0,"object":"score","score":0.5}],"usage":{"prompt_tokens":2,"total_tokens":2,"completion_tokens":0,"prompt_tokens_details":null}}`})
	c := s.Client(t)
	_, err := c.Pooling.Score(ctxT(t), &vllm.ScoreRequest{Extra: map[string]any{"queries": "q", "documents": []string{"d"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Last(t).Body); got != `{"documents":["d"],"queries":"q"}` {
		t.Fatalf("body %s", got)
	}
}
