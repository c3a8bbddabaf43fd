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

// Keys as a terminal sends them.
const (
	keyUp      = "\x1b[A"
	keyLeft    = "\x1b[D"
	keyHome    = "\x1b[H"
	keyEnd     = "\x1b[F"
	keyAltB    = "\x1bb"
	keyAltF    = "\x1bf"
	keyCtrlA   = "\x01"
	keyCtrlC   = "\x03"
	keyCtrlD   = "\x04"
	keyCtrlE   = "\x05"
	keyCtrlK   = "\x0b"
	keyCtrlR   = "\x12"
	keyCtrlU   = "\x15"
	keyCtrlW   = "\x17"
	pasteStart = "\x1b[200~"
	pasteEnd   = "\x1b[201~"
	keyEnter   = "\r"
)

// newChatServer is a vllmtest server answering with chatScript, closed when
// the test ends.
func newChatServer(t *testing.T) *vllmtest.Server {
	srv := vllmtest.NewServer(vllmtest.WithHandler(chatScript))
	t.Cleanup(srv.Close)
	return srv
}

// startChat starts "vllm chat" in a pty against srv, with its history under
// state, and waits for the first prompt.
func startChat(t *testing.T, srv *vllmtest.Server, state string, env ...string) (*pty, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binPath, "chat", "--reasoning", "hide")
	cmd.Env = append([]string{"VLLM_BASE_URL=" + srv.URL, "XDG_STATE_HOME=" + state, "TERM=xterm"}, env...)
	p := startInPTY(t, cmd)
	p.waitPrompt(t, 1)
	return p, cmd
}

// sent returns the last user message the server received.
func sent(t *testing.T, srv *vllmtest.Server) string {
	t.Helper()
	req, ok := srv.LastRequest()
	if !ok || req.Chat == nil {
		t.Fatal("no chat request")
	}
	msgs := req.Chat.Messages
	return msgs[len(msgs)-1].Text()
}

// exitOnCtrlD leaves the chat with Ctrl-D and waits for a clean exit.
func exitOnCtrlD(t *testing.T, p *pty, cmd *exec.Cmd) {
	t.Helper()
	p.type_(t, keyCtrlD)
	waitExit(t, p, cmd, "Ctrl-D")
}

// waitExit waits for the chat to exit cleanly after key.
func waitExit(t *testing.T, p *pty, cmd *exec.Cmd, key string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chat exited with %v after %s", err, key)
		}
	case <-time.After(10 * time.Second): // a real process: it may close an MCP server (up to 5s) first
		cmd.Process.Kill()
		<-done
		t.Fatalf("chat did not exit on %s; screen:\n%q", key, p.text())
	}
}

// TestLineEditorKeys types with the editing keys of GNU readline and checks
// the message the server received.
func TestLineEditorKeys(t *testing.T) {
	srv := newChatServer(t)
	p, cmd := startChat(t, srv, t.TempDir())
	for i, c := range []struct{ keys, want string }{
		{"world" + keyCtrlA + "hello " + keyCtrlE + "!", "hello world!"},
		{"ac" + keyLeft + "b", "abc"},
		{"garbage" + keyCtrlU + "clean", "clean"},
		{"one two" + keyCtrlW + "three", "one three"},
		{"abc def" + keyCtrlA + keyAltF + keyCtrlK, "abc"},
		{"two" + keyHome + "one " + keyEnd + " three", "one two three"},
		{"second first" + keyAltB + keyCtrlK, "second"},
	} {
		p.type_(t, c.keys+keyEnter)
		p.waitFor(t, "You said: "+c.want, 1)
		p.waitPrompt(t, i+2)
		if got := sent(t, srv); got != c.want {
			t.Errorf("keys %q sent %q, want %q", c.keys, got, c.want)
		}
	}
	exitOnCtrlD(t, p, cmd)
}

// TestHistoryPersistsAcrossSessions: the lines of one chat are in the
// history file under XDG_STATE_HOME, and the next chat recalls them with Up
// and with Ctrl-R.
func TestHistoryPersistsAcrossSessions(t *testing.T) {
	srv := newChatServer(t)
	state := t.TempDir()
	p, cmd := startChat(t, srv, state)
	p.type_(t, "the first question"+keyEnter)
	p.waitFor(t, "You said: the first question", 1)
	p.waitPrompt(t, 2)
	p.type_(t, "another one"+keyEnter)
	p.waitFor(t, "You said: another one", 1)
	p.waitPrompt(t, 3)
	exitOnCtrlD(t, p, cmd)
	hist, err := os.ReadFile(filepath.Join(state, "vllm", "history"))
	if err != nil || !strings.Contains(string(hist), "the first question") || !strings.Contains(string(hist), "another one") {
		t.Fatalf("history file: %v\n%s", err, hist)
	}

	p, cmd = startChat(t, srv, state)
	p.type_(t, keyUp+keyEnter)
	p.waitFor(t, "You said: another one", 1)
	p.waitPrompt(t, 2)
	if got := sent(t, srv); got != "another one" {
		t.Fatalf("Up recalled %q", got)
	}
	p.type_(t, keyCtrlR+"first")
	p.waitFor(t, "the first question", 1)
	p.type_(t, keyEnter) // in incremental search, Enter accepts the line found
	p.waitFor(t, "You said: the first question", 1)
	if got := sent(t, srv); got != "the first question" {
		t.Fatalf("Ctrl-R recalled %q", got)
	}
	p.waitPrompt(t, 3)
	exitOnCtrlD(t, p, cmd)
}

// TestMultiLineMessages: a """ block and a bracketed paste are each sent as
// one message.
func TestMultiLineMessages(t *testing.T) {
	srv := newChatServer(t)
	p, cmd := startChat(t, srv, t.TempDir())
	p.type_(t, `"""`+keyEnter+"line one"+keyEnter+"  line two"+keyEnter+`"""`+keyEnter)
	p.waitFor(t, "You said: line one", 1)
	p.waitPrompt(t, 2)
	if got := sent(t, srv); got != "line one\n  line two" {
		t.Fatalf("block sent %q", got)
	}
	p.type_(t, pasteStart+"pasted one\rpasted two\r"+pasteEnd)
	p.type_(t, keyEnter)
	p.waitFor(t, "You said: pasted one", 1)
	p.waitPrompt(t, 3)
	if got := sent(t, srv); got != "pasted one\npasted two" {
		t.Fatalf("paste sent %q", got)
	}
	chats := 0
	for _, r := range srv.Requests() {
		if r.Chat != nil {
			chats++
		}
	}
	if chats != 2 {
		t.Fatalf("%d chat requests for two messages", chats)
	}
	exitOnCtrlD(t, p, cmd)
}

// TestREPLHelpErrorsAndCtrlC: /help lists every command, an error names no
// command-line flag and carries no repeated prefix, Ctrl-C on a typed line
// drops it, Ctrl-C on an empty line leaves.
func TestREPLHelpErrorsAndCtrlC(t *testing.T) {
	srv := newChatServer(t)
	p, cmd := startChat(t, srv, t.TempDir())
	p.type_(t, "/help"+keyEnter)
	screen := p.waitFor(t, "Ctrl-R", 1)
	for _, c := range replCommands {
		if !strings.Contains(screen, c.name+" ") || !strings.Contains(screen, c.about) {
			t.Errorf("/help lacks %s", c.name)
		}
	}
	p.waitPrompt(t, 2)
	notImage := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notImage, []byte("just text"), 0o644)
	p.type_(t, "/image "+notImage+keyEnter)
	screen = p.waitFor(t, "error: "+notImage+": ", 1)
	p.waitPrompt(t, 3)
	errLine := screen[strings.LastIndex(screen, "error: "):]
	errLine = errLine[:strings.Index(errLine, "\n")]
	if strings.Contains(errLine, "--image") || strings.Contains(errLine, "vllm:") {
		t.Errorf("REPL error %q", errLine)
	}
	p.type_(t, "half typed"+keyCtrlC)
	p.waitPrompt(t, 4)
	p.type_(t, "hello"+keyEnter)
	p.waitFor(t, "You said: hello", 1)
	if got := sent(t, srv); got != "hello" {
		t.Fatalf("after Ctrl-C on a typed line, sent %q", got)
	}
	p.waitPrompt(t, 5)
	p.type_(t, keyCtrlC)
	waitExit(t, p, cmd, "Ctrl-C on an empty line")
}

// TestNoColorMarksReasoning: with NO_COLOR the reasoning is not dimmed but
// set apart by marker lines.
func TestNoColorMarksReasoning(t *testing.T) {
	srv := newChatServer(t)
	cmd := exec.Command(binPath, "chat")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL, "XDG_STATE_HOME=" + t.TempDir(), "NO_COLOR=1"}
	p := startInPTY(t, cmd)
	p.waitPrompt(t, 1)
	p.type_(t, "My name is Ada"+keyEnter)
	screen := p.waitFor(t, "Nice to meet you, Ada.", 1)
	if strings.Contains(screen, ansiDim) || !strings.Contains(screen, "<think>\r\nThe user introduces herself.\r\n</think>\r\n") {
		t.Errorf("reasoning with NO_COLOR:\n%q", screen)
	}
	p.waitPrompt(t, 2)
	exitOnCtrlD(t, p, cmd)
}

// TestChatWithoutTerminalDoesNotStartTheREPL: stdin from /dev/null (a
// character device, not a terminal) is an empty prompt.
func TestChatWithoutTerminalDoesNotStartTheREPL(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	cmd := exec.Command(binPath, "chat")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL}
	cmd.Stdin = devNull
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitProcess(t, cmd)
	if cmd.ProcessState.ExitCode() != exitUsage || out.String() != "vllm chat: no prompt: give one as an argument or on stdin\n" {
		t.Fatalf("exit %d: %q", cmd.ProcessState.ExitCode(), out.String())
	}
}

// TestREPLServerGoneSaysSo: when the server stops during a chat, the error
// says it cannot be reached, without command-line advice, and the chat goes
// on.
func TestREPLServerGoneSaysSo(t *testing.T) {
	srv := newChatServer(t)
	p, cmd := startChat(t, srv, t.TempDir())
	url := srv.URL
	srv.Close()
	p.type_(t, "anyone there?"+keyEnter)
	screen := p.waitFor(t, "error: cannot reach the server at "+url+" (connect: connection refused); is it still running?\r\n", 1)
	if strings.Contains(screen, "--") {
		t.Errorf("REPL error names a flag:\n%q", screen)
	}
	p.waitPrompt(t, 2)
	exitOnCtrlD(t, p, cmd)
}

// TestChatWithStdoutRedirectedReadsOnePrompt: with stdin a terminal but
// stdout a file, no line editor draws into the file: the prompt is read up
// to Ctrl-D and answered once.
func TestChatWithStdoutRedirectedReadsOnePrompt(t *testing.T) {
	srv := newChatServer(t)
	cmd := exec.Command(binPath, "chat", "--reasoning", "hide")
	cmd.Env = []string{"VLLM_BASE_URL=" + srv.URL, "XDG_STATE_HOME=" + t.TempDir()}
	var stdout syncBuffer
	cmd.Stdout = &stdout
	p := startInPTY(t, cmd)
	p.type_(t, "hello there\n"+keyCtrlD)
	waitExit(t, p, cmd, "Ctrl-D")
	if stdout.String() != "You said: hello there\n" {
		t.Fatalf("stdout %q", stdout.String())
	}
}

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
	waitExit(t, p, cmd, "Ctrl-C at the prompt")
}

// TestInteractiveChatCommandsAndEOF checks /system, /save, /reset and Ctrl-D.
func TestInteractiveChatCommandsAndEOF(t *testing.T) {
	srv := newChatServer(t)
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
	exitOnCtrlD(t, p, cmd)
}
