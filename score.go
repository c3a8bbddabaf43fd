package vllm

import (
	"context"
	"encoding/json"
)

// ScoreRequest is a request to POST /score: the similarity of text pairs,
// from a cross-encoder or an embedding model. Text1 and Text2 are each one
// text (PromptText) or several (PromptTexts): one against one, one against
// many, or many against as many (pairwise).
//
// The text_1/text_2 field names are the ones every vLLM version with /score
// accepts; newer versions also take queries/documents (send them via Extra).
type ScoreRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	Text1 Prompt `json:"text_1,omitzero"` // the first texts: one, or as many as Text2 (required)
	Text2 Prompt `json:"text_2,omitzero"` // the texts scored against Text1 (required)

	// UseActivation turns the activation (sigmoid) off or on.
	UseActivation        *bool  `json:"use_activation,omitempty"`
	TruncatePromptTokens *int   `json:"truncate_prompt_tokens,omitempty"` // keep only the last N prompt tokens (-1: up to the model limit)
	User                 string `json:"user,omitempty"`                   // end-user id (accepted and ignored by vLLM)
	Priority             *int   `json:"priority,omitempty"`               // lower runs first (priority scheduling only)
	RequestID            string `json:"request_id,omitempty"`             // the request id vLLM uses internally (request_id in the body)

	// Extra holds further top-level fields; a key naming a typed field
	// replaces it.
	Extra map[string]any `json:"-"`
}

// ScoreResponse is the response of /score.
type ScoreResponse struct {
	ID      string      `json:"id"`      // "score-…"
	Object  string      `json:"object"`  // "list"
	Created int64       `json:"created"` // Unix seconds
	Model   string      `json:"model"`   // the model that answered
	Data    []ScoreData `json:"data"`    // one score per pair, in input order
	Usage   *Usage      `json:"usage"`   // token counts
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *ScoreResponse) setRaw(b json.RawMessage) { r.Raw = b }

// ScoreData is the score of one pair.
type ScoreData struct {
	Index  int     `json:"index"`  // position of the pair
	Object string  `json:"object"` // "score"
	Score  float64 `json:"score"`  // the pair's score
}

// Scores returns the scores in pair order.
func (r *ScoreResponse) Scores() []float64 {
	out := make([]float64, len(r.Data))
	for _, d := range r.Data {
		if d.Index >= 0 && d.Index < len(out) {
			out[d.Index] = d.Score
		}
	}
	return out
}

// Score scores text pairs (POST /score).
func (s *PoolingService) Score(ctx context.Context, req *ScoreRequest, opts ...Option) (*ScoreResponse, error) {
	switch {
	case req == nil:
		return nil, missing("request")
	case req.Text1.count() == 0 && !hasAny(req.Extra, "queries", "data_1"):
		return nil, missing("text_1")
	case req.Text2.count() == 0 && !hasAny(req.Extra, "documents", "items", "data_2"):
		return nil, missing("text_2")
	case req.Text1.count() > 1 && req.Text2.count() != req.Text1.count():
		return nil, invalid("text_2", "must have as many texts as text_1 (%d) when text_1 has several, got %d", req.Text1.count(), req.Text2.count())
	}
	return callFor[ScoreResponse](ctx, s.c, post("/score", "score", true), req.Model, req, req.Extra, opts)
}

// hasAny reports whether m has one of keys.
func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// RerankRequest is a request to the rerank routes (/rerank, /v1/rerank,
// /v2/rerank; the same body on each, Jina- and Cohere-compatible).
type RerankRequest struct {
	// Model is the served model; empty lets the server pick its only one.
	Model string `json:"model,omitempty"`
	// Query is what the documents are ranked against (required).
	Query string `json:"query"`
	// Documents are the texts to rank (required).
	Documents []string `json:"documents"`
	// TopN returns only the best N results; 0 returns all.
	TopN int `json:"top_n,omitempty"`

	UseActivation        *bool  `json:"use_activation,omitempty"`         // turn the activation (sigmoid) off or on
	TruncatePromptTokens *int   `json:"truncate_prompt_tokens,omitempty"` // keep only the last N prompt tokens (-1: up to the model limit)
	User                 string `json:"user,omitempty"`                   // end-user id (accepted and ignored by vLLM)
	Priority             *int   `json:"priority,omitempty"`               // lower runs first (priority scheduling only)
	RequestID            string `json:"request_id,omitempty"`             // the request id vLLM uses internally (request_id in the body)

	// Route is the route the request is sent to: "/rerank" (the default
	// when empty), "/v1/rerank" (Jina-compatible, for proxies that route
	// only /v1) or "/v2/rerank" (Cohere-compatible). vLLM serves the same
	// body and answer on each. It is not sent.
	Route string `json:"-"`
	// Extra holds further top-level fields.
	Extra map[string]any `json:"-"`
}

// RerankResponse is the response of the rerank routes.
type RerankResponse struct {
	ID      string         `json:"id"`      // "rerank-…"
	Model   string         `json:"model"`   // the model that answered
	Usage   *Usage         `json:"usage"`   // token counts
	Results []RerankResult `json:"results"` // the documents, best first
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

func (r *RerankResponse) setRaw(b json.RawMessage) { r.Raw = b }

// RerankResult is one ranked document, best first.
type RerankResult struct {
	// Index is the document's position in the request.
	Index          int            `json:"index"`
	Document       RerankDocument `json:"document"`        // the document
	RelevanceScore float64        `json:"relevance_score"` // the document's score; higher is more relevant
}

// RerankDocument is the ranked document as the server returns it.
type RerankDocument struct {
	Text string `json:"text"` // the document's text
	// MultiModal holds multimodal content parts, raw, when the document
	// had them.
	MultiModal json.RawMessage `json:"multi_modal,omitempty"`
}

// Rerank ranks documents by relevance to a query, on the route named by
// req.Route (default /rerank).
func (s *PoolingService) Rerank(ctx context.Context, req *RerankRequest, opts ...Option) (*RerankResponse, error) {
	if req == nil {
		return nil, missing("request")
	}
	path := req.Route
	switch path {
	case "":
		path = "/rerank"
	case "/rerank", "/v1/rerank", "/v2/rerank":
	default:
		return nil, invalid("route", "must be /rerank, /v1/rerank or /v2/rerank, got %q", path)
	}
	switch {
	case req.Query == "":
		return nil, missing("query")
	case len(req.Documents) == 0:
		return nil, missing("documents")
	case req.TopN < 0:
		return nil, invalid("top_n", "must not be negative, got %d", req.TopN)
	}
	return callFor[RerankResponse](ctx, s.c, post(path, "rerank", true), req.Model, req, req.Extra, opts)
}
