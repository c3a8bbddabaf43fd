package vllmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Operations routes: /metrics (Prometheus text with vLLM's metric names),
// /load, runtime LoRA loading (/v1/load_lora_adapter,
// /v1/unload_lora_adapter) and the development endpoints (/sleep, /wake_up,
// /is_sleeping, /reset_prefix_cache, /reset_mm_cache). Unlike vLLM, which
// serves LoRA loading only with VLLM_ALLOW_RUNTIME_LORA_UPDATING and the
// development endpoints only with VLLM_SERVER_DEV_MODE, the test server
// always serves them.

func nowUnix() int64 { return time.Now().Unix() }

type opsState struct {
	mu       sync.Mutex
	adapters []model // LoRA adapters loaded at run time, in load order
	sleeping bool
	resets   int
}

// handleMetrics renders vLLM's main metrics. Counters are derived from the
// requests recorded so far: every chat, completion and response request
// counts as one finished request ("stop"), its body's tokens as prompt
// tokens.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	finished, prompt := 0, 0
	for _, rec := range s.Requests() {
		switch rec.Path {
		case "/v1/chat/completions", "/v1/completions", "/v1/responses":
			finished++
			prompt += countTokens(string(rec.Body))
		}
	}
	model := s.cfg.models[0].name
	labels := fmt.Sprintf(`engine="0",model_name=%q`, model)
	var b strings.Builder
	metric := func(name, typ, help string, value float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s{%s} %s\n", name, help, name, typ, name, labels, pyFloat(value))
	}
	metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", 0)
	metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", 0)
	metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", 0)
	metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", float64(prompt))
	metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", float64(finished*s.cfg.tokens))
	queries, hits := s.cache.counters()
	metric("vllm:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.", float64(queries))
	metric("vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.", float64(hits))
	fmt.Fprintf(&b, "# HELP vllm:request_success_total Count of successfully processed requests.\n# TYPE vllm:request_success_total counter\n")
	fmt.Fprintf(&b, "vllm:request_success_total{%s,finished_reason=\"stop\"} %s\n", labels, pyFloat(float64(finished)))
	histogram := func(name, help string, bounds []float64, each float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
		fmt.Fprintf(&b, "%s_sum{%s} %s\n", name, labels, pyFloat(each*float64(finished)))
		for _, le := range bounds {
			n := 0
			if each <= le {
				n = finished
			}
			fmt.Fprintf(&b, "%s_bucket{%s,le=\"%s\"} %s\n", name, labels, pyFloat(le), pyFloat(float64(n)))
		}
		fmt.Fprintf(&b, "%s_bucket{%s,le=\"+Inf\"} %s\n", name, labels, pyFloat(float64(finished)))
		fmt.Fprintf(&b, "%s_count{%s} %s\n", name, labels, pyFloat(float64(finished)))
	}
	ttft := max(s.cfg.ttft.Seconds(), 0.001)
	histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}, ttft)
	e2e := ttft + s.cfg.itl.Seconds()*float64(s.cfg.tokens)
	histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60}, e2e)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// pyFloat formats v as Python's prometheus client does: always with a
// decimal point or exponent.
func pyFloat(v float64) string {
	s := fmt.Sprint(v)
	if !strings.ContainsAny(s, ".eEI") {
		s += ".0"
	}
	return s
}

// handleLoad answers /load: the server's load (always 0 here).
func (s *Server) handleLoad(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	s.respond(w, r, []byte(`{"server_load":0}`))
}

type loraRequest struct {
	Name        string `json:"lora_name"`
	Path        string `json:"lora_path"`
	LoadInplace bool   `json:"load_inplace"`
}

// plainOK answers 200 with a text body, as vLLM's LoRA routes do.
func plainOK(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(text))
}

func (s *Server) handleLoadLoRA(st *opsState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req loraRequest
		if !s.decodePost(w, r, &req) {
			return
		}
		if req.Name == "" || req.Path == "" {
			writeError(w, http.StatusBadRequest, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided.", "")
			return
		}
		_, static := s.lookupStatic(req.Name)
		st.mu.Lock()
		i := st.adapter(req.Name)
		if (static || i >= 0) && !req.LoadInplace {
			st.mu.Unlock()
			writeError(w, http.StatusBadRequest, "InvalidUserInput", "The lora adapter '"+req.Name+"' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.", "")
			return
		}
		// vLLM names the first served model as the parent of an adapter
		// loaded at run time.
		m := model{name: req.Name, root: req.Path, parent: s.cfg.models[0].name, maxModelLen: s.cfg.maxModelLen}
		if i >= 0 {
			st.adapters[i] = m
		} else {
			st.adapters = append(st.adapters, m)
		}
		st.mu.Unlock()
		plainOK(w, "Success: LoRA adapter '"+req.Name+"' added successfully.")
	}
}

func (s *Server) handleUnloadLoRA(st *opsState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req loraRequest
		if !s.decodePost(w, r, &req) {
			return
		}
		if req.Name == "" {
			writeError(w, http.StatusBadRequest, "InvalidUserInput", "'lora_name' needs to be provided to unload a LoRA adapter.", "")
			return
		}
		st.mu.Lock()
		i := st.adapter(req.Name)
		ok := i >= 0
		if ok {
			st.adapters = append(st.adapters[:i], st.adapters[i+1:]...)
		}
		st.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, TypeNotFound, "The lora adapter '"+req.Name+"' cannot be found.", "")
			return
		}
		plainOK(w, "Success: LoRA adapter '"+req.Name+"' removed successfully.")
	}
}

// adapter returns the index of the run-time adapter named name, or -1.
// st.mu must be held.
func (st *opsState) adapter(name string) int {
	for i := range st.adapters {
		if st.adapters[i].name == name {
			return i
		}
	}
	return -1
}

// runtimeAdapters returns a copy of the adapters loaded at run time.
func (s *Server) runtimeAdapters() []model {
	if s.ops == nil {
		return nil
	}
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	return append([]model(nil), s.ops.adapters...)
}

// devHandler answers a development endpoint: POST, empty 200 body.
func (s *Server) devHandler(st *opsState, fn func(r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		st.mu.Lock()
		fn(r)
		st.mu.Unlock()
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) handleIsSleeping(st *opsState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			methodNotAllowed(w)
			return
		}
		st.mu.Lock()
		b, _ := json.Marshal(map[string]bool{"is_sleeping": st.sleeping})
		st.mu.Unlock()
		s.respond(w, r, b)
	}
}

// handleTokenizerInfo answers /tokenizer_info (which vLLM serves only with
// --enable-tokenizer-info-endpoint) with the toy tokenizer's configuration.
func (s *Server) handleTokenizerInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	b, _ := marshal(struct {
		TokenizerClass string `json:"tokenizer_class"`
		ModelMaxLength int    `json:"model_max_length"`
	}{"VllmtestTokenizer", s.cfg.maxModelLen})
	s.respond(w, r, b)
}
