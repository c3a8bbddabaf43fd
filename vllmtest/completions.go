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

// CompletionRequest is the decoded body of a legacy completion request.
// Each field is the body field of the same JSON name; Prompt is kept raw (a
// string, strings, token ids or lists of them): Prompts decodes it.
type CompletionRequest struct {
	GenerationFields
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
	Echo     bool            `json:"echo"`
	Suffix   *string         `json:"suffix"`
}

// Prompts returns the prompts as texts: one per prompt, token-id prompts
// detokenized.
func (r *CompletionRequest) Prompts() []string {
	p := bytes.TrimSpace(r.Prompt)
	var s string
	if json.Unmarshal(p, &s) == nil {
		return []string{s}
	}
	var ss []string
	if json.Unmarshal(p, &ss) == nil {
		return ss
	}
	var ids []int
	if json.Unmarshal(p, &ids) == nil {
		return []string{detokenize(ids)}
	}
	var batches [][]int
	if json.Unmarshal(p, &batches) == nil {
		out := make([]string, len(batches))
		for i, b := range batches {
			out[i] = detokenize(b)
		}
		return out
	}
	return nil
}

// detokenize joins the pieces of ids; unknown ids become "<unk>".
func detokenize(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if p, ok := tokenPiece(id); ok {
			b.WriteString(p)
		} else {
			b.WriteString("<unk>")
		}
	}
	return b.String()
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req CompletionRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	x := exchangeOf(r)
	s.updateRecord(x, func(rec *Request) { rec.Completion = &req })
	prompts := req.Prompts()
	if len(bytes.TrimSpace(req.Prompt)) == 0 || prompts == nil {
		validationError(w, "Value error, Either prompt or prompt_embeds must be provided and non-empty.", "prompt")
		return
	}
	if !req.checkStreamAndN(w) {
		return
	}
	n := req.choices()
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	g := &completionGen{generation: generation{s: s, model: req.Model, created: time.Now().Unix()}, req: &req}
	if g.model == "" {
		g.model = m.name
	}
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		id = s.nextID()[:16]
	}
	g.id = "cmpl-" + id
	reply, done := s.scriptedReply(w, x)
	if done {
		return
	}
	for pi, prompt := range prompts {
		toks := splitTokens(prompt)
		cached := s.cache.admit(toks)
		g.promptTokens += len(toks)
		g.cachedTokens += cached
		if x != nil {
			x.prefill += s.prefill(len(toks), cached)
		}
		for i := 0; i < n; i++ {
			var p choicePlan
			if reply != nil {
				p = s.planFromReply(&Reply{Content: reply.Content, Deltas: reply.Deltas, FinishReason: reply.FinishReason, StopReason: reply.StopReason})
			} else {
				p = s.defaultCompletionPlan(&req, prompt, pi*n+i)
			}
			if req.Echo {
				p.content = append(splitTokens(prompt), p.content...)
			}
			g.plans = append(g.plans, p)
		}
	}
	g.useReplyCounts(reply)
	if req.Stream {
		g.stream(w, r)
		return
	}
	g.respond(w, r)
}

func (s *Server) defaultCompletionPlan(req *CompletionRequest, prompt string, choice int) choicePlan {
	p := choicePlan{hasContent: true}
	limit := 16 // vLLM's default max_tokens for completions
	if req.MaxTokens != nil {
		limit = *req.MaxTokens
	}
	var n int
	n, p.finish = fitLimit(&p, s.cfg.tokens, limit, req.IgnoreEOS)
	p.content = generateText(prompt+"/"+strconv.Itoa(choice), 0, n)
	applyStop(&p, stopStrings(req.Stop))
	return p
}

// completionGen renders one legacy completion.
type completionGen struct {
	generation
	req *CompletionRequest
}

func (g *completionGen) logprobs() int {
	if g.req.Logprobs == nil {
		return -1
	}
	return *g.req.Logprobs
}

// appendCompletionLogprobs appends {"text_offset","token_logprobs","tokens",
// "top_logprobs"} for pieces starting at text offset off and position pos.
func appendCompletionLogprobs(b []byte, pieces []string, off, pos, top int) []byte {
	b = append(b, `{"text_offset":[`...)
	for i, p := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(off), 10)
		off += len(p)
	}
	b = append(b, `],"token_logprobs":[`...)
	for i := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, logprobOf(pos+i), 'g', -1, 64)
	}
	b = append(b, `],"tokens":[`...)
	for i, p := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.AppendPython(b, p)
	}
	b = append(b, `],"top_logprobs":[`...)
	for i, p := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		for k := 0; k < max(top, 1); k++ {
			if k > 0 {
				b = append(b, ',')
			}
			alt := p
			if k > 0 {
				alt = words[(pos+i+k)%len(words)]
			}
			b = jsonstr.AppendPython(b, alt)
			b = append(b, ':')
			b = strconv.AppendFloat(b, logprobOf(pos+i)-float64(k), 'g', -1, 64)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func (g *completionGen) respond(w http.ResponseWriter, r *http.Request) {
	if !g.s.paceWhole(r, g.longest()) {
		return
	}
	b := appendHead(make([]byte, 0, 512), g.id, "text_completion", g.created, g.model)
	for i := range g.plans {
		p := &g.plans[i]
		b = appendChoiceIndex(b, i)
		b = append(b, `,"text":`...)
		b = jsonstr.AppendPython(b, strings.Join(p.content, ""))
		b = append(b, `,"logprobs":`...)
		if lp := g.logprobs(); lp >= 0 {
			b = appendCompletionLogprobs(b, p.content, 0, 0, lp)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"finish_reason":`...)
		b = jsonstr.AppendPython(b, p.finish)
		b = append(b, `,"stop_reason":`...)
		b = appendStopReason(b, p.stopReason)
		b = append(b, `,"token_ids":null,"prompt_logprobs":null,"prompt_token_ids":null,"routed_experts":null}`...)
	}
	b = g.appendWholeEnd(b, `,"kv_transfer_params":null,"metrics":null}`)
	g.s.respond(w, r, b)
}

func (g *completionGen) stream(w http.ResponseWriter, r *http.Request) {
	includeUsage, continuous := g.req.usage()
	es := g.s.newEventStream(w, r)
	completion := 0
	var b []byte
	k := make([]int, len(g.plans))
	off := make([]int, len(g.plans))
	done := make([]bool, len(g.plans))
	top := g.logprobs()
	for remaining := len(g.plans); remaining > 0; {
		for i := range g.plans {
			if done[i] {
				continue
			}
			p := &g.plans[i]
			piece, isToken := "", true
			if k[i] < len(p.content) {
				piece = p.content[k[i]]
			} else {
				isToken = false
			}
			k[i]++
			last := !isToken || (k[i] == len(p.content) && p.finish == "length")
			completion++
			b = appendHead(b[:0], g.id, "text_completion", g.created, g.model)
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `,"text":`...)
			b = jsonstr.AppendPython(b, piece)
			b = append(b, `,"logprobs":`...)
			if top >= 0 && isToken {
				b = appendCompletionLogprobs(b, []string{piece}, off[i], k[i]-1, top)
				off[i] += len(piece)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `,"finish_reason":`...)
			if last {
				b = jsonstr.AppendPython(b, p.finish)
				b = append(b, `,"stop_reason":`...)
				b = appendStopReason(b, p.stopReason)
				done[i] = true
				remaining--
			} else {
				b = append(b, `null,"stop_reason":null`...)
			}
			b = append(b, `,"prompt_token_ids":null,"token_ids":null}]`...)
			if continuous {
				b = append(b, `,"usage":`...)
				b = appendUsage(b, g.promptTokens, completion, false, 0)
			}
			if last && !includeUsage {
				b = appendChunkFingerprint(b, g.s.cfg.fingerprint)
			}
			b = append(b, '}')
			// Every piece is a generated token, the end-of-sequence one
			// included, and takes its inter-token latency.
			if !es.send(b, true) {
				return
			}
		}
	}
	if includeUsage {
		b = appendHead(b[:0], g.id, "text_completion", g.created, g.model)
		b = append(b, `],"usage":`...)
		b = appendUsage(b, g.promptTokens, g.completionTokens(), false, g.reportedCached())
		b = appendChunkFingerprint(b, g.s.cfg.fingerprint)
		b = append(b, '}')
		if !es.send(b, false) {
			return
		}
	}
	es.done()
}
