package vllmtest

import "net/http"

// registerMoreRoutes registers the routes beyond chat, completions, models,
// embeddings, tokenize and health: pooling, classify, score, rerank, audio,
// responses, metrics, LoRA loading and the development endpoints.
//
// OWNERSHIP: the body of this function (and the handlers it registers) is
// owned by the "api" helper; the vllmtest helper only created the hook.
//
// Helpers a handler here can use (all in this package):
//
//   - s.decodeBody(w, r, &v) bool — decodes the JSON body into v, answering
//     400 with vLLM's validation error body and returning false on failure.
//   - s.checkModel(w, name) (*model, bool) — answers 404 "The model `x` does
//     not exist." (type NotFoundError, param null) for an unknown model;
//     "" means the default model.
//   - s.lookupModel(name) — the same check without answering.
//   - writeError(w, status, typ, message, param) — vLLM's error body
//     {"error":{"message","type","param","code"}}; typ "" derives the type
//     from the status. ErrorBody builds the bytes.
//   - validationError(w, message, param) — a 400 "Bad Request" validation
//     error as FastAPI/pydantic rejections produce.
//   - s.respond(w, r, body) — writes a 200 JSON body, applying the
//     request's fault (truncation, garbage, stall, drop). Use it for every
//     successful JSON answer so that faults work on every route.
//   - s.newEventStream(w, r) then es.send(data, token) / es.done() — an SSE
//     response ("data: …\n\n", "data: [DONE]") with pacing and faults.
//   - appendString(b, s) — a JSON string as vLLM's serializers write it;
//     marshal(v) — JSON without HTML escaping.
//   - exchangeOf(r).rec — the recorded Request (headers, raw body, JSON);
//     s.updateRecord(exchangeOf(r), func(*Request)) to store decoded forms.
//   - s.nextID() — a fresh 32-hex-digit id; s.sleep(ctx, d) — a wait that
//     ends when the client leaves or the server closes.
//   - methodNotAllowed(w) — FastAPI's 405.
//
// Recording, the API key check (paths under /v1) and request-level faults
// (status, header delay, reset, drop) happen before any route runs.
func (s *Server) registerMoreRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/pooling", s.handlePooling)
	mux.HandleFunc("/classify", s.handleClassify)
	mux.HandleFunc("/score", s.handleScore)
	mux.HandleFunc("/v1/score", s.handleScore)
	mux.HandleFunc("/rerank", s.handleRerank)
	mux.HandleFunc("/v1/rerank", s.handleRerank)
	mux.HandleFunc("/v2/rerank", s.handleRerank)

	mux.HandleFunc("/v1/audio/transcriptions", s.handleTranscription)
	mux.HandleFunc("/v1/audio/translations", s.handleTranslation)

	rs := &responsesState{store: map[string]*responseObject{}}
	mux.HandleFunc("/v1/responses", s.handleResponses(rs))
	mux.HandleFunc("/v1/responses/", s.handleResponseByID(rs))

	ops := &opsState{}
	s.ops = ops // /v1/models lists its adapters, requests may name them
	mux.HandleFunc("/metrics", s.handleMetrics)
	mux.HandleFunc("/load", s.handleLoad)
	mux.HandleFunc("/tokenizer_info", s.handleTokenizerInfo)
	mux.HandleFunc("/v1/load_lora_adapter", s.handleLoadLoRA(ops))
	mux.HandleFunc("/v1/unload_lora_adapter", s.handleUnloadLoRA(ops))
	mux.HandleFunc("/sleep", s.devHandler(ops, func(*http.Request) { ops.sleeping = true }))
	mux.HandleFunc("/wake_up", s.devHandler(ops, func(*http.Request) { ops.sleeping = false }))
	mux.HandleFunc("/is_sleeping", s.handleIsSleeping(ops))
	mux.HandleFunc("/reset_prefix_cache", s.devHandler(ops, func(*http.Request) { ops.resets++; s.cache.reset() }))
	mux.HandleFunc("/reset_mm_cache", s.devHandler(ops, func(*http.Request) { ops.resets++ }))
}
