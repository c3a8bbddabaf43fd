//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vllmgo/vllm/vllmtest"
)

// chatScript answers "slow" prompts with a long answer paced at 40 ms a
// token, and everything else quickly.
func chatScript(r *vllmtest.Request) *vllmtest.Reply {
	if r.Chat == nil {
		return nil
	}
	last := r.Chat.Messages[len(r.Chat.Messages)-1].Text()
	switch {
	case strings.Contains(last, "slow"):
		words := make([]string, 200)
		for i := range words {
			words[i] = "tick"
		}
		return &vllmtest.Reply{Content: "SLOWSTART " + strings.Join(words, " "),
			Fault: &vllmtest.Fault{Kind: vllmtest.FaultNone, ITL: 40 * time.Millisecond}}
	case strings.Contains(last, "name"):
		return &vllmtest.Reply{Content: "Nice to meet you, Ada.", Reasoning: "The user introduces herself."}
	}
	return &vllmtest.Reply{Content: "You said: " + last}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a real child process through its pty: no simulated clock reaches it
	}
}

// TestInteractiveChatInTerminal drives "vllm chat" in a pseudo-terminal as a
// person would: a first turn streams its answer (reasoning apart), Ctrl-C in
// the middle of a long answer returns to the prompt and releases the
// connection, a later turn carries the whole history, and Ctrl-C at the
// prompt leaves.
func TestInteractiveChatInTerminal(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithModel("chat-model"), vllmtest.WithHandler(chatScript))
	defer srv.Close()
	cmd := exec.Command(binPath, "chat", "--system", "Be kind.")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL, "TERM=dumb", "XDG_STATE_HOME=" + t.TempDir()}
	p := startInPTY(t, cmd)

	p.waitFor(t, "Chatting with chat-model", 1)
	p.waitPrompt(t, 1)
	p.type_(t, "My name is Ada\r")
	screen := p.waitFor(t, "Nice to meet you, Ada.", 1)
	// Reasoning is shown apart, dimmed (stderr is the terminal).
	if !strings.Contains(screen, ansiDim+"The user introduces herself."+ansiReset) {
		t.Errorf("reasoning not shown dimmed:\n%q", screen)
	}
	p.waitPrompt(t, 2)

	p.type_(t, "tell me something slow\r")
	p.waitFor(t, "SLOWSTART tick", 1) // streaming: the start is shown while the rest is generated
	open := srv.OpenConnections()
	p.type_(t, "\x03") // Ctrl-C
	screen = p.waitFor(t, "[interrupted]", 1)
	p.waitPrompt(t, 3)
	if n := strings.Count(screen, "tick"); n >= 200 {
		t.Fatalf("the answer was not interrupted (%d ticks)", n)
	}
	// The stream's connection is closed by the client, not left to finish.
	waitUntil(t, "the stream's connection to close", func() bool { return srv.OpenConnections() < open })

	p.type_(t, "what is my name?\r")
	p.waitFor(t, "Nice to meet you, Ada.", 2)
	p.waitPrompt(t, 4)

	reqs := srv.Requests()
	last := reqs[len(reqs)-1].Chat
	var roles, texts []string
	for _, m := range last.Messages {
		roles = append(roles, m.Role)
		texts = append(texts, m.Text())
	}
	if got := strings.Join(roles, ","); got != "system,user,assistant,user,assistant,user" {
		t.Fatalf("roles of the third turn: %s (%q)", got, texts)
	}
	if texts[0] != "Be kind." || texts[1] != "My name is Ada" || texts[2] != "Nice to meet you, Ada." ||
		texts[3] != "tell me something slow" || !strings.HasPrefix(texts[4], "SLOWSTART tick") || texts[5] != "what is my name?" {
		t.Fatalf("history sent: %q", texts)
	}
	if len(texts[4]) >= len("SLOWSTART")+200*5 {
		t.Fatalf("the interrupted answer kept in the history is not partial: %d bytes", len(texts[4]))
	}

	p.type_(t, "\x03") // Ctrl-C at the prompt leaves
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chat exited with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("chat did not exit on Ctrl-C at the prompt; screen:\n%s", p.text())
	}
}

// TestInteractiveChatCommandsAndEOF checks /system, /save, /reset and Ctrl-D.
func TestInteractiveChatCommandsAndEOF(t *testing.T) {
	srv := vllmtest.NewServer(vllmtest.WithHandler(chatScript))
	defer srv.Close()
	save := filepath.Join(t.TempDir(), "conv.json")
	cmd := exec.Command(binPath, "chat", "--reasoning", "hide")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL, "XDG_STATE_HOME=" + t.TempDir()}
	p := startInPTY(t, cmd)
	p.waitPrompt(t, 1)
	p.type_(t, "/system Answer in French.\r")
	p.waitFor(t, "[system prompt set]", 1)
	p.type_(t, "hello\r")
	p.waitFor(t, "You said: hello", 1)
	p.type_(t, "/save "+save+"\r")
	p.waitFor(t, "[saved 3 messages (the system prompt and 2 messages) and the model name to "+save+"]", 1)
	png := filepath.Join(t.TempDir(), "dot.png")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"), 0o644)
	p.type_(t, "/image "+png+"\r")
	p.waitFor(t, "[image attached to the next message]", 1)
	p.type_(t, "/reset\r")
	p.waitFor(t, "[conversation cleared]", 1)
	p.type_(t, "again\r")
	p.waitFor(t, "You said: again", 1)
	req, _ := srv.LastRequest()
	if len(req.Chat.Messages) != 2 || req.Chat.Messages[0].Text() != "Answer in French." ||
		!strings.Contains(string(req.Chat.Messages[1].Content), `{"type":"image_url","image_url":{"url":"data:image/png;base64,`) {
		t.Fatalf("after /image and /reset the request was %s", req.Body)
	}
	p.waitPrompt(t, 4)
	p.type_(t, "\x04") // Ctrl-D at an empty line: EOF
	if err := cmd.Wait(); err != nil {
		t.Fatalf("chat exited with %v", err)
	}
	var conv struct {
		Model    string
		Messages []map[string]any
	}
	b, _ := os.ReadFile(save)
	if err := json.Unmarshal(b, &conv); err != nil || conv.Model != vllmtest.DefaultModel || len(conv.Messages) != 3 ||
		conv.Messages[0]["content"] != "Answer in French." || conv.Messages[2]["content"] != "You said: hello" {
		t.Fatalf("saved conversation: %s", b)
	}
}
