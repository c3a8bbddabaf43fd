package vllmtest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/vllmtest"
)

// shape renders the structure of a JSON document: object keys in order,
// values replaced by their kind (s, n, b, null), arrays by their elements'
// shapes. Two documents with the same shape have the same field set and
// order.
func shape(t *testing.T, doc []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				b.WriteByte('{')
				first := true
				for dec.More() {
					key, err := dec.Token()
					if err != nil {
						return err
					}
					if !first {
						b.WriteByte(',')
					}
					first = false
					b.WriteString(key.(string))
					b.WriteByte(':')
					if err := walk(); err != nil {
						return err
					}
				}
				_, err = dec.Token()
				b.WriteByte('}')
				return err
			case '[':
				b.WriteByte('[')
				first := true
				for dec.More() {
					if !first {
						b.WriteByte(',')
					}
					first = false
					if err := walk(); err != nil {
						return err
					}
				}
				_, err = dec.Token()
				b.WriteByte(']')
				return err
			}
		case string:
			b.WriteString("s")
		case json.Number:
			b.WriteString("n")
		case bool:
			b.WriteString("b")
		case nil:
			b.WriteString("null")
		}
		return nil
	}
	if err := walk(); err != nil {
		t.Fatalf("shape of %s: %v", doc, err)
	}
	return b.String()
}

// sseShapes splits an SSE body into its data payloads and returns their
// shapes, consecutive repeats collapsed ("[DONE]" kept as is).
func sseShapes(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, block := range strings.Split(body, "\n\n") {
		if block == "" {
			continue
		}
		data, ok := strings.CutPrefix(block, "data: ")
		if !ok || strings.Contains(block, "\n") {
			t.Fatalf("not a vLLM event: %q", block)
		}
		s := "[DONE]"
		if data != "[DONE]" {
			s = shape(t, []byte(data))
		}
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// sseData returns the data payloads of an SSE body.
func sseData(body string) []string {
	var out []string
	for _, block := range strings.Split(body, "\n\n") {
		if d, ok := strings.CutPrefix(block, "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/fixtures/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestToolCallStreamMatchesRealCapture scripts the call of the real vLLM
// capture and checks that vllmtest sends the same events: same field sets in
// the same order, same event sequence, same argument fragments.
func TestToolCallStreamMatchesRealCapture(t *testing.T) {
	fixture := readFixture(t, "vllm-tool-call-stream.sse")
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{Name: "run_command", Arguments: `{"command": "ls"}`}}})
	code, body := post(t, srv, "/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"list"}],"tools":[{"type":"function","function":{"name":"run_command","parameters":{"type":"object","properties":{"command":{"type":"string"}}}}}]}`)
	if code != 200 {
		t.Fatal(code, body)
	}
	got, want := sseShapes(t, body), sseShapes(t, fixture)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("event shapes differ\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The argument fragments are split exactly as vLLM's parser split them.
	fragments := func(body string) []string {
		var out []string
		for _, d := range sseData(body) {
			var chunk struct {
				Choices []struct {
					Delta struct {
						ToolCalls []struct {
							Function struct {
								Arguments *string `json:"arguments"`
							} `json:"function"`
						} `json:"tool_calls"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if json.Unmarshal([]byte(d), &chunk) != nil || len(chunk.Choices) == 0 {
				continue
			}
			for _, tc := range chunk.Choices[0].Delta.ToolCalls {
				if tc.Function.Arguments != nil {
					out = append(out, *tc.Function.Arguments)
				}
			}
		}
		return out
	}
	if g, w := fragments(body), fragments(fixture); strings.Join(g, "|") != strings.Join(w, "|") {
		t.Fatalf("argument fragments %q, want %q", g, w)
	}
	var first struct {
		Choices []struct {
			Delta struct {
				ToolCalls []struct {
					ID string `json:"id"`
				} `json:"tool_calls"`
			} `json:"delta"`
		} `json:"choices"`
	}
	_ = json.Unmarshal([]byte(sseData(body)[1]), &first)
	id := first.Choices[0].Delta.ToolCalls[0].ID
	if !strings.HasPrefix(id, "chatcmpl-tool-") || len(id) != len("chatcmpl-tool-")+32 {
		t.Fatalf("tool call id %q", id)
	}
}

// TestCompletionMatchesRealCapture checks the non-streaming completion body
// against the real vLLM 0.25.1 capture: same fields, same order.
func TestCompletionMatchesRealCapture(t *testing.T) {
	fixture := readFixture(t, "vllm-0.25.1-completion.json")
	srv := vllmtest.NewServer(vllmtest.WithModel("Qwen/Qwen2.5-0.5B"), vllmtest.WithSystemFingerprint("vllm-0.25.1-6cda6dc1"))
	defer srv.Close()
	code, body := post(t, srv, "/completions", `{"model":"Qwen/Qwen2.5-0.5B","prompt":"hello"}`)
	if code != 200 {
		t.Fatal(code, body)
	}
	if got, want := shape(t, []byte(body)), shape(t, []byte(strings.TrimSpace(fixture))); got != want {
		t.Fatalf("shape\n got %s\nwant %s", got, want)
	}
}

// TestChatStreamUsageMatchesCaptureOrder checks the order of events of a
// streamed chat with usage against the simulator capture's sequence (role,
// content…, finish, usage with no choices, [DONE]). The simulator differs
// from vLLM in fields (documented in the fixtures' README), so only the
// event kinds are compared, from the fields each event has.
func TestChatStreamUsageMatchesCaptureOrder(t *testing.T) {
	kinds := func(body string) []string {
		var out []string
		for _, d := range sseData(body) {
			k := "done"
			if d != "[DONE]" {
				var c struct {
					Choices []struct {
						Delta        map[string]any `json:"delta"`
						FinishReason *string        `json:"finish_reason"`
					} `json:"choices"`
					Usage *struct{} `json:"usage"`
				}
				if err := json.Unmarshal([]byte(d), &c); err != nil {
					t.Fatal(err)
				}
				switch {
				case len(c.Choices) == 0 && c.Usage != nil:
					k = "usage"
				case c.Choices[0].FinishReason != nil:
					k = "finish"
				case c.Choices[0].Delta["role"] != nil:
					k = "role"
				default:
					k = "content"
				}
			}
			if len(out) == 0 || out[len(out)-1] != k {
				out = append(out, k)
			}
		}
		return out
	}
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	_, body := post(t, srv, "/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	got, want := kinds(body), kinds(readFixture(t, "llmd-sim-chat-stream-usage.sse"))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("event order %v, want %v", got, want)
	}
}
