package vllmtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// The token-level routes of current vLLM: the render routes (the prompt
// rendered and tokenized without generating), the batched chat route, and
// /inference/v1/generate (token ids in, token ids out).

// generateRequest is vLLM's GenerateRequest, as rendered and as accepted.
type generateRequest struct {
	RequestID      string         `json:"request_id"`
	TokenIDs       []int          `json:"token_ids"`
	SamplingParams map[string]any `json:"sampling_params"`
	Model          string         `json:"model"`
}

// appendRendered appends a GenerateRequest as vLLM's render routes write it.
func appendRendered(b []byte, id string, ids []int, maxTokens int, model string) []byte {
	b = append(b, `{"request_id":`...)
	b = jsonstr.AppendPython(b, id)
	b = append(b, `,"token_ids":`...)
	b = appendInts(b, ids)
	b = append(b, `,"features":null,"sampling_params":{"n":1,"max_tokens":`...)
	b = strconv.AppendInt(b, int64(maxTokens), 10)
	b = append(b, `},"model":`...)
	b = jsonstr.AppendPython(b, model)
	return append(b, `,"stream":false,"stream_options":null,"cache_salt":null,"priority":0,"kv_transfer_params":null}`...)
}

func appendInts(b []byte, ids []int) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return append(b, ']')
}

func (s *Server) handleChatRender(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	if req.Messages == nil {
		validationError(w, "1 validation error:\n  Field required [type=missing, input_value={...}, input_type=dict]\n    body.messages", "messages")
		return
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	ids := tokenIDs(renderPrompt(req.Messages, true))
	limit, param := req.maxTokens()
	if !checkContext(w, m, len(ids), limit, param) {
		return
	}
	if limit < 0 {
		limit = m.maxModelLen - len(ids)
	}
	writeJSONBytes(w, http.StatusOK, appendRendered(nil, "chatcmpl-"+s.nextID(), ids, limit, m.name))
}

func (s *Server) handleCompletionRender(w http.ResponseWriter, r *http.Request) {
	var req CompletionRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	prompts := req.Prompts()
	if len(bytes.TrimSpace(req.Prompt)) == 0 || prompts == nil {
		validationError(w, "Value error, Either prompt or prompt_embeds must be provided and non-empty.", "prompt")
		return
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	limit := 16 // vLLM's default max_tokens for completions
	if req.MaxTokens != nil {
		limit = *req.MaxTokens
	}
	b := []byte{'['}
	for i, p := range prompts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRendered(b, "cmpl-"+s.nextID()[:16]+"-"+strconv.Itoa(i), tokenIDs(p), limit, m.name)
	}
	writeJSONBytes(w, http.StatusOK, append(b, ']'))
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var req generateRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	if req.TokenIDs == nil || req.SamplingParams == nil {
		validationError(w, "1 validation error:\n  Field required [type=missing, input_value={...}, input_type=dict]\n    body.token_ids", "token_ids")
		return
	}
	name := req.Model
	m, ok := s.checkModel(w, name)
	if !ok {
		return
	}
	limit := -1
	if v, ok := req.SamplingParams["max_tokens"].(float64); ok {
		limit = int(v)
	}
	if !checkContext(w, m, len(req.TokenIDs), limit, "max_tokens") {
		return
	}
	ignoreEOS, _ := req.SamplingParams["ignore_eos"].(bool)
	if limit < 0 {
		limit = m.maxModelLen - len(req.TokenIDs)
	}
	var p choicePlan
	n, finish := fitLimit(&p, s.cfg.tokens, limit, ignoreEOS)
	var seed strings.Builder
	for _, id := range req.TokenIDs {
		seed.WriteString(strconv.Itoa(id))
		seed.WriteByte(',')
	}
	ids := make([]int, 0, n)
	for _, piece := range generateText(seed.String(), 0, n) {
		ids = append(ids, tokenID(piece))
	}
	id := req.RequestID
	if id == "" {
		id = s.nextID()
	}
	if !s.paceWhole(r, n) {
		return
	}
	b := append([]byte(`{"request_id":`), jsonstr.AppendPython(nil, id)...)
	b = append(b, `,"choices":[{"index":0,"logprobs":null,"finish_reason":`...)
	b = jsonstr.AppendPython(b, finish)
	b = append(b, `,"token_ids":`...)
	b = appendInts(b, ids)
	b = append(b, `}],"prompt_logprobs":null,"kv_transfer_params":null}`...)
	writeJSONBytes(w, http.StatusOK, b)
}

// handleChatBatch serves /v1/chat/completions/batch: "messages" is a list
// of conversations, and the answer is one chat.completion whose choice i
// answers conversation i. Streaming and tools are refused, as vLLM does.
func (s *Server) handleChatBatch(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if !s.decodePost(w, r, &raw) {
		return
	}
	var convs [][]ChatMessage
	if err := json.Unmarshal(raw["messages"], &convs); err != nil || len(convs) == 0 {
		validationError(w, "1 validation error:\n  Input should be a valid list of conversations\n    body.messages", "messages")
		return
	}
	delete(raw, "messages")
	rest, _ := json.Marshal(raw)
	var req ChatRequest
	_ = json.Unmarshal(rest, &req)
	if req.Stream {
		validationError(w, "Value error, Streaming is not supported for batch chat completions.", "stream")
		return
	}
	if len(req.Tools) > 0 {
		validationError(w, "Value error, Tool use is not supported for batch chat completions.", "tools")
		return
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	g := &chatGen{generation: generation{s: s, model: m.name, created: time.Now().Unix()}, req: &req}
	if req.Model != "" {
		g.model = req.Model
	}
	g.id = "chatcmpl-" + s.nextID()
	limit, param := req.maxTokens()
	for i, conv := range convs {
		prompt := renderPrompt(conv, true)
		pt := len(splitTokens(prompt))
		if !checkContext(w, m, pt, limit, param) {
			return
		}
		g.promptTokens += pt
		one := req
		one.Messages = conv
		g.plans = append(g.plans, s.defaultChatPlan(&one, prompt, i, limit))
	}
	g.respond(w, r)
}
