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
	if m, err := c.Models.Retrieve(ctxT(t), "base"); err != nil || m.Parent != "" {
		t.Fatalf("Retrieve base = %+v, %v", m, err)
	}
	_, err = c.Models.Retrieve(ctxT(t), "llama")
	var mnf *vllm.ModelNotFoundError
	if !errors.Is(err, vllm.ErrModelNotFound) || !errors.As(err, &mnf) || mnf.Model != "llama" ||
		err.Error() != `vllm: model "llama" is not served; served: base, sql` {
		t.Fatalf("err = %v", err)
	}
}
