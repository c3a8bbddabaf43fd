package vllm

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// addFiles adds every file matching the patterns to the seed corpus.
func addFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, _ := filepath.Glob(p)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func FuzzDecodeChatResponse(f *testing.F) {
	addFiles(f, "testdata/responses/chat-*.json", "testdata/fixtures/*chat*.json")
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"x"}],"tool_calls":[{"function":{}}]},"stop_reason":7}]}`))
	f.Add([]byte(`{"choices":[{"message":{"content":"<think>a</think>b"}}]}`))
	f.Add([]byte(`{"choices":null,"usage":null,"prompt_logprobs":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp ChatResponse
		err := json.Unmarshal(data, &resp)
		// Create's one-pass decoder agrees with json.Unmarshal.
		var w chatResponseIn
		if errFast := json.Unmarshal(data, &w); (errFast == nil) != (err == nil) {
			t.Fatalf("json.Unmarshal: %v; Create's decoder: %v", err, errFast)
		}
		if err != nil {
			return
		}
		resp.setRaw(nil)
		if fast := w.response(); !reflect.DeepEqual(*fast, resp) {
			t.Fatalf("Create's decoder\n got %+v\nwant %+v", *fast, resp)
		}
		_ = resp.Text()
		_ = resp.Reasoning()
		_ = resp.ToolCalls()
		m := resp.AssistantMessage()
		m.Reasoning = resp.Reasoning()
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("assistant message cannot be encoded: %v", err)
		}
		var back Message
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("assistant message %s does not decode: %v", b, err)
		}
		for _, tc := range m.ToolCalls {
			var v map[string]any
			if err := tc.DecodeArguments(&v); err != nil {
				var ae *ToolArgumentsError
				if !errors.As(err, &ae) || ae.Tool != tc.Name {
					t.Fatalf("argument error %T %v", err, err)
				}
			}
		}
		resp.splitThink(false)
		resp.splitThink(true)
	})
}

func FuzzDecodeCompletionResponse(f *testing.F) {
	addFiles(f, "testdata/responses/completion-*.json", "testdata/fixtures/*completion*.json")
	f.Add([]byte(`{"choices":[{"text":"a","stop_reason":"x","logprobs":{"token_logprobs":[null]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var resp CompletionResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return
		}
		_ = resp.Text()
		_ = resp.FinishReason()
		for _, c := range resp.Choices {
			_ = c.StopReason.String()
		}
	})
}

func FuzzParseErrorBody(f *testing.F) {
	addFiles(f, "testdata/fixtures/*error*.json")
	for _, s := range []string{
		`{"object":"error","message":"m","type":"t","param":null,"code":400}`,
		`{"error":"Unauthorized"}`,
		`{"detail":[{"loc":["body",1],"msg":"bad"}]}`,
		`{"detail":"Not Found"}`,
		"<html>\xff\xfe</html>",
		`{"error":{"message":{"nested":true},"code":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e APIError
		e.StatusCode = 500
		e.parseBody(data)
		if len(e.Message) > messageLen+len("…") {
			t.Fatalf("message of %d bytes", len(e.Message))
		}
		if !utf8.ValidString(e.Message) {
			t.Fatalf("message is not valid UTF-8: %q", e.Message)
		}
		_ = e.Error()
	})
}

func FuzzPromptAndToolChoice(f *testing.F) {
	for _, s := range []string{`"x"`, `["a","b"]`, `[1,2]`, `[[1],[2]]`, `"auto"`, `{"type":"function","function":{"name":"f"}}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Prompt
		if json.Unmarshal(data, &p) == nil {
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("decoded prompt %s does not encode: %v", data, err)
			}
		}
		var tc ToolChoice
		if json.Unmarshal(data, &tc) == nil {
			if _, err := json.Marshal(tc); err != nil {
				t.Fatalf("decoded tool choice %s does not encode: %v", data, err)
			}
		}
	})
}
