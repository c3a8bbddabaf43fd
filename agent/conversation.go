package agent

import (
	"context"
	"sync"

	"github.com/vllmgo/vllm"
)

// Conversation keeps the history of a multi-turn chat: each Send appends the
// user's message and the model's answer, so the next turn sees everything
// said before. With an Agent set, each turn runs the tool-use loop and the
// history keeps the tool calls and results too.
//
// A Conversation is safe for concurrent use, but its turns are sequential:
// a Send waits for the one before it.
type Conversation struct {
	// Client sends the requests.
	Client *vllm.Client
	// Request is the template of every request: Model (required), sampling
	// settings, extra fields. Its Messages are ignored.
	Request vllm.ChatRequest
	// Agent, when set, answers each turn with its tool-use loop (its own
	// Request is used then, and this one ignored).
	Agent *Agent
	// KeepReasoning keeps the model's reasoning in the history, sent back
	// as "reasoning" (see ChatResponse.AssistantMessage).
	KeepReasoning bool

	mu       sync.Mutex
	messages []vllm.Message
}

// NewConversation returns a conversation with model, starting with the
// given system prompt when it is not empty.
func NewConversation(c *vllm.Client, model, system string) *Conversation {
	cv := &Conversation{Client: c, Request: vllm.ChatRequest{Model: model}}
	if system != "" {
		cv.messages = []vllm.Message{vllm.System(system)}
	}
	return cv
}

// Send adds a user message with text, sends the conversation, adds the
// answer to the history and returns the response. On failure the history is
// left as it was before the call.
func (cv *Conversation) Send(ctx context.Context, text string, opts ...vllm.Option) (*vllm.ChatResponse, error) {
	return cv.SendMessage(ctx, vllm.User(text), opts...)
}

// SendMessage is Send with any message (multi-part content, say).
func (cv *Conversation) SendMessage(ctx context.Context, m vllm.Message, opts ...vllm.Option) (*vllm.ChatResponse, error) {
	return cv.turn(ctx, m, opts, nil, false)
}

// Stream is Send with the answer streamed: onEvent receives each event as
// it arrives (nil ignores them), and the accumulated response is added to
// the history once the stream is complete. A stream that fails leaves the
// history as it was.
func (cv *Conversation) Stream(ctx context.Context, text string, onEvent func(vllm.ChatEvent), opts ...vllm.Option) (*vllm.ChatResponse, error) {
	return cv.turn(ctx, vllm.User(text), opts, onEvent, true)
}

// turn runs one turn: a request (or an agent run), streamed or not.
func (cv *Conversation) turn(ctx context.Context, m vllm.Message, opts []vllm.Option, onEvent func(vllm.ChatEvent), stream bool) (*vllm.ChatResponse, error) {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	history := append(cv.messages[:len(cv.messages):len(cv.messages)], m)
	if cv.Agent != nil {
		run := cv.Agent.Run
		if stream {
			run = func(ctx context.Context, msgs []vllm.Message) (*Result, error) {
				return cv.Agent.RunStream(ctx, msgs, onEvent)
			}
		}
		res, err := run(ctx, history)
		if err != nil {
			return nil, err
		}
		cv.messages = res.Messages
		return res.Response, nil
	}
	req := cv.Request
	req.Messages = history
	var resp *vllm.ChatResponse
	var err error
	if stream {
		resp, err = streamTurn(ctx, cv.Client, &req, opts, onEvent)
	} else {
		resp, err = cv.Client.Chat.Create(ctx, &req, opts...)
	}
	if err != nil {
		return nil, err
	}
	cv.appendAnswer(history, resp)
	return resp, nil
}

// appendAnswer makes history plus the response's message the conversation.
func (cv *Conversation) appendAnswer(history []vllm.Message, resp *vllm.ChatResponse) {
	msg := resp.AssistantMessage()
	if cv.KeepReasoning {
		msg.Reasoning = resp.Reasoning()
	}
	cv.messages = append(history, msg)
}

// Messages returns a copy of the history.
func (cv *Conversation) Messages() []vllm.Message {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	return append([]vllm.Message(nil), cv.messages...)
}

// Append adds messages to the history without sending anything (to replay
// a saved conversation, say).
func (cv *Conversation) Append(msgs ...vllm.Message) {
	cv.mu.Lock()
	cv.messages = append(cv.messages, msgs...)
	cv.mu.Unlock()
}

// Reset forgets the history except the leading system (or developer)
// message, if any.
func (cv *Conversation) Reset() {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	keep := 0
	if len(cv.messages) > 0 && (cv.messages[0].Role == vllm.RoleSystem || cv.messages[0].Role == vllm.RoleDeveloper) {
		keep = 1
	}
	cv.messages = append([]vllm.Message(nil), cv.messages[:keep]...)
}
