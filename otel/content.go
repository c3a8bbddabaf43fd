package vllmotel

import (
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"
)

// The message format of gen_ai.input.messages and gen_ai.output.messages:
// a role and parts (text, reasoning, tool call, tool call response, or a
// part of another type, recorded by its type only: images and audio are
// not copied into spans).
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

type part struct {
	Type      string          `json:"type"`
	Content   *string         `json:"content,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Response  *string         `json:"response,omitempty"`
}

func textPart(typ, s string) part { return part{Type: typ, Content: &s} }

// wireMessage is a chat message as sent and received.
type wireMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Reasoning  *string         `json:"reasoning"`
	ToolCallID string          `json:"tool_call_id"`
	ToolCalls  []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// contentParts reads a message content: a string, or a list of parts.
func contentParts(raw json.RawMessage) []part {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []part{textPart("text", s)}
	}
	var list []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := make([]part, 0, len(list))
	for _, p := range list {
		switch p.Type {
		case "text", "input_text", "output_text", "reasoning_text":
			out = append(out, textPart("text", p.Text))
		default:
			out = append(out, part{Type: p.Type})
		}
	}
	return out
}

// toolArguments keeps tool-call arguments as JSON when they are JSON, as a
// JSON string otherwise.
func toolArguments(args string) json.RawMessage {
	if json.Valid([]byte(args)) {
		return json.RawMessage(args)
	}
	b, _ := json.Marshal(args)
	return b
}

// convert turns a chat message into the conventions' format.
func (m *wireMessage) convert() message {
	out := message{Role: m.Role}
	if m.Role == "tool" {
		text := ""
		for _, p := range contentParts(m.Content) {
			if p.Content != nil {
				text += *p.Content
			}
		}
		out.Parts = []part{{Type: "tool_call_response", ID: m.ToolCallID, Response: &text}}
		return out
	}
	if m.Reasoning != nil && *m.Reasoning != "" {
		out.Parts = append(out.Parts, textPart("reasoning", *m.Reasoning))
	}
	out.Parts = append(out.Parts, contentParts(m.Content)...)
	for _, tc := range m.ToolCalls {
		out.Parts = append(out.Parts, part{Type: "tool_call", ID: tc.ID, Name: tc.Function.Name, Arguments: toolArguments(tc.Function.Arguments)})
	}
	if out.Parts == nil {
		out.Parts = []part{}
	}
	return out
}

// contentAttrs returns gen_ai.input.messages and gen_ai.system_instructions
// for a request.
func contentAttrs(r *requestBody) []attribute.KeyValue {
	var msgs []message
	switch {
	case len(r.Messages) > 0:
		var wire []wireMessage
		if json.Unmarshal(r.Messages, &wire) != nil {
			return nil
		}
		for i := range wire {
			msgs = append(msgs, wire[i].convert())
		}
	case len(r.Prompt) > 0:
		for _, p := range stringOrList(r.Prompt) {
			msgs = append(msgs, message{Role: "user", Parts: []part{textPart("text", p)}})
		}
	case len(r.Input) > 0:
		msgs = responsesInput(r.Input)
	}
	var attrs []attribute.KeyValue
	if msgs != nil {
		b, _ := json.Marshal(msgs)
		attrs = append(attrs, attrInputMessages.String(string(b)))
	}
	if r.Instructions != "" {
		b, _ := json.Marshal([]part{textPart("text", r.Instructions)})
		attrs = append(attrs, attrSystemInstr.String(string(b)))
	}
	return attrs
}

// responsesInput reads the Responses API's input: a string, or a list of
// items (messages, function calls and their outputs).
func responsesInput(raw json.RawMessage) []message {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []message{{Role: "user", Parts: []part{textPart("text", s)}}}
	}
	var items []struct {
		Type      string          `json:"type"`
		Role      string          `json:"role"`
		Content   json.RawMessage `json:"content"`
		CallID    string          `json:"call_id"`
		Name      string          `json:"name"`
		Arguments string          `json:"arguments"`
		Output    string          `json:"output"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []message
	for _, it := range items {
		switch it.Type {
		case "function_call":
			out = append(out, message{Role: "assistant", Parts: []part{{Type: "tool_call", ID: it.CallID, Name: it.Name, Arguments: toolArguments(it.Arguments)}}})
		case "function_call_output":
			o := it.Output
			out = append(out, message{Role: "tool", Parts: []part{{Type: "tool_call_response", ID: it.CallID, Response: &o}}})
		default:
			if it.Role != "" {
				parts := contentParts(it.Content)
				if parts == nil {
					parts = []part{}
				}
				out = append(out, message{Role: it.Role, Parts: parts})
			}
		}
	}
	return out
}

// outputMessages returns gen_ai.output.messages for a non-streaming
// response body (chat, completion or Responses API), or "".
func outputMessages(body []byte) string {
	var r struct {
		Choices []struct {
			Message      *wireMessage `json:"message"`
			Text         *string      `json:"text"`
			FinishReason string       `json:"finish_reason"`
		} `json:"choices"`
		Output []struct {
			Type      string          `json:"type"`
			Content   json.RawMessage `json:"content"`
			CallID    string          `json:"call_id"`
			Name      string          `json:"name"`
			Arguments string          `json:"arguments"`
		} `json:"output"`
		Status string `json:"status"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	var msgs []message
	for _, c := range r.Choices {
		var m message
		switch {
		case c.Message != nil:
			m = c.Message.convert()
		case c.Text != nil:
			m = message{Role: "assistant", Parts: []part{textPart("text", *c.Text)}}
		default:
			continue
		}
		m.FinishReason = c.FinishReason
		msgs = append(msgs, m)
	}
	if len(r.Output) > 0 {
		m := message{Role: "assistant", Parts: []part{}}
		for _, it := range r.Output {
			switch it.Type {
			case "message":
				m.Parts = append(m.Parts, contentParts(it.Content)...)
			case "reasoning":
				for _, p := range contentParts(it.Content) {
					if p.Content != nil {
						m.Parts = append(m.Parts, textPart("reasoning", *p.Content))
					}
				}
			case "function_call":
				m.Parts = append(m.Parts, part{Type: "tool_call", ID: it.CallID, Name: it.Name, Arguments: toolArguments(it.Arguments)})
			}
		}
		msgs = append(msgs, m)
	}
	if msgs == nil {
		return ""
	}
	b, _ := json.Marshal(msgs)
	return string(b)
}
