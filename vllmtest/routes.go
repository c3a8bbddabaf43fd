package vllmtest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// registerRoutes registers every route the server serves. Recording, the API
// key check (paths under /v1) and request-level faults (status, header delay,
// reset, drop) happen before any route runs; a handler answers successful
// JSON with s.respond and streams with s.newEventStream, so that the
// response-level faults work on every route.
func (s *Server) registerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/v1/chat/completions", s.handleChat)
	mux.HandleFunc("/v1/completions", s.handleCompletions)
	mux.HandleFunc("/v1/chat/completions/render", s.handleChatRender)
	mux.HandleFunc("/v1/completions/render", s.handleCompletionRender)
	mux.HandleFunc("/v1/chat/completions/batch", s.handleChatBatch)
	mux.HandleFunc("/inference/v1/generate", s.handleGenerate)
	mux.HandleFunc("/v1/models", s.handleModels)
	mux.HandleFunc("/v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("/tokenize", s.handleTokenize)
	mux.HandleFunc("/detokenize", s.handleDetokenize)
	mux.HandleFunc("/health", s.handleHealth)
	mux.HandleFunc("/ping", s.handleHealth)
	mux.HandleFunc("/version", s.handleVersion)
	mux.HandleFunc("/", s.handleNotFound)

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

// handleNotFound answers unknown routes as FastAPI does.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSONBytes(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
}

// handleHealth answers /health and /ping: 200 with an empty body.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !(r.URL.Path == "/ping" && r.Method == http.MethodPost) {
		methodNotAllowed(w)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// handleVersion answers {"version": …}.
func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	b := append([]byte(`{"version":`), jsonstr.AppendPython(nil, s.cfg.version)...)
	s.respond(w, r, append(b, '}'))
}

// handleModels lists the served models and LoRA adapters (static, then
// loaded at run time) in vLLM's shape.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	created := time.Now().Unix()
	b := []byte(`{"object":"list","data":[`)
	// Adapters loaded at run time follow the served models, as in vLLM.
	for i, m := range append(s.cfg.models[:len(s.cfg.models):len(s.cfg.models)], s.runtimeAdapters()...) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonstr.AppendPython(b, m.name)
		b = append(b, `,"object":"model","created":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"owned_by":"vllm","root":`...)
		b = jsonstr.AppendPython(b, m.root)
		b = append(b, `,"parent":`...)
		if m.parent == "" {
			b = append(b, "null"...)
		} else {
			b = jsonstr.AppendPython(b, m.parent)
		}
		b = append(b, `,"max_model_len":`...)
		if m.parent == "" {
			b = strconv.AppendInt(b, int64(m.maxModelLen), 10)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"permission":[{"id":"modelperm-`...)
		b = append(b, s.nextID()...)
		b = append(b, `","object":"model_permission","created":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}]}`...)
	}
	s.respond(w, r, append(b, "]}"...))
}
