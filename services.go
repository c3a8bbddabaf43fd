package vllm

// apiServices groups the services beyond chat and completions (models,
// embeddings, tokenize, …); its fields are promoted into Client.
type apiServices struct{}

// initAPIServices creates the services of apiServices for c.
func (c *Client) initAPIServices() {}
