// Package agent runs the tool-use loop of a chat model on a vllm.Client: it
// sends the conversation with the tools, runs the tools the model calls,
// sends their results back and repeats until the model answers. Conversation
// keeps the history of a multi-turn chat, with or without an Agent.
//
// The package uses only the public API of package vllm.
package agent

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/vllmgo/vllm"
)

// DefaultMaxRounds is the round limit of an Agent whose MaxRounds is not set.
const DefaultMaxRounds = 10

// Tool is a tool an Agent can run: its definition, sent to the model,
// and the Go function that answers a call of it.
type Tool struct {
	// Def is the tool's definition (name, description, parameters schema).
	Def vllm.Tool
	// Run answers a call. Its result is sent to the model as the tool
	// message's content: a string as it is, anything else as JSON. An error
	// is sent as "error: <message>", for the model to read and react to.
	Run func(ctx context.Context, call vllm.ToolCall) (any, error)
}

// Func makes a Tool of a Go function whose arguments are a struct (or
// map) type: the parameters schema is derived from Args (see JSONSchemaFor:
// json tags name the fields, `description:"…"` and `enum:"…"` tags add to
// them), and each call's arguments are decoded into an Args before fn runs.
// Arguments that do not decode are reported to the model as a tool error.
func Func[Args, Out any](name, description string, fn func(ctx context.Context, args Args) (Out, error)) (Tool, error) {
	def, err := vllm.ToolFor[Args](name, description)
	if err != nil {
		return Tool{}, err
	}
	if fn == nil {
		return Tool{}, missing("tools[" + name + "] function")
	}
	return Tool{Def: def, Run: func(ctx context.Context, call vllm.ToolCall) (any, error) {
		var args Args
		if err := call.DecodeArguments(&args); err != nil {
			return nil, err
		}
		return fn(ctx, args)
	}}, nil
}

// MustFunc is Func panicking on error, for tools declared at package level.
func MustFunc[Args, Out any](name, description string, fn func(ctx context.Context, args Args) (Out, error)) Tool {
	t, err := Func(name, description, fn)
	if err != nil {
		panic(err)
	}
	return t
}

// Agent runs the tool-use loop: it sends the conversation with its tools,
// runs the tools the model calls, appends their results and sends again,
// until the model answers without calling a tool or MaxRounds model calls
// have been made.
//
// An Agent is safe for concurrent use once configured: each Run keeps its
// own history.
type Agent struct {
	// Client sends the requests.
	Client *vllm.Client
	// Request is the template of every request: Model (required), sampling
	// settings, tool choice, extra fields. Its Messages are ignored (Run
	// takes the conversation); its Tools are sent along with the agent's.
	Request vllm.ChatRequest
	// Tools are the tools the agent runs.
	Tools []Tool
	// MaxRounds is the number of model calls after which Run gives up with
	// a *RoundLimitError (default DefaultMaxRounds).
	MaxRounds int
	// Parallel runs the calls of one model turn concurrently; their
	// results are appended in the order of the calls either way.
	Parallel bool
	// KeepReasoning sends the model's reasoning back in the history, as
	// "reasoning" (see ChatResponse.AssistantMessage).
	KeepReasoning bool
	// OnToolResult, when set, is called after each tool call ran (from the
	// goroutine that ran it when Parallel is set).
	OnToolResult func(call vllm.ToolCall, result string, err error)
	// RequestOptions apply to every request the agent sends.
	RequestOptions []vllm.Option
}

// New returns an Agent for model with the given tools.
func New(c *vllm.Client, model string, tools ...Tool) *Agent {
	return &Agent{Client: c, Request: vllm.ChatRequest{Model: model}, Tools: tools}
}

// Result is the outcome of an agent run.
type Result struct {
	// Response is the model's final response.
	Response *vllm.ChatResponse
	// Messages is the whole conversation: the input, every assistant turn,
	// every tool result, and the final answer.
	Messages []vllm.Message
	// Rounds is the number of model calls made; ToolCalls the number of
	// tool calls run.
	Rounds, ToolCalls int
}

// Text returns the final answer's text (see vllm.ChatResponse.Text).
func (r *Result) Text() string { return r.Response.Text() }

// RoundLimitError is an agent run that reached its round limit while the
// model still called tools. Messages is the conversation so far (the last
// tool results included): pass it to Run again to go on.
type RoundLimitError struct {
	// Limit is the round limit that was reached (Agent.MaxRounds).
	Limit int
	// Messages is the conversation so far.
	Messages []vllm.Message
}

// Error names the limit.
func (e *RoundLimitError) Error() string {
	rounds := " rounds"
	if e.Limit == 1 {
		rounds = " round"
	}
	return "agent: stopped after " + strconv.Itoa(e.Limit) + rounds + " (MaxRounds " + strconv.Itoa(e.Limit) +
		") while the model still called tools"
}

// Run runs the loop on the conversation messages (left unmodified) and returns
// the final answer with the whole conversation. A failed request ends the run
// with its error; a failing tool does not (its error goes to the model).
func (a *Agent) Run(ctx context.Context, messages []vllm.Message) (*Result, error) {
	return a.run(ctx, messages, func(ctx context.Context, req *vllm.ChatRequest) (*vllm.ChatResponse, error) {
		return a.Client.Chat.Create(ctx, req, a.RequestOptions...)
	})
}

// run is the loop, with send making one model call.
func (a *Agent) run(ctx context.Context, messages []vllm.Message, send func(context.Context, *vllm.ChatRequest) (*vllm.ChatResponse, error)) (*Result, error) {
	if a.Client == nil {
		return nil, missing("agent client")
	}
	byName, err := a.toolIndex()
	if err != nil {
		return nil, err
	}
	limit := a.MaxRounds
	if limit <= 0 {
		limit = DefaultMaxRounds
	}
	req := a.Request
	req.Tools = make([]vllm.Tool, 0, len(a.Request.Tools)+len(a.Tools))
	req.Tools = append(req.Tools, a.Request.Tools...)
	for _, t := range a.Tools {
		req.Tools = append(req.Tools, t.Def)
	}
	res := &Result{Messages: append([]vllm.Message(nil), messages...)}
	for res.Rounds < limit {
		req.Messages = res.Messages
		resp, err := send(ctx, &req)
		if err != nil {
			return nil, err
		}
		res.Rounds++
		msg := resp.AssistantMessage()
		if a.KeepReasoning {
			msg.Reasoning = resp.Reasoning()
		}
		res.Messages = append(res.Messages, msg)
		calls := resp.ToolCalls()
		if len(calls) == 0 {
			res.Response = resp
			return res, nil
		}
		results, err := a.runTools(ctx, byName, calls)
		if err != nil {
			return nil, err
		}
		res.ToolCalls += len(calls)
		res.Messages = append(res.Messages, results...)
	}
	return nil, &RoundLimitError{Limit: limit, Messages: res.Messages}
}

// toolIndex maps tool names to tools, rejecting unnamed or duplicate tools.
func (a *Agent) toolIndex() (map[string]*Tool, error) {
	byName := make(map[string]*Tool, len(a.Tools))
	for i := range a.Tools {
		t := &a.Tools[i]
		name := t.Def.Function.Name
		switch {
		case name == "":
			return nil, missing("tools[" + strconv.Itoa(i) + "].function.name")
		case t.Run == nil:
			return nil, missing("tools[" + name + "] function")
		case byName[name] != nil:
			return nil, invalid("tools["+strconv.Itoa(i)+"].function.name", "%q is given twice", name)
		}
		byName[name] = t
	}
	return byName, nil
}

// runTools runs the calls of one model turn and returns their tool messages
// in call order. It fails only when ctx ends.
func (a *Agent) runTools(ctx context.Context, byName map[string]*Tool, calls []vllm.ToolCall) ([]vllm.Message, error) {
	out := make([]vllm.Message, len(calls))
	one := func(i int) {
		out[i] = a.runTool(ctx, byName, calls[i])
	}
	if a.Parallel && len(calls) > 1 {
		var wg sync.WaitGroup
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				one(i)
			}()
		}
		wg.Wait()
	} else {
		for i := range calls {
			if ctx.Err() != nil {
				break
			}
			one(i)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return out, nil
}

// runTool runs one call and returns its tool message: the result, or the
// error (unknown tool, bad arguments, the tool's error, a panic) as text.
func (a *Agent) runTool(ctx context.Context, byName map[string]*Tool, call vllm.ToolCall) vllm.Message {
	result, err := func() (result any, err error) {
		t := byName[call.Name]
		if t == nil {
			return nil, fmt.Errorf("unknown tool %q", call.Name)
		}
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("tool %q panicked: %v", call.Name, p)
			}
		}()
		return t.Run(ctx, call)
	}()
	id := call.ID
	if id == "" {
		id = "call-" + call.Name // a server that sent no id; the message still needs one
	}
	var msg vllm.Message
	if err != nil {
		msg, _ = vllm.ToolResult(id, err)
	} else if msg, err = vllm.ToolResult(id, result); err != nil {
		msg, _ = vllm.ToolResult(id, err)
	}
	if a.OnToolResult != nil {
		a.OnToolResult(call, msg.Content, err)
	}
	return msg
}

// RunStream is Run with every model call streamed (Chat.Stream): onEvent
// receives each event of each round as it arrives — content, reasoning,
// tool-call deltas and the assembled calls, usage, the end of each round
// (EventDone) — while the loop runs the tools between rounds as Run does.
// onEvent runs on the calling goroutine; nil ignores the events.
func (a *Agent) RunStream(ctx context.Context, messages []vllm.Message, onEvent func(vllm.ChatEvent)) (*Result, error) {
	return a.run(ctx, messages, func(ctx context.Context, req *vllm.ChatRequest) (*vllm.ChatResponse, error) {
		return streamTurn(ctx, a.Client, req, a.RequestOptions, onEvent)
	})
}

// streamTurn streams one model call, forwarding its events, and returns
// the accumulated response.
func streamTurn(ctx context.Context, c *vllm.Client, req *vllm.ChatRequest, opts []vllm.Option, onEvent func(vllm.ChatEvent)) (*vllm.ChatResponse, error) {
	s, err := c.Chat.Stream(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for s.Next() {
		if onEvent != nil {
			onEvent(s.Event())
		}
	}
	resp, err := s.Collect()
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// missing and invalid report a bad Agent or Tool field the way package vllm
// reports bad request fields.
func missing(field string) error {
	return &vllm.ParamError{Field: field, Reason: "is required", Missing: true}
}

func invalid(field, format string, args ...any) error {
	return &vllm.ParamError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
