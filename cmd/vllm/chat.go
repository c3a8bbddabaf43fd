package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vllmgo/vllm"
	vllmmcp "github.com/vllmgo/vllm/mcp"
)

func init() { register(newChatCmd) }

// chatSession holds the state of a chat: settings and history.
type chatSession struct {
	e         *env
	c         *vllm.Client
	model     string
	system    string
	history   []vllm.Message
	sampling  sampling
	extra     map[string]any
	reasoning string // "stderr", "stdout" or "hide"
	images    []vllm.ContentPart
	stream    bool
	think     *styled
	mcp       mcpFlags         // --mcp, --mcp-config, --yes
	toolset   *vllmmcp.Toolset // the MCP servers' tools, when given
}

const chatAbout = `Sends a prompt to /v1/chat/completions and prints the answer.

With a PROMPT argument, or a prompt on stdin, it answers once and exits. With
neither, on a terminal (stdin and stdout), it starts an interactive chat:
answers stream as they are generated, the conversation is remembered, and
these commands work:
  /reset        forget the conversation (the system prompt stays)
  /system TEXT  set the system prompt (empty TEXT removes it)
  /image FILE   attach an image file to the next message
  /save FILE    write the conversation as JSON to FILE
  /help         list the commands
  /exit         leave (so do Ctrl-D, and Ctrl-C on an empty line)
Ctrl-C during an answer stops it and returns to the prompt. The input line
has GNU readline's keys and a history kept in $XDG_STATE_HOME/vllm/history
(Up/Down, Ctrl-R); a line holding only """ opens a multi-line message and
another closes it; pasted text is sent as one message.

With --mcp or --mcp-config the model gets the tools of MCP servers: each
call is shown, asked about ("run NAME? [y/N]") unless --yes, and its result
shown in one line; Ctrl-C stops a running call and ends the turn.

Reasoning ("thinking") is printed apart from the answer: on stderr, dimmed on
a terminal (--reasoning stderr, the default), inline on stdout (stdout) or not
at all (hide).`

const chatExamples = `  vllm chat "Why is the sky blue?"
  echo "Summarise this" | vllm chat --model Qwen/Qwen3-8B
  vllm chat --system "Be brief." --temperature 0.2 --max-tokens 100 "Hi"
  vllm chat --image cat.png "What is in this picture?"
  vllm chat --extra '{"chat_template_kwargs":{"enable_thinking":true}}' "15*23+47?"
  vllm chat --json "Hi" | jq .usage
  vllm chat --mcp "npx -y @modelcontextprotocol/server-filesystem /tmp"
  vllm chat --mcp-config ~/.config/mcp.json --yes "What is in /tmp?"
  vllm chat                      # interactive, on a terminal`

func newChatCmd(e *env) *cobra.Command {
	s := &chatSession{e: e}
	var g globals
	var images []string
	var asJSON, noStream bool
	cmd := newCommand("chat [flags] [PROMPT]", "chat with a model: one-shot, from stdin, or interactive", chatAbout, chatExamples)
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(cmd *cobra.Command, pos []string) error {
		return s.run(cmd.Context(), &g, images, pos, asJSON, noStream)
	}
	fs := cmd.Flags()
	g.register(fs, flagsModel)
	s.sampling.register(fs)
	fs.StringVar(&s.system, "system", "", "system prompt")
	fs.Var(listFlag{&images}, "image", "attach an image file to the (first) prompt (repeatable)")
	fs.StringVar(&s.reasoning, "reasoning", "stderr", "where reasoning goes: stderr (dimmed on a terminal), stdout, or hide")
	fs.BoolVar(&asJSON, "json", false, "print the full JSON response on stdout (one-shot only)")
	fs.BoolVar(&noStream, "no-stream", false, "wait for the whole answer instead of streaming it")
	s.mcp.register(fs)
	return cmd
}

func (s *chatSession) run(ctx context.Context, g *globals, images, pos []string, asJSON, noStream bool) error {
	e := s.e
	switch s.reasoning {
	case "stderr", "stdout", "hide":
	default:
		return usagef("--reasoning must be stderr, stdout or hide, got %q", s.reasoning)
	}
	if err := s.sampling.check(); err != nil {
		return err
	}
	var err error
	if s.extra, err = s.sampling.apply(&vllm.SamplingParams{}); err != nil {
		return err
	}
	if err := checkOneChoice(s.extra, asJSON); err != nil {
		return err
	}
	for _, path := range images {
		part, err := imagePart(path)
		if err != nil {
			return usagef("--image %v", err)
		}
		s.images = append(s.images, part)
	}
	s.stream = !noStream && !asJSON
	s.think = newStyled(e.stderr, ansiDim)

	prompt := strings.Join(pos, " ")
	interactive := false
	if prompt == "" {
		// The line editor draws on stdout: a chat needs both ends on the
		// terminal. With stdout redirected, the prompt is read from the
		// terminal up to Ctrl-D, as from a pipe.
		if isTerminal(e.stdin) && isTerminal(e.stdout) && !asJSON {
			interactive = true
		} else {
			b, err := io.ReadAll(e.stdin)
			if err != nil {
				return fmt.Errorf("reading the prompt from stdin: %w", err)
			}
			prompt = strings.TrimSpace(string(b))
			if prompt == "" {
				return usagef("no prompt: give one as an argument or on stdin")
			}
		}
	}

	if s.c, err = g.client(); err != nil {
		return err
	}
	if s.model, err = g.resolveModel(ctx, s.c); err != nil {
		return err
	}
	if s.mcp.wanted() {
		if asJSON {
			return usagef("--json does not go with MCP tools (--mcp, --mcp-config)")
		}
		if err := s.connectMCP(ctx); err != nil {
			return err
		}
		defer s.toolset.Close()
	}
	if interactive {
		return s.repl(ctx)
	}
	if asJSON {
		resp, err := s.c.Chat.Create(ctx, s.request(s.userMessage(prompt)))
		if err != nil {
			return explain(s.c, "POST", baseRoute(s.c, "/chat/completions"), err)
		}
		fmt.Fprintln(e.stdout, strings.TrimSpace(string(resp.Raw)))
		return nil
	}
	_, err = s.turn(ctx, s.userMessage(prompt))
	return explain(s.c, "POST", baseRoute(s.c, "/chat/completions"), err)
}

// userMessage builds the user message for prompt, with the --image files
// attached to the first one.
func (s *chatSession) userMessage(prompt string) vllm.Message {
	if len(s.images) == 0 {
		return vllm.User(prompt)
	}
	parts := append([]vllm.ContentPart{vllm.TextPart(prompt)}, s.images...)
	s.images = nil
	return vllm.UserParts(parts...)
}

// request builds the request for the history plus msg.
func (s *chatSession) request(msg vllm.Message) *vllm.ChatRequest {
	msgs := make([]vllm.Message, 0, len(s.history)+2)
	if s.system != "" {
		msgs = append(msgs, vllm.System(s.system))
	}
	msgs = append(msgs, s.history...)
	msgs = append(msgs, msg)
	req := &vllm.ChatRequest{Model: s.model, Messages: msgs, Extra: s.extra}
	s.sampling.apply(&req.SamplingParams)
	return req
}

// turn sends msg with the history, prints the answer as it arrives, and
// appends the exchange to the history. On cancellation the partial answer is
// kept in the history (the exchange is dropped when nothing had arrived) and
// context.Canceled returned.
func (s *chatSession) turn(ctx context.Context, msg vllm.Message) (string, error) {
	if s.toolset != nil {
		return s.toolTurn(ctx, msg)
	}
	req := s.request(msg)
	out := &answerPrinter{s: s}
	var answer vllm.Message
	var err error
	if s.stream {
		answer, err = s.streamTurn(ctx, req, out)
	} else {
		var resp *vllm.ChatResponse
		resp, err = s.c.Chat.Create(ctx, req)
		if err == nil {
			out.reasoning(resp.Reasoning())
			out.content(resp.Text())
			for _, tc := range resp.ToolCalls() {
				out.toolCall(tc)
			}
			answer = resp.AssistantMessage()
		}
	}
	out.end()
	if err != nil && !errors.Is(err, context.Canceled) {
		return "", err
	}
	if answer.Role == "" {
		if out.text.Len() == 0 {
			return "", err // cancelled before any answer: the turn is dropped
		}
		answer = vllm.Assistant(out.text.String())
	}
	s.history = append(s.history, msg, answer)
	return out.text.String(), err
}

// answerPrinter prints reasoning and content as they arrive, keeping them
// apart: reasoning per --reasoning, content on stdout.
type answerPrinter struct {
	s           *chatSession
	text        strings.Builder
	inReasoning bool
	wroteAny    bool
	endsNL      bool
}

func (p *answerPrinter) reasoning(t string) {
	if t == "" || p.s.reasoning == "hide" {
		return
	}
	switch p.s.reasoning {
	case "stdout":
		if !p.inReasoning {
			io.WriteString(p.s.e.stdout, "<think>\n")
		}
		io.WriteString(p.s.e.stdout, t)
	default:
		if !p.inReasoning {
			p.s.think.begin()
			if !p.s.think.on {
				// Without the dim style (stderr redirected, or NO_COLOR),
				// marker lines keep reasoning and answer apart even when
				// both go to one file (2>&1).
				io.WriteString(p.s.e.stderr, "<think>\n")
			}
		}
		p.s.think.WriteString(t)
	}
	p.inReasoning = true
}

func (p *answerPrinter) closeReasoning() {
	if !p.inReasoning {
		return
	}
	p.inReasoning = false
	if p.s.reasoning == "stdout" {
		io.WriteString(p.s.e.stdout, "\n</think>\n")
	} else {
		p.s.think.end()
		io.WriteString(p.s.e.stderr, "\n")
		if !p.s.think.on {
			io.WriteString(p.s.e.stderr, "</think>\n")
		}
	}
}

func (p *answerPrinter) content(t string) {
	if t == "" {
		return
	}
	p.closeReasoning()
	p.text.WriteString(t)
	io.WriteString(p.s.e.stdout, t)
	p.wroteAny = true
	p.endsNL = strings.HasSuffix(t, "\n")
}

// toolCall shows a tool call the model made (tools come from --extra); the
// CLI does not run tools.
func (p *answerPrinter) toolCall(tc vllm.ToolCall) {
	p.closeReasoning()
	fmt.Fprintf(p.s.e.stderr, "[tool call %s(%s) id=%s]\n", tc.Name, tc.Arguments, tc.ID)
}

// breakLine ends the line of content shown so far, so that what follows
// (a tool call) starts a line.
func (p *answerPrinter) breakLine() {
	p.closeReasoning()
	if p.wroteAny && !p.endsNL {
		io.WriteString(p.s.e.stdout, "\n")
		p.endsNL = true
	}
}

func (p *answerPrinter) end() {
	p.closeReasoning()
	if p.wroteAny && !p.endsNL {
		io.WriteString(p.s.e.stdout, "\n")
	}
}

// save writes the conversation as {"model", "messages"} JSON and returns
// the number of messages written.
func (s *chatSession) save(path string) (int, error) {
	msgs := s.history
	if s.system != "" {
		msgs = append([]vllm.Message{vllm.System(s.system)}, msgs...)
	}
	b, err := json.MarshalIndent(map[string]any{"model": s.model, "messages": msgs}, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(msgs), os.WriteFile(path, append(b, '\n'), 0o644)
}
