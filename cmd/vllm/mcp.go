package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/reeflective/readline"
	"github.com/spf13/pflag"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
	vllmmcp "github.com/vllmgo/vllm/mcp"
)

// mcpFlags are the chat's flags that give the model the tools of MCP
// servers.
type mcpFlags struct {
	commands []string // --mcp "command args", one server each
	config   string   // --mcp-config FILE
	yes      bool     // run calls without asking
}

func (f *mcpFlags) register(fs *pflag.FlagSet) {
	fs.Var(listFlag{&f.commands}, "mcp", `give the model the tools of the MCP server this command line starts (repeatable), e.g. --mcp "npx -y @modelcontextprotocol/server-filesystem /tmp"`)
	fs.StringVar(&f.config, "mcp-config", "", `JSON file of MCP servers in the common {"mcpServers": {...}} shape (command/args/env, or url/headers)`)
	fs.BoolVarP(&f.yes, "yes", "y", false, "run the model's MCP tool calls without asking first")
}

// wanted reports whether any MCP server is given.
func (f *mcpFlags) wanted() bool { return len(f.commands) > 0 || f.config != "" }

// servers returns the servers of --mcp-config, then those of --mcp.
func (f *mcpFlags) servers() ([]vllmmcp.Server, error) {
	var servers []vllmmcp.Server
	taken := map[string]bool{}
	if f.config != "" {
		b, err := os.ReadFile(f.config)
		if err != nil {
			return nil, usagef("--mcp-config: %v", err)
		}
		if servers, err = vllmmcp.ParseConfig(b); err != nil {
			return nil, usagef("--mcp-config %s: %s", f.config, strings.TrimPrefix(err.Error(), "vllmmcp: config: "))
		}
		for _, s := range servers {
			taken[s.Name] = true
		}
	}
	for _, line := range f.commands {
		argv, err := splitCommandLine(line)
		if err != nil {
			return nil, usagef("--mcp %q: %v", line, err)
		}
		if len(argv) == 0 {
			return nil, usagef("--mcp needs a command line")
		}
		name := serverNameFor(argv[0], taken)
		taken[name] = true
		servers = append(servers, vllmmcp.Server{Name: name, Transport: &mcp.CommandTransport{Command: exec.Command(argv[0], argv[1:]...)}})
	}
	return servers, nil
}

var notNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// serverNameFor names the server a --mcp command starts: the command's base
// name (letters, digits, '_' and '-'), numbered when taken.
func serverNameFor(command string, taken map[string]bool) string {
	base := strings.Trim(notNameChars.ReplaceAllString(strings.TrimSuffix(filepath.Base(command), filepath.Ext(command)), "-"), "-")
	if base == "" {
		base = "mcp"
	}
	name := base
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// splitCommandLine splits a command line as a POSIX shell does for words:
// spaces separate, '…' quotes literally, "…" quotes with \ escaping " \ $ `,
// and \ outside quotes escapes the next character. Nothing is expanded.
func splitCommandLine(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New(`unterminated " quote`)
			}
			inWord = true
		case c == '\\':
			if i+1 == len(line) {
				return nil, errors.New(`a \ at the end`)
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// connectMCP starts the MCP servers and keeps the toolset in the session;
// the caller closes it. Calls are confirmed on the terminal unless --yes.
func (s *chatSession) connectMCP(ctx context.Context) error {
	if !s.mcp.yes && !isTerminal(s.e.stdin) {
		return usagef("MCP tool calls are confirmed on the terminal: run on one, or pass --yes")
	}
	servers, err := s.mcp.servers()
	if err != nil {
		return err
	}
	for _, srv := range servers {
		if ct, ok := srv.Transport.(*mcp.CommandTransport); ok {
			detachFromTerminal(ct.Command)
		}
	}
	ts, err := vllmmcp.Connect(ctx, servers, nil)
	if err != nil {
		return err
	}
	tools, err := ts.Tools(ctx)
	if err != nil {
		ts.Close()
		return err
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Def.Function.Name
	}
	fmt.Fprintf(s.e.stderr, "[MCP tools: %s]\n", strings.Join(names, ", "))
	s.toolset = ts
	return nil
}

// toolTurn is turn with the MCP tools: the agent loop runs the model's
// calls (each shown, and confirmed unless --yes) until the model answers.
// Ctrl-C, while a call runs or is being confirmed, ends the turn; the
// turn's messages are then not kept.
func (s *chatSession) toolTurn(ctx context.Context, msg vllm.Message) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tools, err := s.toolset.Tools(ctx) // the servers may have changed their lists
	if err != nil {
		return "", err
	}
	out := &answerPrinter{s: s}
	for i := range tools {
		tools[i] = s.shownTool(tools[i], out, cancel)
	}
	req := s.request(msg)
	a := agent.New(s.c, s.model, tools...)
	a.Request = *req
	var res *agent.Result
	if s.stream {
		res, err = a.RunStream(ctx, req.Messages, func(ev vllm.ChatEvent) {
			switch ev.Type {
			case vllm.EventReasoning:
				out.reasoning(ev.Text)
			case vllm.EventContent:
				out.content(ev.Text)
			}
		})
	} else if res, err = a.Run(ctx, req.Messages); err == nil {
		out.reasoning(res.Response.Reasoning())
		out.content(res.Text())
	}
	out.end()
	system := len(req.Messages) - len(s.history) - 1
	var limit *agent.RoundLimitError
	switch {
	case ctx.Err() != nil:
		return out.text.String(), context.Canceled
	case errors.As(err, &limit):
		s.history = limit.Messages[system:]
		return out.text.String(), fmt.Errorf("the model still called tools after %d rounds; send a message to let it go on", limit.Limit)
	case err != nil:
		return "", err
	}
	s.history = res.Messages[system:]
	return out.text.String(), nil
}

// shownTool wraps t: each call is shown on stderr, confirmed unless --yes,
// and its result shown in one line. Ctrl-C at the confirmation calls
// cancel.
func (s *chatSession) shownTool(t agent.Tool, out *answerPrinter, cancel context.CancelFunc) agent.Tool {
	run := t.Run
	t.Run = func(ctx context.Context, call vllm.ToolCall) (any, error) {
		out.breakLine()
		fmt.Fprintf(s.e.stderr, "[tool %s %s]\n", call.Name, compact(call.Arguments))
		if !s.mcp.yes {
			ok, err := s.confirm(call.Name)
			if err != nil {
				cancel()
				return nil, err
			}
			if !ok {
				fmt.Fprintln(s.e.stderr, "[not run]")
				return nil, errors.New("the user did not allow this call")
			}
		}
		result, err := run(ctx, call)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			fmt.Fprintf(s.e.stderr, "[tool error: %s]\n", compact(err.Error()))
		default:
			text, _ := result.(string)
			fmt.Fprintf(s.e.stderr, "[result: %s]\n", compact(text))
		}
		return result, err
	}
	return t
}

// confirm asks on the terminal whether to run a call: y or yes runs it;
// anything else (or Ctrl-D) does not; Ctrl-C is context.Canceled.
func (s *chatSession) confirm(name string) (bool, error) {
	rl := readline.NewShell()
	rl.Prompt.Primary(func() string { return "run " + name + "? [y/N] " })
	_ = rl.Config.Set("cursor-position-probe", false)
	answer, err := rl.Readline()
	switch {
	case errors.Is(err, readline.ErrInterrupt):
		return false, context.Canceled
	case errors.Is(err, io.EOF):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading the terminal: %w", err)
	}
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}

// compact is text on one line, cut to 200 characters.
func compact(text string) string {
	text = oneLine(text)
	if r := []rune(text); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return text
}
