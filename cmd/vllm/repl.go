package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reeflective/readline"
)

// blockFence opens and closes a multi-line message in the interactive chat.
const blockFence = `"""`

// replCommands are the interactive chat's commands, for /help.
var replCommands = []struct{ name, about string }{
	{"/help", "list these commands"},
	{"/reset", "forget the conversation (the system prompt stays)"},
	{"/system TEXT", "set the system prompt; /system alone removes it"},
	{"/image FILE", "attach an image file to the next message"},
	{"/save FILE", "write the conversation (system prompt, messages, model) as JSON to FILE"},
	{"/exit", "leave (also /quit, Ctrl-D, or Ctrl-C on an empty line)"},
}

// replKeys is the /help text on input: editing keys and multi-line input.
const replKeys = `Keys: arrows, Home/End, Alt-B/Alt-F (word moves), Ctrl-A/E/K/U/W, Up/Down (history),
Ctrl-R (search the history). A line holding only """ opens a multi-line
message and another closes it; pasted text is sent as one message.
Ctrl-C stops an answer; at the prompt it clears the line.`

// newLineEditor returns the line editor of the interactive chat: GNU
// readline's Emacs keys (and the user's ~/.inputrc), bracketed paste,
// """-fenced multi-line messages, and history in historyFile ("" for none).
func newLineEditor(historyFile string) *readline.Shell {
	rl := readline.NewShell()
	rl.Prompt.Primary(func() string { return "> " })
	rl.Prompt.Secondary(func() string { return ". " })
	// Pasted text is inserted whole, newlines included, and sent with Enter
	// as one message.
	_ = rl.Config.Set("enable-bracketed-paste", true)
	// Do not ask the terminal where the cursor is: some never answer, and
	// the prompt always starts a line here.
	_ = rl.Config.Set("cursor-position-probe", false)
	rl.AcceptMultiline = func(line []rune) bool { return !blockOpen(string(line)) }
	if historyFile != "" {
		rl.History.AddFromFile("history", historyFile)
	}
	return rl
}

// historyPath returns the file of the chat history: $XDG_STATE_HOME/vllm/
// history, or ~/.local/state/vllm/history; "" when neither can be found or
// the directory cannot be made.
func historyPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "vllm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	return filepath.Join(dir, "history")
}

// blockOpen reports whether text starts a """ block that is not closed yet.
func blockOpen(text string) bool {
	lines := strings.Split(text, "\n")
	if strings.TrimSpace(lines[0]) != blockFence {
		return false
	}
	return len(lines) == 1 || strings.TrimSpace(lines[len(lines)-1]) != blockFence
}

// messageText returns the message of an input: the lines between the fences
// of a """ block, or the input itself, trimmed.
func messageText(input string) string {
	lines := strings.Split(strings.TrimSpace(input), "\n")
	if len(lines) >= 2 && strings.TrimSpace(lines[0]) == blockFence && strings.TrimSpace(lines[len(lines)-1]) == blockFence {
		return strings.Trim(strings.Join(lines[1:len(lines)-1], "\n"), "\n")
	}
	return strings.TrimSpace(input)
}

// repl runs the interactive chat until EOF, /exit, or Ctrl-C on an empty
// line.
func (s *chatSession) repl(ctx context.Context) error {
	e := s.e
	takenSignals.Store(true)
	defer takenSignals.Store(false)
	hist := historyPath()
	rl := newLineEditor(hist)
	fmt.Fprintf(e.stderr, "Chatting with %s. /help for commands, Ctrl-D to leave.\n", s.model)
	if hist == "" {
		fmt.Fprintln(e.stderr, "[no history: set XDG_STATE_HOME or HOME to keep one]")
	}
	for {
		input, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			if strings.TrimSpace(input) != "" {
				continue // Ctrl-C on a line being typed: drop the line
			}
			return nil
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("reading the terminal: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		text := messageText(input)
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "/") && !strings.Contains(text, "\n") {
			if quit := s.command(text); quit {
				return nil
			}
			continue
		}
		s.interactiveTurn(ctx, text)
	}
}

// interactiveTurn sends one message and prints the answer; Ctrl-C stops the
// answer and keeps what arrived.
func (s *chatSession) interactiveTurn(ctx context.Context, text string) {
	e := s.e
	// Forget an interrupt that arrived while the prompt was up (the
	// terminal was in raw mode, so it came from elsewhere).
	for len(e.signals) > 0 {
		<-e.signals
	}
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.turn(genCtx, s.userMessage(text))
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-e.signals:
		cancel()
		err = <-done
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "[interrupted]")
	case err != nil:
		err = explain(s.c, "POST", baseRoute(s.c, "/chat/completions"), err)
		var ue *unreachableError
		if errors.As(err, &ue) {
			// The server answered when the chat began: no advice about
			// command-line flags here.
			fmt.Fprintf(e.stderr, "error: cannot reach the server at %s (%v); is it still running?\n", ue.baseURL, ue.cause)
			break
		}
		fmt.Fprintln(e.stderr, "error: "+replMessage(err))
	}
}

// replMessage is an error as the interactive chat shows it: one line,
// without the library's "vllm: " prefixes.
func replMessage(err error) string {
	return oneLine(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "vllm: "), ": vllm: ", ": "))
}

// command runs a /command; it reports whether the chat should end.
func (s *chatSession) command(line string) bool {
	e := s.e
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/exit", "/quit":
		return true
	case "/reset":
		s.history = nil
		fmt.Fprintln(e.stderr, "[conversation cleared]")
	case "/system":
		s.system = arg
		if arg == "" {
			fmt.Fprintln(e.stderr, "[system prompt removed]")
		} else {
			fmt.Fprintln(e.stderr, "[system prompt set]")
		}
	case "/save":
		if arg == "" {
			fmt.Fprintln(e.stderr, "usage: /save FILE")
			break
		}
		n, err := s.save(arg)
		if err != nil {
			fmt.Fprintln(e.stderr, "error: "+replMessage(err))
			break
		}
		what := fmt.Sprintf("%d messages", n)
		if s.system != "" {
			what += " (the system prompt and " + plural(len(s.history), "message") + ")"
		}
		fmt.Fprintf(e.stderr, "[saved %s and the model name to %s]\n", what, arg)
	case "/image":
		if arg == "" {
			fmt.Fprintln(e.stderr, "usage: /image FILE")
			break
		}
		part, err := imagePart(arg)
		if err != nil {
			fmt.Fprintln(e.stderr, "error: "+replMessage(err))
			break
		}
		s.images = append(s.images, part)
		fmt.Fprintln(e.stderr, "[image attached to the next message]")
	case "/help":
		for _, c := range replCommands {
			fmt.Fprintf(e.stderr, "  %-14s %s\n", c.name, c.about)
		}
		fmt.Fprintln(e.stderr, replKeys)
	default:
		fmt.Fprintf(e.stderr, "unknown command %s (/help lists them)\n", name)
	}
	return false
}

// plural returns "1 message", "2 messages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
