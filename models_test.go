package vllm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

const oneModel = `{"object":"list","data":[{"id":"Qwen/Qwen3-8B","object":"model","created":1,"owned_by":"vllm","root":"Qwen/Qwen3-8B","parent":null,"max_model_len":40960,"permission":[]}]}`

const baseAndAdapter = `{"object":"list","data":[{"id":"base","object":"model","created":1,"owned_by":"vllm","root":"base","parent":null,"max_model_len":4096,"permission":[]},{"id":"sql","object":"model","created":1,"owned_by":"vllm","root":"/a/sql","parent":"base","max_model_len":null,"permission":[]}]}`

const twoBases = `{"object":"list","data":[{"id":"a","object":"model","created":1,"owned_by":"vllm","root":"a","parent":null,"max_model_len":4096,"permission":[]},{"id":"b","object":"model","created":1,"owned_by":"vllm","root":"b","parent":null,"max_model_len":4096,"permission":[]}]}`

func TestModelsDefault(t *testing.T) {
	for _, tc := range []struct{ body, want string }{{oneModel, "Qwen/Qwen3-8B"}, {baseAndAdapter, "base"}} {
		c := vllm.NewMemServer(t, reply{Body: tc.body}).Client(t)
		got, err := c.Models.Default(ctxT(t))
		if err != nil || got != tc.want {
			t.Fatalf("Default = %q, %v; want %q", got, err, tc.want)
		}
		got, err = c.Models.Resolve(ctxT(t), "")
		if err != nil || got != tc.want {
			t.Fatalf("Resolve(\"\") = %q, %v", got, err)
		}
	}
	c := vllm.NewMemServer(t, reply{Body: twoBases}).Client(t)
	_, err := c.Models.Default(ctxT(t))
	var mnf *vllm.ModelNotFoundError
	if !errors.Is(err, vllm.ErrModelNotFound) || !errors.As(err, &mnf) || !mnf.Ambiguous || !strings.Contains(err.Error(), "served: a, b") {
		t.Fatalf("err = %v", err)
	}
	c = vllm.NewMemServer(t, reply{Body: `{"object":"list","data":[]}`}).Client(t)
	if _, err := c.Models.Default(ctxT(t)); !errors.Is(err, vllm.ErrModelNotFound) || !strings.Contains(err.Error(), "serves none") {
		t.Fatalf("err = %v", err)
	}
}

func TestModelsRetrieveNotFound(t *testing.T) {
	c := vllm.NewMemServer(t, reply{Body: baseAndAdapter}).Client(t)
	m, err := c.Models.Retrieve(ctxT(t), "sql")
	if err != nil || m.Parent != "base" || m.Root != "/a/sql" {
		t.Fatalf("Retrieve = %+v, %v", m, err)
	}
	if got, err := c.Models.Resolve(ctxT(t), "base"); err != nil || got != "base" {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
	_, err = c.Models.Retrieve(ctxT(t), "llama")
	var mnf *vllm.ModelNotFoundError
	if !errors.Is(err, vllm.ErrModelNotFound) || !errors.As(err, &mnf) || mnf.Model != "llama" ||
		err.Error() != `vllm: model "llama" is not served; served: base, sql` {
		t.Fatalf("err = %v", err)
	}
}

// TestModelsExplain turns the server's 404 for an unknown model into an error
// listing the served models, keeping the *APIError reachable.
func TestModelsExplain(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Status: 404, Body: `{"error":{"message":"The model ` + "`llama`" + ` does not exist.","type":"NotFoundError","param":"model","code":404}}`})
	c := s.Client(t)
	_, apiErr := c.Embeddings.Create(ctxT(t), &vllm.EmbeddingRequest{Model: "llama", Input: vllm.PromptText("x")})
	s.Handle(reply{Body: oneModel})
	err := c.Models.Explain(ctxT(t), "llama", apiErr)
	var mnf *vllm.ModelNotFoundError
	var ae *vllm.APIError
	if !errors.As(err, &mnf) || !errors.As(err, &ae) || ae.StatusCode != 404 || !errors.Is(err, vllm.ErrModelNotFound) ||
		!strings.Contains(err.Error(), "served: Qwen/Qwen3-8B") {
		t.Fatalf("err = %v", err)
	}
	other := errors.New("boom")
	if got := c.Models.Explain(ctxT(t), "llama", other); got != other {
		t.Fatalf("Explain changed an unrelated error: %v", got)
	}
}
