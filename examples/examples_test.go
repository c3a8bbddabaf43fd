// Package examples_test builds every example once and runs each against its
// embedded vllmtest server (VLLM_BASE_URL unset), checking its output.
package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// expected lists, for every example, patterns its output must match, in
// order. Every directory holding a main.go must appear here.
var expected = map[string][]string{
	"quickstart": {`(?m)^server:    http://127\.0\.0\.1:\d+/v1$`, `(?m)^model:     vllmtest-model$`, `(?m)^answer:    \S+`, `(?m)^tokens:    [1-9]\d*$`},
	"basic-chat": {`(?m)^answer: \S+`, `(?m)^finish reason: stop$`, `(?m)^usage: prompt=\d+ completion=\d+ total=\d+$`, `(?m)^greedy answer: \S+`, `(?m)^greedy twice, same answer: true$`, `(?m)^with stop ".+": ".*" \(finish reason stop, stop reason .+\)$`, `(?m)^fluent answer: \S+`},
	"multi-turn": {`(?m)^turn 1$`, `user:      My name is Alice\.`, `(?m)^turn 3$`, `(?m)^history: 7 messages$`, `(?m)^conversation: 5 messages$`},
	"tools": {`(?m)^tool call: get_weather\(\{"location": ".+"\}\) id=chatcmpl-tool-[0-9a-f]+$|(?m)^tool call: get_weather\(\{.*"location".*\}\) id=chatcmpl-tool-[0-9a-f]+$`,
		`(?m)^answer: Based on the tool results: \{"condition":"sunny",`},
	"tools-multiple": {`(?m)^called web_search -> \["Result 1 for `, `(?m)^tools offered: web_search, calculator$`, `(?m)^forced call: calculator\(\{"expression": `},
	"tools-parallel": {`(?m)^the model made 2 calls at once$`, `get_weather\(\{"location":"Paris"\}\) -> \{"location":"Paris","temperature":18\}`,
		`get_time\(\{"location":"Paris"\}\) -> \{"location":"Paris","time":"14:05"\}`, `(?m)^answer: Based on the tool results: .*temperature.*; .*time`},
	"tools-agent": {`(?m)^tool lookup_population\(\{"city": "[^"]+"\}\) -> \{"city":"[^"]+","population":2100000\}$`,
		`(?m)^answer after 2 rounds, 1 tool call: Based on the tool results: \{"city":.*"population":2100000\}$`,
		`(?m)^stopped: agent: stopped after 1 round \(MaxRounds 1\) while the model still called tools$`,
		`(?m)^resumed: 1 round, 4 messages in all: Based on the tool results: \{"city":.*"population":2100000\}$`},
	"tools-errors": {`divide\(\{"a": 1, "b": 0\}\) -> \{"error":"division by zero","success":false\}`,
		`malformed arguments: `, `sqrt\(\{"x": 2\}\) -> \{"error":"unknown tool sqrt","success":false\}`,
		`(?m)^sent back to the model: exchange_rate\(.*\) -> \{"error":"rate service unavailable","success":false\}$`,
		`(?m)^answer: Based on the tool results: \{"error":"rate service unavailable"`},
	"custom-headers": {`(?m)^sent X-Team: search$`, `(?m)^sent X-Tenant: acme$`, `(?m)^sent X-Request-Id: req-12345$`,
		`(?m)^sent User-Agent: my-service/1\.2$`, `(?m)^sent body fields: request_id=req-12345 custom_field=custom_value$`},
	"error-handling": {`rejected before sending: field "model" is required`, `the server does not serve that model`,
		`HTTP 503 \(Service Unavailable\): server overloaded, retryable: true`, `could not reach the server; retryable: true`,
		`(?s)deadline:.*timed out; retryable: true`},
	"streaming-chat": {`(?m)^story: \S+`, `(?m)^finish reason: stop$`, `(?m)^usage: prompt=\d+ completion=\d+$`,
		`(?m)^accumulated: [1-9]\d* characters of content$`, `(?m)^second turn: \S+`},
	"streaming-completions": {`(?m)^text: \S+`, `(?m)^finish reason: (stop|length)$`, `(?m)^usage: prompt=\d+ completion=\d+$`, `(?m)^collected: [1-9]\d* characters$`},
	"thinking": {`(?m)^reasoning: \S+`, `(?m)^answer: \S+`, `(?m)^streamed: 12 reasoning events, then [1-9]\d* content events$`,
		`split: reasoning="15\*23 = 345, \+47 = 392" answer="The answer is 392\."`},
	"tools-streaming": {`(?m)^complete call #0: get_weather\(\{"location": ".*"\}\) id=chatcmpl-tool-[0-9a-f]+$`, `(?m)^finish reason: tool_calls$`,
		`(?m)^argument fragments received: [1-9]\d*$`, `(?m)^calls in the response: 1$`},
	"timeouts-retries": {`(?m)^attempt 1 failed \(.*503.*overloaded.*\); retrying in `, `(?m)^attempt 2 failed `, `(?m)^answer after retries: \S+`,
		`(?m)^timed out: true retryable: true$`, `(?m)^stream failed: kind=idle timeout timeout=true$`, `(?m)^deadline exceeded: true$`},
	"image-base64":     {`(?m)^sent data:image/png;base64,… \(\d+ bytes of data URL\)$`, `(?m)^answer: \S+`, `(?m)^a text file as an image: vllm: invalid request: media `},
	"image-url":        {`(?m)^image: https://`, `(?m)^answer: \S+`},
	"images-multiple":  {`(?m)^sent 3 images$`, `(?m)^answer: \S+`},
	"image-streaming":  {`(?m)^answer: \S+`},
	"image-multi-turn": {`(?m)^turn 1 \(1 messages sent\): \S+`, `(?m)^turn 2 \(3 messages sent\): \S+`, `(?m)^turn 3 \(5 messages sent\): \S+`},
	"mcp-agent": {`(?m)^MCP tools: get_weather$`, `(?m)^tool get_weather\(\{"city": "[^"]+"\}\) -> \{"city":"[^"]+","sky":"clear","temperature_c":18\}$`,
		`(?m)^answer after 1 tool calls: Based on the tool results: \{"city":"[^"]+","sky":"clear","temperature_c":18\}$`},
	"batch": {`(?m)^progress: 1/6 done`, `(?m)^progress: 6/6 done, 1 failed$`, `(?m)^0 "Hello" +\S+`, `(?m)^3 "Good morning" +error: .*404`,
		`(?m)^5 "Howdy" +\S+`, `(?m)^words in all answers: [1-9]\d*$`},
}

func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./...")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/...: %v\n%s", err, out)
	}
	// An example with its own go.mod (one that needs a module the library
	// does not require, such as mcp-agent) is outside ./...: build it in
	// its directory.
	mods, err := filepath.Glob("*/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		dir := filepath.Dir(m)
		build := exec.Command("go", "build", "-o", filepath.Join(bin, dir), ".")
		build.Dir = dir
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build in examples/%s: %v\n%s", dir, err, out)
		}
	}
	seen := map[string]bool{}
	for _, m := range dirs {
		name := filepath.Dir(m)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			patterns, ok := expected[name]
			if !ok {
				t.Fatalf("examples/%s has no expected output in examples_test.go", name)
			}
			cmd := exec.Command(filepath.Join(bin, name))
			cmd.Env = cleanEnv()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			rest := string(out)
			for _, p := range patterns {
				loc := regexp.MustCompile(p).FindStringIndex(rest)
				if loc == nil {
					t.Fatalf("output lacks %s (in order):\n%s", p, out)
				}
				rest = rest[loc[1]:]
			}
		})
	}
	for name := range expected {
		if !seen[name] {
			t.Errorf("expected output listed for missing example %s", name)
		}
	}
}

// cleanEnv is the environment without the VLLM_ variables, so that every
// example runs on its embedded server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VLLM_") {
			env = append(env, kv)
		}
	}
	return env
}
