package vllm

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// ResponsesService calls the Responses API (/v1/responses), which vLLM
// serves since v0.10: create (optionally streamed), retrieve and cancel.
// Use it through Client.Responses.
type ResponsesService struct{ c *Client }

// ResponseRequest is a request to POST /v1/responses.
type ResponseRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Input is a string or a list of items ([]ResponseInputItem, or maps
	// for item types not typed here). Required.
	Input any `json:"input"`
	// Instructions is a system message placed before Input.
	Instructions string `json:"instructions,omitempty"`

	MaxOutputTokens   *int               `json:"max_output_tokens,omitempty"`   // limit of generated tokens, reasoning included
	Temperature       *float64           `json:"temperature,omitempty"`         // sampling temperature; 0 is greedy
	TopP              *float64           `json:"top_p,omitempty"`               // nucleus sampling mass, in (0, 1]
	Tools             []ResponseTool     `json:"tools,omitempty"`               // tools the model may call (see ResponseFunctionTool)
	ToolChoice        any                `json:"tool_choice,omitempty"`         // "auto", "none", "required" or {"type":"function","name":…}
	ParallelToolCalls *bool              `json:"parallel_tool_calls,omitempty"` // allow several tool calls in one turn
	Reasoning         *ResponseReasoning `json:"reasoning,omitempty"`           // reasoning effort and summary, for reasoning models
	// Text sets the output format, e.g. a JSON schema.
	Text *ResponseTextConfig `json:"text,omitempty"`
	// PreviousResponseID continues a stored response's conversation.
	PreviousResponseID string `json:"previous_response_id,omitempty"`
	// Store keeps the response for Get (vLLM needs
	// VLLM_ENABLE_RESPONSES_API_STORE=1 for it).
	Store      *bool             `json:"store,omitempty"`
	Background *bool             `json:"background,omitempty"` // run in the background (poll with Get, stop with Cancel)
	Include    []string          `json:"include,omitzero"`     // extra output to include, e.g. "reasoning.encrypted_content"
	User       string            `json:"user,omitempty"`       // end-user id
	Metadata   map[string]string `json:"metadata,omitempty"`   // key/value pairs stored with the response
	RequestID  string            `json:"request_id,omitempty"` // the request id vLLM uses internally (request_id in the body)

	// Extra holds further top-level fields (vLLM's sampling extensions such
	// as top_k); a key naming a typed field replaces it.
	Extra map[string]any `json:"-"`
}

// responseWire adds the stream flag.
type responseWire struct {
	*ResponseRequest
	Stream bool `json:"stream,omitempty"`
}

// ResponseInputItem is one item of a Responses input list.
type ResponseInputItem struct {
	// Type is "message", "function_call" or "function_call_output".
	Type string `json:"type"`
	// Role and Content for a message ("user", "system", "developer",
	// "assistant"); Content is a string or a list of content parts.
	Role    string `json:"role,omitempty"`
	Content any    `json:"content,omitempty"` // a string or a list of content parts (message)
	// ID, CallID, Name and Arguments for a function call the model made.
	ID        string `json:"id,omitempty"`
	CallID    string `json:"call_id,omitempty"`   // the call's id (function_call, function_call_output)
	Name      string `json:"name,omitempty"`      // the function's name (function_call)
	Arguments string `json:"arguments,omitempty"` // the arguments, JSON text (function_call)
	// Output is a function call's result (function_call_output).
	Output *string `json:"output,omitempty"`
}

// ResponseMessage is an input message of the given role.
func ResponseMessage(role, text string) ResponseInputItem {
	return ResponseInputItem{Type: "message", Role: role, Content: text}
}

// FunctionCallOutput is the result of the function call callID, to send
// back after the model called it.
func FunctionCallOutput(callID, output string) ResponseInputItem {
	return ResponseInputItem{Type: "function_call_output", CallID: callID, Output: &output}
}

// ResponseTool is a function tool in the Responses API's flat form.
type ResponseTool struct {
	Type        string          `json:"type"`                  // "function"
	Name        string          `json:"name"`                  // the name the model calls
	Description string          `json:"description,omitempty"` // what the function does, for the model
	Parameters  json.RawMessage `json:"parameters,omitempty"`  // the JSON schema of the arguments object
	Strict      *bool           `json:"strict,omitempty"`      // ask for arguments that follow the schema exactly
}

// ResponseFunctionTool converts a chat-style Tool to the Responses form.
func ResponseFunctionTool(t Tool) ResponseTool {
	return ResponseTool{Type: "function", Name: t.Function.Name, Description: t.Function.Description,
		Parameters: t.Function.Parameters, Strict: t.Function.Strict}
}

// ResponseReasoning configures reasoning models.
type ResponseReasoning struct {
	// Effort is "low", "medium" or "high".
	Effort string `json:"effort,omitempty"`
	// Summary is "auto", "concise" or "detailed".
	Summary string `json:"summary,omitempty"`
}

// ResponseTextConfig is the "text" setting: the output format.
type ResponseTextConfig struct {
	Format *ResponseTextFormat `json:"format,omitempty"` // the output format; nil sends nothing (plain text)
}

// ResponseTextFormat is {"type":"text"}, {"type":"json_object"} or
// {"type":"json_schema","name",…,"schema":…}.
type ResponseTextFormat struct {
	Type        string          `json:"type"`                  // "text", "json_object" or "json_schema"
	Name        string          `json:"name,omitempty"`        // the schema's name (json_schema)
	Description string          `json:"description,omitempty"` // what the output is (json_schema)
	Schema      json.RawMessage `json:"schema,omitempty"`      // the JSON schema (json_schema; see JSONSchemaFor)
	Strict      *bool           `json:"strict,omitempty"`      // follow the schema exactly (json_schema)
}

// validate checks the request and returns a *ParamError naming the first
// offending field.
func (r *ResponseRequest) validate() error {
	if r == nil {
		return missing("request")
	}
	switch in := r.Input.(type) {
	case nil:
		return missing("input")
	case string:
		if in == "" {
			return missing("input")
		}
	case []ResponseInputItem:
		if len(in) == 0 {
			return missing("input")
		}
		for i, it := range in {
			if it.Type == "function_call_output" && it.CallID == "" {
				return missing("input[" + strconv.Itoa(i) + "].call_id")
			}
		}
	}
	for i, t := range r.Tools {
		if t.Type == "function" && t.Name == "" {
			return missing("tools[" + strconv.Itoa(i) + "].name")
		}
	}
	return nil
}

// Response is a Responses API response object.
type Response struct {
	ID        string         `json:"id"`         // "resp_…"
	Object    string         `json:"object"`     // "response"
	CreatedAt int64          `json:"created_at"` // Unix seconds
	Model     string         `json:"model"`      // the model that answered
	Status    string         `json:"status"`     // "completed", "incomplete", "in_progress", "queued", "cancelled" or "failed"
	Output    []ResponseItem `json:"output"`     // the output items: messages, reasoning, function calls
	Usage     *ResponseUsage `json:"usage"`      // token counts
	// Error and IncompleteDetails are kept raw (null when absent).
	Error             json.RawMessage `json:"error,omitempty"`
	IncompleteDetails json.RawMessage `json:"incomplete_details,omitempty"` // why the response is incomplete, raw (null when it is not)
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *Response) setRaw(b json.RawMessage) { r.Raw = b }

// ResponseItem is one output item: a "message", a "reasoning" item or a
// "function_call".
type ResponseItem struct {
	Type   string `json:"type"`             // "message", "reasoning" or "function_call"
	ID     string `json:"id"`               // the item's id
	Status string `json:"status,omitempty"` // "completed", "in_progress" or "incomplete"
	// Role and Content for a message; Content for reasoning text too.
	Role    string            `json:"role,omitempty"`
	Content []ResponseContent `json:"content,omitempty"` // the parts of a message, or of reasoning text
	// Summary for a reasoning item.
	Summary []ResponseContent `json:"summary,omitempty"`
	// CallID, Name and Arguments (JSON text) for a function call.
	CallID    string `json:"call_id,omitempty"`
	Name      string `json:"name,omitempty"`      // a function call's function name
	Arguments string `json:"arguments,omitempty"` // a function call's arguments (JSON text)
}

// DecodeArguments decodes a function call's arguments into v.
func (it *ResponseItem) DecodeArguments(v any) error {
	return ToolCall{ID: it.CallID, Type: "function", Name: it.Name, Arguments: it.Arguments}.DecodeArguments(v)
}

// ResponseContent is one content part: "output_text", "reasoning_text" or
// "summary_text".
type ResponseContent struct {
	Type        string          `json:"type"`                  // "output_text", "reasoning_text" or "summary_text"
	Text        string          `json:"text"`                  // the text
	Annotations json.RawMessage `json:"annotations,omitempty"` // annotations of output_text, raw
	Logprobs    json.RawMessage `json:"logprobs,omitempty"`    // log probabilities of output_text, raw, when requested
}

// ResponseUsage is the token accounting of a response.
type ResponseUsage struct {
	InputTokens  int `json:"input_tokens"`  // tokens of the input
	OutputTokens int `json:"output_tokens"` // tokens generated, reasoning included
	TotalTokens  int `json:"total_tokens"`  // input plus output
	// InputTokensDetails is the breakdown of InputTokens.
	InputTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"` // input tokens served from the prefix cache
	} `json:"input_tokens_details,omitempty"`
	// OutputTokensDetails is the breakdown of OutputTokens.
	OutputTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"` // output tokens spent reasoning
	} `json:"output_tokens_details,omitempty"`
}

// chatUsage returns u in the shape of the chat and completion APIs.
func (u *ResponseUsage) chatUsage() *Usage {
	out := &Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
	if d := u.InputTokensDetails; d != nil {
		out.PromptTokensDetails = &PromptTokensDetails{CachedTokens: d.CachedTokens}
	}
	if d := u.OutputTokensDetails; d != nil {
		out.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: d.ReasoningTokens}
	}
	return out
}

// modelName is the model of the response streamed so far.
func (s *ResponseStream) modelName() string {
	if s.last == nil {
		return ""
	}
	return s.last.Model
}

// summarize reports the id and model of the response streamed so far, and
// as Body the last response object the stream carried (the whole response
// once response.completed arrived; see CallResult.Body).
func (s *ResponseStream) summarize(res *CallResult) {
	if s.last != nil {
		res.ResponseID, res.ResponseModel = s.last.ID, s.last.Model
		res.Body = capturedBody(s.last)
	}
}

// texts joins the texts of parts of the given type in items of type itemType.
func (r *Response) texts(itemType, partType string, summary bool) string {
	var b strings.Builder
	for _, it := range r.Output {
		if it.Type != itemType {
			continue
		}
		parts := it.Content
		if summary {
			parts = it.Summary
		}
		for _, p := range parts {
			if p.Type == partType {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}

// Text returns the text of all output messages, or "" when there is none.
func (r *Response) Text() string { return r.texts("message", "output_text", false) }

// ReasoningText returns the reasoning text (or, when the server sent only a
// summary, the summary).
func (r *Response) ReasoningText() string {
	if t := r.texts("reasoning", "reasoning_text", false); t != "" {
		return t
	}
	return r.texts("reasoning", "summary_text", true)
}

// FunctionCalls returns the function calls of the output.
func (r *Response) FunctionCalls() []ResponseItem {
	var out []ResponseItem
	for _, it := range r.Output {
		if it.Type == "function_call" {
			out = append(out, it)
		}
	}
	return out
}

// Create sends a request and waits for the whole response.
func (s *ResponsesService) Create(ctx context.Context, req *ResponseRequest, opts ...Option) (*Response, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	return callFor[Response](ctx, s.c, post("/responses", "response", false), req.Model, responseWire{req, false}, req.Extra, opts)
}

// Get retrieves a stored response (GET /v1/responses/{id}).
func (s *ResponsesService) Get(ctx context.Context, id string, opts ...Option) (*Response, error) {
	if id == "" {
		return nil, missing("response_id")
	}
	return callFor[Response](ctx, s.c, get("/responses/"+url.PathEscape(id), "get response", false), "", nil, nil, opts)
}

// Cancel cancels a background response (POST /v1/responses/{id}/cancel)
// and returns it in its new state.
func (s *ResponsesService) Cancel(ctx context.Context, id string, opts ...Option) (*Response, error) {
	if id == "" {
		return nil, missing("response_id")
	}
	return callFor[Response](ctx, s.c, post("/responses/"+url.PathEscape(id)+"/cancel", "cancel response", false), "", nil, nil, opts)
}

// The Responses stream event types this package acts on.
const (
	responseOutputTextDelta = "response.output_text.delta"
	responseCompleted       = "response.completed"
	responseIncomplete      = "response.incomplete"
	responseFailed          = "response.failed"
	responseErrorEvent      = "error"
)

// ResponseEvent is one event of a streamed response. Fields not used by an
// event type are zero; Raw has the whole payload.
type ResponseEvent struct {
	// Type is the event type as the server names it, e.g.
	// "response.created", "response.output_item.added",
	// "response.output_text.delta", "response.reasoning_text.delta",
	// "response.function_call_arguments.delta" and their ".done" forms,
	// "response.completed", "response.incomplete"; "response.failed" and
	// "error" end the stream with an error instead (see
	// ResponseStream.Err).
	Type           string `json:"type"`
	SequenceNumber int    `json:"sequence_number"` // the event's position in the stream
	OutputIndex    int    `json:"output_index"`    // the output item the event belongs to
	ContentIndex   int    `json:"content_index"`   // the content part the event belongs to
	ItemID         string `json:"item_id"`         // the id of the item the event belongs to
	// Delta is the text, reasoning or arguments fragment of a delta event.
	Delta string `json:"delta"`
	// Text is the whole text of a *.done event.
	Text string `json:"text"`
	// Arguments are the whole arguments of function_call_arguments.done.
	Arguments string `json:"arguments"`
	// Item is the item of output_item.added/done.
	Item *ResponseItem `json:"item"`
	// Response is the response of response.created, .in_progress,
	// .completed, .incomplete and .failed.
	Response *Response `json:"response"`
	// Raw is the event's JSON payload.
	Raw json.RawMessage `json:"-"`
}

// ResponseStream is a streamed response. Read it with Events, or with Next,
// Event and Err; Close releases it (Events and Collect close it for you).
// Response returns the final response once response.completed (or
// .incomplete) has arrived. Like ChatStream, it is not safe for concurrent
// use, except that Close may be called from another goroutine.
type ResponseStream struct {
	es    eventStream[ResponseEvent]
	final *Response
	// last is the latest response object an event carried (created,
	// in_progress, completed...), for the production layer's summary.
	last *Response
}

// Next advances to the next event and reports whether there is one; after it
// returns false, Err tells why the stream ended.
func (s *ResponseStream) Next() bool { return s.es.next() }

// Event returns the event Next advanced to.
func (s *ResponseStream) Event() ResponseEvent { return s.es.cur }

// Err returns the error that ended the stream: nil for a complete stream,
// ErrStreamClosed for one closed before its end, a *StreamError for a
// failure of the stream itself or an error event ("error",
// "response.failed").
func (s *ResponseStream) Err() error { return s.es.core.failure() }

// Close releases the stream's connection. It is idempotent, and safe to call
// from another goroutine to abort a Next in progress.
func (s *ResponseStream) Close() error { return s.es.core.close() }

// Events returns an iterator over the stream's events; a failure is yielded
// once, last, with a zero event. The stream is closed when the loop ends,
// including by break.
func (s *ResponseStream) Events() iter.Seq2[ResponseEvent, error] { return s.es.events() }

// Collect reads the rest of the stream, closes it and returns the final
// response (the one response.completed or .incomplete carries). When the
// stream fails, or ends without that event, it returns a response holding
// the output text received so far (one message item), together with the
// error. After an Events loop or Next returned false, it reads nothing more
// and returns the final response the stream carried.
func (s *ResponseStream) Collect() (*Response, error) {
	var b strings.Builder
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			return partialResponse(b.String()), err
		}
		if ev.Type == responseOutputTextDelta {
			b.WriteString(ev.Delta)
		}
	}
	if s.final != nil {
		return s.final, nil
	}
	return partialResponse(b.String()), nil
}

// partialResponse holds the text of a stream that ended without its final
// response.
func partialResponse(text string) *Response {
	return &Response{Object: "response", Status: "incomplete", Output: []ResponseItem{{
		Type: "message", Role: RoleAssistant,
		Content: []ResponseContent{{Type: "output_text", Text: text}},
	}}}
}

func (s *ResponseStream) decode(typ string, data []byte) (ResponseEvent, bool, error) {
	var out ResponseEvent
	if err := json.Unmarshal(data, &out); err != nil {
		return out, false, err
	}
	if out.Type == "" {
		out.Type = typ
	}
	out.Raw = append(json.RawMessage(nil), data...)
	if out.Response != nil {
		s.last = out.Response
	}
	switch out.Type {
	case responseErrorEvent:
		if ae := errorEventPayload(data); ae != nil {
			return out, false, ae
		}
	case responseFailed:
		ae := &APIError{Body: out.Raw, Type: "response.failed", Message: "response failed"}
		if out.Response != nil && len(out.Response.Error) > 0 {
			ae.parseBody(out.Response.Error)
		}
		return out, false, ae
	case responseCompleted, responseIncomplete:
		s.final = out.Response
		return out, true, nil
	}
	return out, false, nil
}

// Stream sends the request with "stream": true and returns the events as
// they arrive (SSE with event: lines).
func (s *ResponsesService) Stream(ctx context.Context, req *ResponseRequest, opts ...Option) (*ResponseStream, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	r, err := post("/responses", "response", false).jsonBody(req.Model, responseWire{req, true}, req.Extra, opts)
	if err != nil {
		return nil, err
	}
	r.stream = true
	rs := &ResponseStream{}
	rs.es.init(true, "response stream event", rs.decode,
		func(e ResponseEvent) bool { return strings.HasSuffix(e.Type, ".delta") && e.Delta != "" },
		func(e ResponseEvent) *Usage {
			if e.Response == nil || e.Response.Usage == nil {
				return nil
			}
			return e.Response.Usage.chatUsage()
		})
	if err := rs.es.open(ctx, s.c, r); err != nil {
		return nil, err
	}
	rs.es.core.summarize, rs.es.core.model = rs.summarize, rs.modelName
	return rs, nil
}
