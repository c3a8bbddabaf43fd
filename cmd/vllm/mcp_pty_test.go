//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// TestInteractiveChatWithMCPTools drives "vllm chat --mcp" in a
// pseudo-terminal: a call is shown and confirmed with y, its result shown
// and answered on; a declined call reaches the model as a tool error; Ctrl-C
// while a call runs cancels it on the MCP server and returns to the prompt.
func TestInteractiveChatWithMCPTools(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithHandler(toolScript))
	defer srv.Close()
	dir := t.TempDir()
	cmd := exec.Command(binPath, "chat", "--mcp", os.Args[0])
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL, "TERM=dumb", "XDG_STATE_HOME=" + t.TempDir(),
		mcpServerEnv + "=1", "VLLM_TEST_MCP_DIR=" + dir} // read by the MCP server the chat starts
	p := startInPTY(t, cmd)

	p.waitFor(t, "[MCP tools: get_weather, slow]", 1)
	p.waitPrompt(t, 1)
	p.type_(t, "what is the weather in Paris?\r")
	p.waitFor(t, `[tool get_weather {"city": "Paris"}]`, 1)
	p.waitFor(t, "run get_weather? [y/N] ", 1)
	p.type_(t, "y\r")
	p.waitFor(t, "[result: 18C and clear in Paris]", 1)
	p.waitFor(t, "Tool said: 18C and clear in Paris", 1)
	p.waitPrompt(t, 2)

	p.type_(t, "and the weather tomorrow?\r")
	p.waitFor(t, `[tool get_weather {"city": "Paris"}]`, 2)
	// The line editor draws its prompt more than once: wait for it after the second call.
	waitUntil(t, "the second confirmation", func() bool {
		s := p.text()
		return strings.Contains(s[strings.LastIndex(s, "[tool get_weather"):], "run get_weather? [y/N] ")
	})
	p.type_(t, "n\r")
	p.waitFor(t, "[not run]", 1)
	p.waitFor(t, "Tool said: error: the user did not allow this call", 1)
	p.waitPrompt(t, 3)

	p.type_(t, "something slow\r")
	p.waitFor(t, "run slow? [y/N] ", 1)
	p.type_(t, "yes\r")
	waitUntil(t, "the slow call to start", func() bool { _, err := os.Stat(filepath.Join(dir, "started")); return err == nil })
	p.type_(t, "\x03") // Ctrl-C while the call runs
	p.waitFor(t, "[interrupted]", 1)
	waitUntil(t, "the MCP server to see the call cancelled", func() bool { _, err := os.Stat(filepath.Join(dir, "cancelled")); return err == nil })
	p.waitPrompt(t, 4)

	// The history holds both finished turns (with their calls and results),
	// not the interrupted one.
	p.type_(t, "thanks\r")
	p.waitFor(t, "No tool needed.", 1)
	req, _ := srv.LastRequest()
	var roles []string
	for _, m := range req.Chat.Messages {
		roles = append(roles, m.Role)
	}
	if got := strings.Join(roles, ","); got != "user,assistant,tool,assistant,user,assistant,tool,assistant,user" {
		t.Fatalf("roles sent after the interrupted turn: %s", got)
	}
	p.waitPrompt(t, 5)
	p.type_(t, "\x04")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chat exited with %v", err)
		}
	case <-time.After(10 * time.Second): // a real process: it closes the MCP server (up to 5s) and exits
		t.Fatalf("chat did not exit on Ctrl-D; screen:\n%s", p.text())
	}
}
