package vllmtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// The Responses API: POST /v1/responses (JSON or SSE with event: lines),
// GET /v1/responses/{id} and POST /v1/responses/{id}/cancel. The default
// generator answers with a reasoning item (with WithReasoning), then either
// a function call of the first tool (when tools are offered, tool_choice is
// not "none" and the input does not end with a function call output) or a
// message. Every response is kept for retrieval; a "background" request is
// kept as "queued" (nothing runs it) until it is cancelled.

type responsesState struct {
	mu    sync.Mutex
	store map[string]*responseObject
}

type responsesRequest struct {
	Model           string          `json:"model"`
	Input           json.RawMessage `json:"input"`
	Instructions    string          `json:"instructions"`
	Tools           []responseTool  `json:"tools"`
	ToolChoice      json.RawMessage `json:"tool_choice"`
	Stream          bool            `json:"stream"`
	Background      bool            `json:"background"`
	MaxOutputTokens *int            `json:"max_output_tokens"`
}

type responseTool struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters"`
}

type responseText struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations,omitempty"`
}

type responseItem struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Role      string         `json:"role,omitempty"`
	Summary   []any          `json:"summary,omitempty"`
	Content   []responseText `json:"content,omitempty"`
	CallID    string         `json:"call_id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Arguments *string        `json:"arguments,omitempty"`
	Status    string         `json:"status"`
}

type responseUsage struct {
	InputTokens         int            `json:"input_tokens"`
	InputTokensDetails  map[string]int `json:"input_tokens_details"`
	OutputTokens        int            `json:"output_tokens"`
	OutputTokensDetails map[string]int `json:"output_tokens_details"`
	TotalTokens         int            `json:"total_tokens"`
}

type responseObject struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	CreatedAt         int64           `json:"created_at"`
	Model             string          `json:"model"`
	Status            string          `json:"status"`
	Background        bool            `json:"background"`
	Output            []responseItem  `json:"output"`
	ParallelToolCalls bool            `json:"parallel_tool_calls"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	Usage             *responseUsage  `json:"usage"`
	Error             json.RawMessage `json:"error"`
	IncompleteDetails json.RawMessage `json:"incomplete_details"`
}

// responsesInput returns the text of a Responses input (a string or items) and
// whether its last item is a function call output.
func responsesInput(raw json.RawMessage) (string, bool, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false, s != ""
	}
	var items []struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
		Output  string          `json:"output"`
	}
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return "", false, false
	}
	var b strings.Builder
	for _, it := range items {
		m := ChatMessage{Role: it.Role, Content: it.Content}
		b.WriteString(m.Text())
		b.WriteString(it.Output)
	}
	return b.String(), items[len(items)-1].Type == "function_call_output", true
}

// plan builds the output items of a request and the pieces each streams.
func (s *Server) planResponse(req *responsesRequest, prompt string, afterTool bool) ([]responseItem, [][]string, *responseUsage) {
	seed := req.Instructions + "\x00" + prompt
	var items []responseItem
	var pieces [][]string
	reasoningToks := 0
	if s.cfg.reasoning {
		p := generateText(seed, 5, s.cfg.reasoningToks)
		reasoningToks = len(p)
		items = append(items, responseItem{ID: "rs_" + s.nextID(), Type: "reasoning", Summary: []any{},
			Content: []responseText{{Type: "reasoning_text", Text: strings.Join(p, "")}}, Status: "completed"})
		pieces = append(pieces, p)
	}
	choice := strings.Trim(string(bytes.TrimSpace(req.ToolChoice)), `"`)
	output := 0
	if len(req.Tools) > 0 && s.cfg.toolCalls && choice != "none" && !afterTool {
		t := req.Tools[0]
		args := argumentsFor(t.Parameters, seed)
		p := splitArguments(args)
		items = append(items, responseItem{ID: "fc_" + s.nextID(), Type: "function_call", CallID: "call_" + s.nextID()[:24],
			Name: t.Name, Arguments: &args, Status: "completed"})
		pieces = append(pieces, p)
		output = countTokens(args)
	} else {
		n := s.cfg.tokens
		if req.MaxOutputTokens != nil && *req.MaxOutputTokens < n {
			n = max(*req.MaxOutputTokens, 0)
		}
		p := generateText(seed, 1, n)
		items = append(items, responseItem{ID: "msg_" + s.nextID(), Type: "message", Role: "assistant",
			Content: []responseText{{Type: "output_text", Text: strings.Join(p, ""), Annotations: []any{}}}, Status: "completed"})
		pieces = append(pieces, p)
		output = len(p)
	}
	in := countTokens(req.Instructions) + countTokens(prompt)
	out := output + reasoningToks
	return items, pieces, &responseUsage{InputTokens: in, InputTokensDetails: map[string]int{"cached_tokens": 0},
		OutputTokens: out, OutputTokensDetails: map[string]int{"reasoning_tokens": reasoningToks}, TotalTokens: in + out}
}

func (s *Server) handleResponses(st *responsesState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req responsesRequest
		m, ok := s.beginPost(w, r, &req, func() string { return req.Model })
		if !ok {
			return
		}
		prompt, afterTool, ok := responsesInput(req.Input)
		if !ok {
			validationError(w, "1 validation error: field \"input\": Field required", "input")
			return
		}
		items, pieces, usage := s.planResponse(&req, prompt, afterTool)
		choice := req.ToolChoice
		if len(choice) == 0 {
			choice = json.RawMessage(`"auto"`)
		}
		resp := &responseObject{ID: "resp_" + s.nextID(), Object: "response", CreatedAt: nowUnix(), Model: m.name,
			Status: "completed", Background: req.Background, Output: items, ParallelToolCalls: true, ToolChoice: choice,
			Usage: usage, Error: json.RawMessage("null"), IncompleteDetails: json.RawMessage("null")}
		if req.Background {
			resp.Status, resp.Output, resp.Usage = "queued", []responseItem{}, nil
		}
		st.mu.Lock()
		st.store[resp.ID] = resp
		st.mu.Unlock()
		if req.Stream && !req.Background {
			s.streamResponse(w, r, resp, pieces)
			return
		}
		b, _ := marshal(resp)
		s.respond(w, r, b)
	}
}

// handleResponseByID answers GET /v1/responses/{id} and POST
// /v1/responses/{id}/cancel.
func (s *Server) handleResponseByID(st *responsesState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/v1/responses/")
		id, action, _ := strings.Cut(rest, "/")
		switch {
		case action == "" && r.Method == http.MethodGet:
		case action == "cancel" && r.Method == http.MethodPost:
		default:
			writeJSONBytes(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
			return
		}
		st.mu.Lock()
		resp, ok := st.store[id]
		if ok && action == "cancel" {
			if resp.Status != "queued" && resp.Status != "in_progress" {
				st.mu.Unlock()
				writeError(w, http.StatusBadRequest, TypeBadRequest, "Cannot cancel a synchronous response.", "")
				return
			}
			resp.Status = "cancelled"
		}
		var b []byte
		if ok {
			b, _ = marshal(resp)
		}
		st.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, TypeNotFound, "Response with id '"+id+"' not found.", "response_id")
			return
		}
		s.respond(w, r, b)
	}
}

// responseEmitter writes Responses events: "event: <type>\ndata: <json>\n\n".
type responseEmitter struct {
	es  *eventStream
	seq int
}

func (e *responseEmitter) emit(typ string, fields string, token bool) bool {
	b := append([]byte(`{"type":"`), typ...)
	b = append(b, `","sequence_number":`...)
	b = strconv.AppendInt(b, int64(e.seq), 10)
	e.seq++
	if fields != "" {
		b = append(b, ',')
		b = append(b, fields...)
	}
	b = append(b, '}')
	es := e.es
	if token && es.tokens > 0 && !es.wait(es.itl) {
		return false
	}
	if token {
		es.tokens++
	}
	es.events++
	frame := append([]byte("event: "+typ+"\ndata: "), b...)
	return es.write(append(frame, "\n\n"...))
}

func jsonOf(v any) string {
	b, _ := marshal(v)
	return string(b)
}

func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, resp *responseObject, pieces [][]string) {
	es := s.newEventStream(w, r)
	e := &responseEmitter{es: es}
	start := *resp
	start.Status, start.Output, start.Usage = "in_progress", []responseItem{}, nil
	if !e.emit("response.created", `"response":`+jsonOf(&start), false) ||
		!e.emit("response.in_progress", `"response":`+jsonOf(&start), false) {
		return
	}
	if !es.wait(es.ttft) {
		return
	}
	for i, it := range resp.Output {
		idx := `"output_index":` + strconv.Itoa(i)
		itemRef := idx + `,"item_id":` + string(jsonstr.AppendPython(nil, it.ID))
		added := it
		added.Status = "in_progress"
		switch it.Type {
		case "reasoning", "message":
			partType, deltaType, doneType := "reasoning_text", "response.reasoning_text.delta", "response.reasoning_text.done"
			if it.Type == "message" {
				partType, deltaType, doneType = "output_text", "response.output_text.delta", "response.output_text.done"
			}
			added.Content = []responseText{}
			emptyPart := jsonOf(responseText{Type: partType, Annotations: annotationsFor(partType)})
			if !e.emit("response.output_item.added", idx+`,"item":`+jsonOf(&added), false) ||
				!e.emit("response.content_part.added", itemRef+`,"content_index":0,"part":`+emptyPart, false) {
				return
			}
			for _, p := range pieces[i] {
				if !e.emit(deltaType, itemRef+`,"content_index":0,"delta":`+string(jsonstr.AppendPython(nil, p)), true) {
					return
				}
			}
			text := it.Content[0].Text
			if !e.emit(doneType, itemRef+`,"content_index":0,"text":`+string(jsonstr.AppendPython(nil, text)), false) ||
				!e.emit("response.content_part.done", itemRef+`,"content_index":0,"part":`+jsonOf(it.Content[0]), false) {
				return
			}
		case "function_call":
			empty := ""
			added.Arguments = &empty
			if !e.emit("response.output_item.added", idx+`,"item":`+jsonOf(&added), false) {
				return
			}
			for _, p := range pieces[i] {
				if !e.emit("response.function_call_arguments.delta", itemRef+`,"delta":`+string(jsonstr.AppendPython(nil, p)), true) {
					return
				}
			}
			if !e.emit("response.function_call_arguments.done", itemRef+`,"arguments":`+string(jsonstr.AppendPython(nil, *it.Arguments))+`,"name":`+string(jsonstr.AppendPython(nil, it.Name)), false) {
				return
			}
		}
		if !e.emit("response.output_item.done", idx+`,"item":`+jsonOf(&it), false) {
			return
		}
	}
	e.emit("response.completed", `"response":`+jsonOf(resp), false)
}

func annotationsFor(partType string) []any {
	if partType == "output_text" {
		return []any{}
	}
	return nil
}
