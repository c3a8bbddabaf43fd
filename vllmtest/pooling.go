package vllmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The pooling family: /pooling, /classify, /score (and /v1/score), /rerank
// (and /v1/rerank, /v2/rerank), answered in vLLM's shapes with values that
// are deterministic functions of the texts: vectors are seeded by the text,
// scores and relevance are the share of the query's words a text contains.

// poolingDims is the length of the vectors /pooling returns.
const poolingDims = 8

// poolingUsage is vLLM's UsageInfo of a pooling answer.
type poolingUsage struct {
	PromptTokens        int  `json:"prompt_tokens"`
	TotalTokens         int  `json:"total_tokens"`
	CompletionTokens    int  `json:"completion_tokens"`
	PromptTokensDetails *int `json:"prompt_tokens_details"`
}

func usageOf(texts []string) poolingUsage {
	n := 0
	for _, t := range texts {
		n += countTokens(t)
	}
	return poolingUsage{PromptTokens: n, TotalTokens: n}
}

// inputTexts reads a pooling input: a string, a list of strings, a list of
// token ids or a list of lists (token lists are detokenized).
func inputTexts(raw json.RawMessage) ([]string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return ss, len(ss) > 0
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil {
		return []string{detokenize(ids)}, len(ids) > 0
	}
	var batches [][]int
	if json.Unmarshal(raw, &batches) == nil {
		out := make([]string, len(batches))
		for i, b := range batches {
			out[i] = detokenize(b)
		}
		return out, len(out) > 0
	}
	return nil, false
}

// poolingInputs reads "input" or "messages" of a pooling-family request,
// answering 400 and returning false when neither is usable.
func (s *Server) poolingInputs(w http.ResponseWriter, input json.RawMessage, msgs []ChatMessage) ([]string, bool) {
	if len(msgs) > 0 {
		return []string{renderPrompt(msgs, false)}, true
	}
	texts, ok := inputTexts(input)
	if !ok {
		validationError(w, "1 validation error: field \"input\": Field required", "input")
		return nil, false
	}
	return texts, true
}

// vectorFor returns a unit vector of n dimensions seeded by text.
func vectorFor(text string, n int) []float64 {
	r := newRNG(text, 11)
	v := make([]float64, n)
	var norm float64
	for i := range v {
		x := float64(int64(r.next()%2001)-1000) / 1000
		v[i] = x
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		if norm > 0 {
			v[i] = math.Round(v[i]/norm*1e6) / 1e6
		}
	}
	return v
}

// base64Floats encodes v as little-endian float32, base64.
func base64Floats(v []float64) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// relevance is the share of the query's words found in text, in [0, 1],
// rounded to 6 digits.
func relevance(query, text string) float64 {
	words := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			m[w] = true
		}
		return m
	}
	q, t := words(query), words(text)
	if len(q) == 0 {
		return 0
	}
	hit := 0
	for w := range q {
		if t[w] {
			hit++
		}
	}
	return math.Round(float64(hit)/float64(len(q))*1e6) / 1e6
}

// poolingInput is what /pooling and /classify pool: the model and the
// texts, as input (completion form) or messages (chat form).
type poolingInput struct {
	Model    string          `json:"model"`
	Input    json.RawMessage `json:"input"`
	Messages []ChatMessage   `json:"messages"`
}

type poolingRequest struct {
	poolingInput
	Task           string `json:"task"`
	EncodingFormat string `json:"encoding_format"`
	Dimensions     *int   `json:"dimensions"`
}

type poolingData struct {
	Index  int    `json:"index"`
	Object string `json:"object"`
	Data   any    `json:"data"`
}

type listResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Data    any          `json:"data"`
	Usage   poolingUsage `json:"usage"`
}

func (s *Server) listResponse(prefix, model string, data any, texts []string) listResponse {
	return listResponse{ID: prefix + s.nextID(), Object: "list", Created: nowUnix(), Model: model, Data: data, Usage: usageOf(texts)}
}

// beginPost checks the method, decodes the JSON body into req and checks the
// model modelName() names; it answers the error and returns false on failure.
func (s *Server) beginPost(w http.ResponseWriter, r *http.Request, req any, modelName func() string) (*model, bool) {
	if !s.decodePost(w, r, req) {
		return nil, false
	}
	return s.checkModel(w, modelName())
}

// beginPooling is beginPost for a request whose poolingInput is in: it
// also reads the texts to pool.
func (s *Server) beginPooling(w http.ResponseWriter, r *http.Request, req any, in *poolingInput) (*model, []string, bool) {
	m, ok := s.beginPost(w, r, req, func() string { return in.Model })
	if !ok {
		return nil, nil, false
	}
	texts, ok := s.poolingInputs(w, in.Input, in.Messages)
	return m, texts, ok
}

// handlePooling answers /pooling: one vector per input, or one per token for
// the token_embed and token_classify tasks.
func (s *Server) handlePooling(w http.ResponseWriter, r *http.Request) {
	var req poolingRequest
	m, texts, ok := s.beginPooling(w, r, &req, &req.poolingInput)
	if !ok {
		return
	}
	dims := poolingDims
	if req.Dimensions != nil {
		if *req.Dimensions < 1 || *req.Dimensions > 1024 {
			writeError(w, http.StatusBadRequest, "", "dimensions must be between 1 and 1024", "dimensions")
			return
		}
		dims = *req.Dimensions
	}
	perToken := strings.HasPrefix(req.Task, "token_")
	data := make([]poolingData, len(texts))
	for i, t := range texts {
		var v any = vectorFor(t, dims)
		switch {
		case perToken:
			pieces := splitTokens(t)
			rows := make([][]float64, len(pieces))
			for j, p := range pieces {
				rows[j] = vectorFor(p, dims)
			}
			v = rows
		case req.EncodingFormat == "base64":
			v = base64Floats(vectorFor(t, dims))
		}
		data[i] = poolingData{Index: i, Object: "pooling", Data: v}
	}
	b, _ := marshal(s.listResponse("pool-", m.name, data, texts))
	s.respond(w, r, b)
}

type classification struct {
	Index      int       `json:"index"`
	Label      *string   `json:"label"`
	Probs      []float64 `json:"probs"`
	NumClasses int       `json:"num_classes"`
}

// handleClassify answers /classify with two classes, "negative" and
// "positive"; a text containing "good" is positive.
func (s *Server) handleClassify(w http.ResponseWriter, r *http.Request) {
	var req poolingInput
	m, texts, ok := s.beginPooling(w, r, &req, &req)
	if !ok {
		return
	}
	data := make([]classification, len(texts))
	for i, t := range texts {
		p := 0.2
		if strings.Contains(strings.ToLower(t), "good") {
			p = 0.9
		}
		label := "negative"
		if p > 0.5 {
			label = "positive"
		}
		data[i] = classification{Index: i, Label: &label, Probs: []float64{math.Round((1-p)*10) / 10, p}, NumClasses: 2}
	}
	b, _ := marshal(s.listResponse("classify-", m.name, data, texts))
	s.respond(w, r, b)
}

type scoreRequest struct {
	Model     string          `json:"model"`
	Text1     json.RawMessage `json:"text_1"`
	Text2     json.RawMessage `json:"text_2"`
	Queries   json.RawMessage `json:"queries"`
	Documents json.RawMessage `json:"documents"`
	Data1     json.RawMessage `json:"data_1"`
	Data2     json.RawMessage `json:"data_2"`
}

type scoreData struct {
	Index  int     `json:"index"`
	Object string  `json:"object"`
	Score  float64 `json:"score"`
}

func firstSet(raws ...json.RawMessage) json.RawMessage {
	for _, r := range raws {
		if len(bytes.TrimSpace(r)) > 0 {
			return r
		}
	}
	return nil
}

// handleScore answers /score and /v1/score: one text against many, or
// pairwise lists of the same length, as vLLM pairs them.
func (s *Server) handleScore(w http.ResponseWriter, r *http.Request) {
	var req scoreRequest
	m, ok := s.beginPost(w, r, &req, func() string { return req.Model })
	if !ok {
		return
	}
	left, ok1 := inputTexts(firstSet(req.Text1, req.Queries, req.Data1))
	right, ok2 := inputTexts(firstSet(req.Text2, req.Documents, req.Data2))
	if !ok1 || !ok2 {
		validationError(w, "1 validation error: field \"text_1\" and \"text_2\" are required", "text_1")
		return
	}
	if len(left) > 1 && len(left) != len(right) {
		writeError(w, http.StatusBadRequest, "", fmt.Sprintf("text_1 has %d items and text_2 has %d: they must have the same length", len(left), len(right)), "")
		return
	}
	data := make([]scoreData, len(right))
	var all []string
	for i, t := range right {
		q := left[0]
		if len(left) > 1 {
			q = left[i]
		}
		data[i] = scoreData{Index: i, Object: "score", Score: relevance(q, t)}
		all = append(all, q, t)
	}
	b, _ := marshal(s.listResponse("score-", m.name, data, all))
	s.respond(w, r, b)
}

type rerankRequest struct {
	Model     string            `json:"model"`
	Query     json.RawMessage   `json:"query"`
	Documents []json.RawMessage `json:"documents"`
	TopN      int               `json:"top_n"`
}

type rerankDocument struct {
	Text       string          `json:"text"`
	MultiModal json.RawMessage `json:"multi_modal"`
}

type rerankResult struct {
	Index          int            `json:"index"`
	Document       rerankDocument `json:"document"`
	RelevanceScore float64        `json:"relevance_score"`
}

type rerankUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

type rerankResponse struct {
	ID      string         `json:"id"`
	Model   string         `json:"model"`
	Usage   rerankUsage    `json:"usage"`
	Results []rerankResult `json:"results"`
}

// documentText reads a rerank document: a string or {"text": …}.
func documentText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var d struct {
		Text *string `json:"text"`
	}
	if json.Unmarshal(raw, &d) == nil && d.Text != nil {
		return *d.Text, true
	}
	return "", false
}

// handleRerank answers /rerank, /v1/rerank and /v2/rerank: the documents
// sorted by relevance to the query, best first, cut to top_n when set.
func (s *Server) handleRerank(w http.ResponseWriter, r *http.Request) {
	var req rerankRequest
	m, ok := s.beginPost(w, r, &req, func() string { return req.Model })
	if !ok {
		return
	}
	query, ok := documentText(req.Query)
	if !ok || len(req.Documents) == 0 {
		validationError(w, "1 validation error: fields \"query\" and \"documents\" are required", "query")
		return
	}
	results := make([]rerankResult, len(req.Documents))
	texts := []string{}
	for i, raw := range req.Documents {
		t, ok := documentText(raw)
		if !ok {
			validationError(w, "documents["+strconv.Itoa(i)+"] must be a string or an object with text", "documents")
			return
		}
		results[i] = rerankResult{Index: i, Document: rerankDocument{Text: t, MultiModal: json.RawMessage("null")}, RelevanceScore: relevance(query, t)}
		texts = append(texts, query, t)
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].RelevanceScore > results[j].RelevanceScore })
	if req.TopN > 0 && req.TopN < len(results) {
		results = results[:req.TopN]
	}
	u := usageOf(texts)
	b, _ := marshal(rerankResponse{ID: "rerank-" + s.nextID(), Model: m.name, Usage: rerankUsage{u.PromptTokens, u.TotalTokens}, Results: results})
	s.respond(w, r, b)
}
