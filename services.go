package vllm

// apiServices groups the services beyond chat and completions; its fields are
// promoted into Client. Routes that are a single call (tokenize, score,
// rerank, health, metrics, …) are methods of Client itself.
type apiServices struct {
	// Models lists the served models (GET /v1/models) and resolves a
	// model name against them.
	Models *ModelsService
	// Embeddings calls POST /v1/embeddings.
	Embeddings *EmbeddingsService
	// Audio calls /v1/audio/transcriptions and /v1/audio/translations.
	Audio *AudioService
	// Responses calls the Responses API (/v1/responses).
	Responses *ResponsesService
	// LoRA loads and unloads LoRA adapters at run time.
	LoRA *LoRAService
	// Dev calls the development endpoints (sleep, wake up, cache resets)
	// that vLLM serves only with VLLM_SERVER_DEV_MODE=1.
	Dev *DevService
}

// initAPIServices creates the services of apiServices for c.
func (c *Client) initAPIServices() {
	c.Models = &ModelsService{c: c}
	c.Embeddings = &EmbeddingsService{c: c}
	c.Audio = &AudioService{c: c}
	c.Responses = &ResponsesService{c: c}
	c.LoRA = &LoRAService{c: c}
	c.Dev = &DevService{c: c}
}
