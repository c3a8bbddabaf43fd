package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/vllmtest"
)

func serverEnv(srv *vllmtest.Server) map[string]string {
	return map[string]string{"VLLM_BASE_URL": srv.URL}
}

func TestModelsAndHealth(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("base-a"), vllmtest.WithLoRA("sql-lora", "base-a", "/adapters/sql"), vllmtest.WithMaxModelLen(4096))
	defer srv.Close()
	r := runCLI(t, "", serverEnv(srv), "models")
	if r.code != 0 || r.stdout != "base-a\tmax_model_len=4096\nsql-lora\tparent=base-a\n" {
		t.Fatalf("models: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", serverEnv(srv), "models", "--json")
	var ml struct{ Data []map[string]any }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ml) != nil || len(ml.Data) != 2 {
		t.Fatalf("models --json: %s", r.stdout)
	}
	r = runCLI(t, "", serverEnv(srv), "health")
	if r.code != 0 || r.stdout != "ok "+srv.URL+" (vLLM "+vllmtest.DefaultVersion+")\n" {
		t.Fatalf("health: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	srv.Close()
	r = runCLI(t, "", serverEnv(srv), "health")
	if r.code != exitFailure || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("health of a closed server: exit %d %q", r.code, r.stderr)
	}
}

func TestChatOneShotSendsFlagsAndPrintsAnswer(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("m1"), vllmtest.WithReasoning(3))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Paris.", Reasoning: "The capital of France"})
	r := runCLI(t, "", serverEnv(srv), "chat", "--system", "Be brief.", "--temperature", "0", "--top-k", "-1",
		"--max-tokens", "50", "--stop", "END", "--stop", "STOP", "--seed", "7",
		"--extra", `{"chat_template_kwargs":{"enable_thinking":true}}`, "--no-stream", "Capital", "of", "France?")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != "Paris.\n" || r.stderr != "<think>\nThe capital of France\n</think>\n" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	req, _ := srv.LastRequest()
	want := `{"model":"m1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"}],` +
		`"temperature":0,"max_tokens":50,"stop":["END","STOP"],"seed":7,"top_k":-1,"chat_template_kwargs":{"enable_thinking":true}}`
	if string(req.Body) != want {
		t.Fatalf("body\n got %s\nwant %s", req.Body, want)
	}

	// The prompt from stdin, the model chosen because the server has one,
	// reasoning hidden.
	srv.Enqueue(vllmtest.Reply{Content: "4", Reasoning: "2+2"})
	r = runCLI(t, "What is 2+2?\n", serverEnv(srv), "chat", "--reasoning", "hide", "--no-stream")
	if r.code != 0 || r.stdout != "4\n" || r.stderr != "" {
		t.Fatalf("stdin prompt: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if req, _ := srv.LastRequest(); req.Chat.Messages[0].Text() != "What is 2+2?" || req.Chat.Model != "m1" {
		t.Fatalf("request %s", req.Body)
	}

	// --json prints the server's response as received.
	srv.Enqueue(vllmtest.Reply{Content: "hi"})
	r = runCLI(t, "", serverEnv(srv), "chat", "--json", "hello")
	var resp struct {
		Object  string
		Choices []struct{ Message struct{ Content string } }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &resp) != nil || resp.Object != "chat.completion" || resp.Choices[0].Message.Content != "hi" {
		t.Fatalf("--json: %q %q", r.stdout, r.stderr)
	}
}

func TestChatErrorsAreOneLine(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("a"), vllmtest.WithModel("b"))
	defer srv.Close()
	r := runCLI(t, "", serverEnv(srv), "chat", "hi")
	if r.code != exitFailure || r.stderr != "vllm chat: choosing a model (give --model or set VLLM_MODEL): no model given and the server serves several; served: a, b\n" || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("several models: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", serverEnv(srv), "chat", "--model", "zzz", "--no-stream", "hi")
	if r.code != exitFailure || !strings.Contains(r.stderr, "404") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("unknown model: exit %d %q", r.code, r.stderr)
	}
	keyed := vllmtest.NewServer(vllmtest.WithAPIKey("right"))
	defer keyed.Close()
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": keyed.URL, "VLLM_API_KEY": "wrong-key-123", "VLLM_MODEL": "m"}, "chat", "hi")
	if r.code != exitFailure || !strings.Contains(r.stderr, "401") || strings.Contains(r.stderr, "wrong-key-123") {
		t.Fatalf("bad key: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": keyed.URL, "VLLM_MODEL": "vllmtest-model"}, "--api-key", "right", "chat", "--no-stream", "hi")
	if r.code != 0 {
		t.Fatalf("right key: exit %d %q", r.code, r.stderr)
	}
}

func TestCompleteOneShot(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: " upon a time"})
	r := runCLI(t, "", serverEnv(srv), "complete", "--max-tokens", "5", "--echo", "--no-stream", "Once")
	if r.code != 0 || r.stdout != "Once upon a time\n" {
		t.Fatalf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	req, _ := srv.LastRequest()
	// --echo is vLLM's echo: the server returns the prompt with the text.
	if want := `{"model":"vllmtest-model","prompt":"Once","max_tokens":5,"echo":true}`; string(req.Body) != want {
		t.Fatalf("body %s", req.Body)
	}
}

func TestChatSavesAndImages(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	png := filepath.Join(dir, "dot.png")
	// A 1x1 PNG.
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"), 0o644)
	r := runCLI(t, "", serverEnv(srv), "chat", "--no-stream", "--image", png, "What is this?")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	req, _ := srv.LastRequest()
	if !strings.Contains(string(req.Body), `"content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo`) {
		t.Fatalf("body %s", req.Body)
	}
	notImage := filepath.Join(dir, "x.txt")
	os.WriteFile(notImage, []byte("hello"), 0o644)
	if r := runCLI(t, "", serverEnv(srv), "chat", "--image", notImage, "hi"); r.code != exitUsage ||
		!strings.Contains(r.stderr, notImage+": not an image of a known type") {
		t.Fatalf("text file as image: exit %d %q", r.code, r.stderr)
	}
	// Media of a known type that is not an image is refused too.
	wav := filepath.Join(dir, "x.png")
	os.WriteFile(wav, []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"), 0o644)
	if r := runCLI(t, "", serverEnv(srv), "chat", "--image", wav, "hi"); r.code != exitUsage ||
		!strings.Contains(r.stderr, wav+": audio/wav, not an image") {
		t.Fatalf("audio file as image: exit %d %q", r.code, r.stderr)
	}
}

func TestMockServesUntilInterrupted(t *testing.T) {
	cmd, base := startMockProcess(t, "--model", "mock-model", "--reasoning", "2")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") {
		t.Fatalf("first line %q", base)
	}
	r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": base}, "models")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "mock-model\t") {
		t.Fatalf("models from mock: %q %q", r.stdout, r.stderr)
	}
	r = runCLI(t, "", map[string]string{"VLLM_BASE_URL": base}, "chat", "--no-stream", "hi")
	if r.code != 0 || r.stdout == "" || r.stderr == "" { // stderr: the reasoning
		t.Fatalf("chat with mock: %q %q", r.stdout, r.stderr)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := waitProcess(t, cmd); err != nil {
		t.Fatalf("mock exited with %v after Ctrl-C", err)
	}
}

func TestTokenizeAndEmbed(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	r := runCLI(t, "", serverEnv(srv), "tokenize", "Hello world")
	ids := strings.Fields(r.stdout)
	if r.code != 0 || len(ids) != 2 || !strings.Contains(r.stderr, "2 tokens (max_model_len 8192)") {
		t.Fatalf("tokenize: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", serverEnv(srv), "tokenize", "--strings", "Hello world")
	if r.code != 0 || r.stdout != ids[0]+"\t\"Hello\"\n"+ids[1]+"\t\" world\"\n" {
		t.Fatalf("tokenize --strings: %q %q", r.stdout, r.stderr)
	}
	r = runCLI(t, "first line\nsecond line\n", serverEnv(srv), "embed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("embed: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	var v0, v1 []float32
	if json.Unmarshal([]byte(lines[0]), &v0) != nil || json.Unmarshal([]byte(lines[1]), &v1) != nil || len(v0) == 0 || len(v0) != len(v1) {
		t.Fatalf("embed output: %q", r.stdout)
	}
	req, _ := srv.LastRequest()
	if req.JSON["input"] == nil || len(req.JSON["input"].([]any)) != 2 {
		t.Fatalf("embed request %s", req.Body)
	}
}

func TestStreamingOneShot(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Streamed answer.", Reasoning: "thinking", Deltas: []string{"Stream", "ed ", "answer."}})
	r := runCLI(t, "", serverEnv(srv), "chat", "--reasoning", "stdout", "Hi")
	if r.code != 0 || r.stdout != "<think>\nthinking\n</think>\nStreamed answer.\n" {
		t.Fatalf("chat: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if req, _ := srv.LastRequest(); req.JSON["stream"] != true {
		t.Fatalf("chat did not stream: %s", req.Body)
	}
	srv.Enqueue(vllmtest.Reply{Content: " there", Deltas: []string{" the", "re"}})
	r = runCLI(t, "", serverEnv(srv), "complete", "Hello")
	if r.code != 0 || r.stdout != " there\n" {
		t.Fatalf("complete: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if req, _ := srv.LastRequest(); req.JSON["stream"] != true {
		t.Fatalf("complete did not stream: %s", req.Body)
	}
	// A stream that fails midway is an error, after what arrived was shown.
	srv.Fail(vllmtest.Fault{Kind: vllmtest.FaultErrorEvent, After: 2, Status: 500, Message: "engine died"})
	r = runCLI(t, "", serverEnv(srv), "chat", "Hi")
	if r.code != exitFailure || !strings.Contains(r.stderr, "engine died") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("failing stream: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestChatShowsToolCalls(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	tools := `{"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`
	for _, mode := range []string{"--no-stream", "--reasoning=hide"} {
		srv.Enqueue(vllmtest.Reply{ToolCalls: []vllmtest.ToolCall{{ID: "call-1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}})
		r := runCLI(t, "", serverEnv(srv), "chat", mode, "--extra", tools, "Weather in Paris?")
		if r.code != 0 || r.stdout != "" || r.stderr != "[tool call get_weather({\"city\":\"Paris\"}) id=call-1]\n" {
			t.Fatalf("%s: exit %d %q %q", mode, r.code, r.stdout, r.stderr)
		}
	}
}

// TestSeveralChoicesRefusedUnlessJSON: chat and complete print one answer,
// so n > 1 is refused before any request unless --json asks for the whole
// response.
func TestSeveralChoicesRefusedUnlessJSON(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	for _, cmd := range []string{"chat", "complete"} {
		r := runCLI(t, "", serverEnv(srv), cmd, "--extra", `{"n":2}`, "hi")
		if r.code != exitUsage || r.stderr != "vllm "+cmd+": n=2 asks for 2 answers and this command prints one; add --json to get them all\n" {
			t.Errorf("%s n=2: exit %d %q", cmd, r.code, r.stderr)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	r := runCLI(t, "", serverEnv(srv), "chat", "--json", "--extra", `{"n":2}`, "hi")
	var resp struct{ Choices []struct{ Index int } }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &resp) != nil || len(resp.Choices) != 2 {
		t.Fatalf("--json n=2: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestReasoningAndAnswerApartInOneStream: with stdout and stderr going to
// one file (2>&1), marker lines keep the reasoning apart from the answer.
func TestReasoningAndAnswerApartInOneStream(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Paris.", Reasoning: "France's capital", Deltas: []string{"Par", "is."}})
	t.Setenv("VLLM_BASE_URL", srv.URL)
	for _, k := range cliEnvVars[1:] {
		t.Setenv(k, "")
	}
	var both bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &both, stderr: &both}
	if code := run(context.Background(), e, []string{"chat", "hi"}); code != 0 {
		t.Fatalf("exit %d: %s", code, both.String())
	}
	if both.String() != "<think>\nFrance's capital\n</think>\nParis.\n" {
		t.Fatalf("2>&1 output %q", both.String())
	}
}
