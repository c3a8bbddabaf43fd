package vllm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

func TestRawSendsBodyAndReturnsBytes(t *testing.T) {
	missing := reply{Status: 404, Body: `{"error":{"message":"The model ` + "`x`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}}`}
	srv := vllm.NewMemServer(t, byPath("/v1/missing", missing, reply{Body: `{"ok":true}`}))
	c := srv.Client(t, vllm.WithAPIKey("k"))
	ctx := context.Background()
	out, err := c.Raw(ctx, "POST", "/chat/completions", []byte(`{"model":"m"}`))
	if err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("Raw = %q, %v", out, err)
	}
	if _, err := c.RawRoot(ctx, "GET", "/health", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Raw(ctx, "GET", "/missing", nil)
	var ae *vllm.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || !errors.Is(err, vllm.ErrModelNotFound) {
		t.Fatalf("error = %v", err)
	}
	type seen struct{ method, path, ctype, auth, body string }
	var got []seen
	for _, r := range srv.Requests() {
		got = append(got, seen{r.Method, r.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(r.Body)})
	}
	want := []seen{
		{"POST", "/v1/chat/completions", "application/json", "Bearer k", `{"model":"m"}`},
		{"GET", "/health", "", "Bearer k", ""},
		{"GET", "/v1/missing", "", "Bearer k", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("requests = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	var pe *vllm.ParamError
	if _, err := c.Raw(ctx, "GET", "health", nil); !errors.As(err, &pe) || pe.Field != "path" {
		t.Fatalf("relative path: %v", err)
	}
}

// Raw sends a body the typed services do not model (here, a line of a batch
// file) through the client's request path and returns the answer as received.
func ExampleClient_Raw() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"))
	defer srv.Close()
	srv.Enqueue(vllmtest.Reply{Content: "Hi!"})
	c, _ := vllm.New(srv.URL)

	body := []byte(`{"model":"m","messages":[{"role":"user","content":"Hello"}],"max_tokens":5}`)
	out, err := c.Raw(context.Background(), "POST", "/chat/completions", body)
	if err != nil {
		fmt.Println(err)
		return
	}
	var resp vllm.ChatResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	// Output: Hi!
}
