package vllmtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/vllmtest"
)

// errorOf decodes vLLM's error body.
func errorOf(t *testing.T, body string) (msg, typ, param string, code int) {
	t.Helper()
	var e struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    int     `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if e.Error.Param != nil {
		param = *e.Error.Param
	}
	return e.Error.Message, e.Error.Type, param, e.Error.Code
}

// completionOf decodes the choice and usage of a chat or completion body.
func completionOf(t *testing.T, body string) (finish string, completionTokens int) {
	t.Helper()
	var r struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Choices) != 1 {
		t.Fatalf("%v: %s", err, body)
	}
	return r.Choices[0].FinishReason, r.Usage.CompletionTokens
}

// max_tokens is never exceeded: the natural answer of 16 tokens plus its
// end-of-sequence token does not fit in 16, so generation stops at the
// limit with "length"; ignore_eos generates exactly max_tokens tokens.
func TestMaxTokensAndIgnoreEOS(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithTokens(16))
	defer srv.Close()
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		path, body string
		finish     string
		tokens     int
	}{
		{"/chat/completions", `{"model":"m",` + msgs + `}`, "stop", 17},
		{"/chat/completions", `{"model":"m","max_tokens":17,` + msgs + `}`, "stop", 17},
		{"/chat/completions", `{"model":"m","max_tokens":16,` + msgs + `}`, "length", 16},
		{"/chat/completions", `{"model":"m","max_completion_tokens":16,` + msgs + `}`, "length", 16},
		{"/chat/completions", `{"model":"m","max_tokens":5,` + msgs + `}`, "length", 5},
		{"/chat/completions", `{"model":"m","max_tokens":64,"ignore_eos":true,` + msgs + `}`, "length", 64},
		{"/completions", `{"model":"m","prompt":"hi","max_tokens":16}`, "length", 16},
		{"/completions", `{"model":"m","prompt":"hi","max_tokens":17}`, "stop", 17},
		{"/completions", `{"model":"m","prompt":"hi","max_tokens":64,"ignore_eos":true}`, "length", 64},
	}
	for _, tt := range tests {
		code, body := post(t, srv, tt.path, tt.body)
		if code != 200 {
			t.Fatalf("%s: %d %s", tt.body, code, body)
		}
		finish, n := completionOf(t, body)
		if finish != tt.finish || n != tt.tokens {
			t.Errorf("%s %s: finish %q after %d tokens, want %q after %d", tt.path, tt.body, finish, n, tt.finish, tt.tokens)
		}
	}
	// The stream counts the same.
	_, body := post(t, srv, "/chat/completions", `{"model":"m","max_tokens":64,"ignore_eos":true,"stream":true,
		"stream_options":{"include_usage":true},`+msgs+`}`)
	cs := chunks(t, body)
	content := 0
	for _, c := range cs {
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil && *ch.Delta.Content != "" {
				content++
			}
		}
	}
	if last := cs[len(cs)-1]; last.Usage == nil || last.Usage.Completion != 64 || content != 64 {
		t.Errorf("stream with ignore_eos: %d content chunks, usage %+v", content, last.Usage)
	}
}

// Request validation answers as current vLLM: messages with the
// " (parameter=…, value=…)" suffix and param set.
func TestValidationAsCurrentVLLM(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithMaxModelLen(2048))
	defer srv.Close()
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	long := strings.Repeat("word ", 3000)
	tests := []struct {
		name, body string
		status     int
		typ, param string
		msg        string // the whole message, or a prefix ending in "…"
	}{
		{"top_logprobs -1", `{"model":"m","logprobs":true,"top_logprobs":-1,` + msgs + `}`, 200, "", "", ""},
		{"top_logprobs 50", `{"model":"m","logprobs":true,"top_logprobs":50,` + msgs + `}`, 200, "", "", ""},
		{"top_logprobs without logprobs", `{"model":"m","top_logprobs":2,` + msgs + `}`, 400, "BadRequestError", "top_logprobs",
			"when using `top_logprobs`, `logprobs` must be set to true. (parameter=top_logprobs, value=2)"},
		{"top_logprobs -2", `{"model":"m","logprobs":true,"top_logprobs":-2,` + msgs + `}`, 400, "BadRequestError", "top_logprobs",
			"`top_logprobs` must be a positive value or -1. (parameter=top_logprobs, value=-2)"},
		{"tools []", `{"model":"m","tools":[],` + msgs + `}`, 400, "BadRequestError", "tools",
			"`tools` must not be an empty array. (parameter=tools, value=[])"},
		{"unknown model", `{"model":"other",` + msgs + `}`, 404, "NotFoundError", "model", "The model `other` does not exist."},
		{"prompt too long", `{"model":"m","messages":[{"role":"user","content":"` + long + `"}]}`, 400, "BadRequestError", "input_tokens",
			"You passed "},
		{"prompt and max_tokens too long", `{"model":"m","max_tokens":2000,"messages":[{"role":"user","content":"` + strings.Repeat("word ", 100) + `"}]}`,
			400, "BadRequestError", "input_tokens", "You passed "},
		{"max_tokens over the context", `{"model":"m","max_tokens":5000,` + msgs + `}`, 400, "BadRequestError", "max_tokens",
			"max_tokens=5000cannot be greater than max_model_len=max_total_tokens=2048. Please request fewer output tokens. (parameter=max_tokens, value=5000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, srv, "/chat/completions", tt.body)
			if code != tt.status {
				t.Fatalf("%d %s, want %d", code, body, tt.status)
			}
			if tt.status == 200 {
				return
			}
			msg, typ, param, c := errorOf(t, body)
			if c != tt.status || typ != tt.typ || param != tt.param {
				t.Fatalf("code %d type %q param %q: %s", c, typ, param, body)
			}
			if prefix, ok := strings.CutSuffix(tt.msg, " "); ok {
				if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, "(parameter="+tt.param+", value=") {
					t.Fatalf("message %q", msg)
				}
			} else if msg != tt.msg {
				t.Fatalf("message\n got %q\nwant %q", msg, tt.msg)
			}
		})
	}
	// The context-length wording in full.
	_, body := post(t, srv, "/chat/completions", `{"model":"m","max_tokens":2000,"messages":[{"role":"user","content":"`+strings.Repeat("word ", 100)+`"}]}`)
	msg, _, _, _ := errorOf(t, body)
	if !strings.Contains(msg, " input tokens and requested 2000 output tokens. However, the model's context length is only 2048 tokens, resulting in a maximum input length of 48 tokens. Please reduce the length of the input prompt. (parameter=input_tokens, value=") {
		t.Fatalf("context-length message %q", msg)
	}
}

// Chat and legacy completion requests refuse stream_options without stream
// and an n below 1 alike, as vLLM's shared request validation does.
func TestStreamOptionsAndNRefusedOnBothRoutes(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	for path, input := range map[string]string{
		"/chat/completions": `"messages":[{"role":"user","content":"hi"}]`,
		"/completions":      `"prompt":"hi"`,
	} {
		for _, tt := range []struct{ fields, param, msg string }{
			{`"stream_options":{"include_usage":true}`, "stream_options", "Value error, Stream options can only be defined when `stream=True`."},
			{`"stream":false,"stream_options":{"include_usage":true}`, "stream_options", "Value error, Stream options can only be defined when `stream=True`."},
			{`"n":0`, "n", "Value error, n must be at least 1, got 0."},
			{`"n":-2,"stream":true`, "n", "Value error, n must be at least 1, got -2."},
		} {
			body := `{"model":"m",` + tt.fields + `,` + input + `}`
			code, resp := post(t, srv, path, body)
			msg, typ, param, c := errorOf(t, resp)
			if code != 400 || c != 400 || typ != vllmtest.TypeValidation || param != tt.param || msg != tt.msg {
				t.Errorf("%s %s: %d %s\nwant 400, type %q, param %q, message %q", path, body, code, resp, vllmtest.TypeValidation, tt.param, tt.msg)
			}
		}
		if code, resp := post(t, srv, path, `{"model":"m","n":2,"stream":true,"stream_options":{"include_usage":true},`+input+`}`); code != 200 {
			t.Errorf("%s: n 2 with stream options on a stream: %d %s", path, code, resp)
		}
	}
}

// Admission control (429, 503) names its type after the HTTP phrase.
func TestAdmissionControlTypes(t *testing.T) {
	for status, typ := range map[int]string{429: "Too Many Requests", 503: "Service Unavailable"} {
		srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithFault(vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: status}))
		code, body := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
		srv.Close()
		if _, gotTyp, _, c := errorOf(t, body); code != status || c != status || gotTyp != typ {
			t.Errorf("%d: got %d %s", status, code, body)
		}
	}
}

// With an API key, every route under /v1, /v2, /inference and /cohere needs
// it; the others stay open.
func TestAPIKeyPrefixes(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithAPIKey("k"))
	defer srv.Close()
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v1/chat/completions", 401},
		{"/v2/rerank", 401},
		{"/inference/v1/generate", 401},
		{"/cohere/v2/rerank", 401},
		{"/health", 200},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.RootURL()+tc.path, strings.NewReader(`{}`))
		if tc.path == "/health" {
			req.Method = http.MethodGet
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s without the key: %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
	}
}

// A fault answers 200 with an error body, nested or flat, as vLLM's routers
// and proxies do.
func TestOKStatusErrorBodyFaults(t *testing.T) {
	for _, tc := range []struct {
		kind vllmtest.FaultKind
		want string
	}{
		{vllmtest.FaultOKError, `{"error":{"message":"The model does not support Chat Completions API","type":"BadRequestError","param":null,"code":400}}`},
		{vllmtest.FaultOKErrorFlat, `{"object":"error","message":"The model does not support Chat Completions API","type":"BadRequestError","param":null,"code":400}`},
	} {
		srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithFault(vllmtest.Fault{Kind: tc.kind, Status: 400,
			Message: "The model does not support Chat Completions API"}))
		code, body := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
		srv.Close()
		if code != 200 || body != tc.want {
			t.Errorf("%v: %d %s", tc.kind, code, body)
		}
	}
}

// The default tool call follows the tool's schema: required fields,
// enums, types; a location reads like one.
func TestToolArgumentsFollowSchema(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	const tool = `{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",
		"properties":{"location":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},
		"days":{"type":"integer","minimum":1,"maximum":7}},"required":["location","unit"]}}}`
	_, body := post(t, srv, "/chat/completions", `{"model":"m","tools":[`+tool+`],"messages":[{"role":"user","content":"weather in Paris?"}]}`)
	var r struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct {
					Function struct {
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Choices) != 1 || len(r.Choices[0].Message.ToolCalls) != 1 {
		t.Fatalf("%v: %s", err, body)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(r.Choices[0].Message.ToolCalls[0].Function.Arguments), &args); err != nil {
		t.Fatal(err)
	}
	loc, _ := args["location"].(string)
	unit, _ := args["unit"].(string)
	if !knownPlace(loc) || (unit != "celsius" && unit != "fahrenheit") {
		t.Fatalf("arguments %v", args)
	}
	if d, ok := args["days"].(float64); ok && (d < 1 || d > 7 || d != float64(int(d))) {
		t.Fatalf("days %v outside its schema", d)
	}
}

// knownPlace reports whether s is a capitalised place name (not a random
// lower-case word).
func knownPlace(s string) bool {
	return s != "" && s[0] >= 'A' && s[0] <= 'Z'
}
