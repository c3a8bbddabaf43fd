package vllmmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/agent"
)

// Tools returns the tools of every server as agent tools, reading each
// server's tool list the first time and again after the server announced a
// change (notifications/tools/list_changed); call it before each agent run
// to offer the current tools. A tool keeps its name unless servers clash on
// it: then each of those is named "<server>__<tool>".
//
// The error names every server whose list cannot be read (it failed, timed
// out or exited) and every tool whose input schema vLLM would reject (not a
// JSON object, or not of type "object"); Options.Filter can leave such a
// tool out.
func (ts *Toolset) Tools(ctx context.Context) ([]agent.Tool, error) {
	type entry struct {
		s      *session
		t      *mcp.Tool
		params json.RawMessage
	}
	var all []entry
	var errs []error
	for _, s := range ts.servers {
		tools, err := ts.list(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range tools {
			if ts.filter != nil && !ts.filter(s.name, t) {
				continue
			}
			params, err := parameters(t)
			if err != nil {
				errs = append(errs, s.fail("schema", t.Name, err))
				continue
			}
			all = append(all, entry{s, t, params})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	count := map[string]int{}
	for _, e := range all {
		count[e.t.Name]++
	}
	owner := map[string]entry{}
	out := make([]agent.Tool, 0, len(all))
	for _, e := range all {
		name := e.t.Name
		if count[name] > 1 {
			name = e.s.name + "__" + name
		}
		if prev, ok := owner[name]; ok {
			return nil, e.s.fail("schema", e.t.Name, fmt.Errorf("the tool name %q is also the name of server %q's tool %q", name, prev.s.name, prev.t.Name))
		}
		owner[name] = e
		description := e.t.Description
		if description == "" {
			description = e.t.Title
		}
		def, err := vllm.NewTool(name, description, e.params)
		if err != nil {
			return nil, e.s.fail("schema", e.t.Name, err)
		}
		s, tool := e.s, e.t.Name
		out = append(out, agent.Tool{Def: def, Run: func(ctx context.Context, call vllm.ToolCall) (any, error) {
			return ts.call(ctx, s, tool, call.Arguments)
		}})
	}
	return out, nil
}

// list returns the server's tools, reading them when not read yet or
// announced changed.
func (ts *Toolset) list(ctx context.Context, s *session) ([]*mcp.Tool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.gone(); err != nil {
		return nil, s.fail("list tools", "", err)
	}
	if s.tools != nil && !s.stale.Load() {
		return s.tools, nil
	}
	s.stale.Store(false) // a change announced from now on is read next time
	rctx, cancel := ts.requestContext(ctx)
	defer cancel()
	tools := []*mcp.Tool{}
	for t, err := range s.cs.Tools(rctx, nil) {
		if err != nil {
			s.stale.Store(true)
			return nil, s.fail("list tools", "", ts.requestError(ctx, rctx, s, err))
		}
		if t == nil {
			s.stale.Store(true)
			return nil, s.fail("list tools", "", errors.New("the list holds a null tool"))
		}
		tools = append(tools, t)
	}
	s.tools = tools
	return tools, nil
}

// requestError explains a failed request: the caller's cancellation, the
// Toolset's timeout, the server having exited, or err itself.
func (ts *Toolset) requestError(ctx, rctx context.Context, s *session, err error) error {
	if ctx.Err() != nil || rctx.Err() != nil {
		return ts.explain(ctx, rctx, err)
	}
	if errors.Is(err, mcp.ErrConnectionClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The session is ending: wait for its end (it has come, or comes
		// now that the connection is closed) to say why.
		select {
		case <-s.exited:
			if g := s.gone(); g != nil {
				return g
			}
		case <-rctx.Done():
		}
	}
	return err
}

// call runs one tools/call and returns the result's text for the model, or
// the error the model is told.
func (ts *Toolset) call(ctx context.Context, s *session, tool, arguments string) (string, error) {
	if err := s.gone(); err != nil {
		return "", &Error{Server: s.name, Tool: tool, Op: "call", Err: err}
	}
	args, err := objectArguments(arguments)
	if err != nil {
		return "", &Error{Server: s.name, Tool: tool, Op: "arguments", Err: err}
	}
	rctx, cancel := ts.requestContext(ctx)
	defer cancel()
	res, err := s.cs.CallTool(rctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		// No Stderr here: the message goes to the model.
		return "", &Error{Server: s.name, Tool: tool, Op: "call", Err: ts.requestError(ctx, rctx, s, err)}
	}
	text, err := resultText(res)
	if err != nil {
		return "", &Error{Server: s.name, Tool: tool, Op: "result", Err: err}
	}
	if res.IsError {
		if text == "" {
			text = "the tool reported an error without a message"
		}
		return "", &Error{Server: s.name, Tool: tool, Op: "tool error", Err: errors.New(text)}
	}
	return text, nil
}

// objectArguments returns the model's arguments as a JSON object ("" is
// {}), or an error saying why they are not one.
func objectArguments(arguments string) (json.RawMessage, error) {
	raw := bytes.TrimSpace([]byte(arguments))
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("the arguments are not valid JSON: %.200s", raw)
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("the arguments are not a JSON object: %.200s", raw)
	}
	return json.RawMessage(raw), nil
}
