package vllm_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

// vLLM's routers answer 200 with an error object when the model does not
// serve the API (vLLM issue #16831); proxies do the same with the flat shape.
// Every JSON route must return an *APIError for such a body, not a success
// with nothing in it.
func TestOKStatusWithErrorBodyIsAnAPIError(t *testing.T) {
	bodies := []struct {
		name, body          string
		status              int
		typ, msg, param, cd string
	}{
		{"nested", `{"error":{"message":"The model does not support Chat Completions API","code":400}}`,
			400, "", "The model does not support Chat Completions API", "", "400"},
		{"nested typed", `{"error":{"message":"no such model","type":"NotFoundError","param":"model","code":404}}`,
			404, "NotFoundError", "no such model", "model", "404"},
		{"flat", `{"object":"error","message":"upstream overloaded","type":"ServiceUnavailableError","param":null,"code":503}`,
			503, "ServiceUnavailableError", "upstream overloaded", "", "503"},
		{"code not a status", `{"error":{"message":"quota exceeded","type":"insufficient_quota","code":"quota"}}`,
			200, "insufficient_quota", "quota exceeded", "", "quota"},
	}
	calls := []struct {
		name string
		call func(context.Context, *vllm.Client) error
	}{
		{"chat", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Chat.Create(ctx, chatReq())
			return err
		}},
		{"completions", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Completions.Create(ctx, &vllm.CompletionRequest{Model: "m", Prompt: vllm.PromptText("hi")})
			return err
		}},
		{"embeddings", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Embeddings.Create(ctx, &vllm.EmbeddingRequest{Model: "m", Input: vllm.PromptText("hi")})
			return err
		}},
		{"models", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Models.List(ctx)
			return err
		}},
		{"raw", func(ctx context.Context, c *vllm.Client) error {
			_, err := c.Raw(ctx, http.MethodPost, "/chat/completions", []byte(`{}`))
			return err
		}},
	}
	for _, b := range bodies {
		for _, cl := range calls {
			t.Run(b.name+"/"+cl.name, func(t *testing.T) {
				c := vllm.NewMemServer(t, reply{Status: 200, Body: b.body}).Client(t)
				err := cl.call(ctxT(t), c)
				var ae *vllm.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v (%T), want an *APIError", err, err)
				}
				if ae.StatusCode != b.status || ae.Type != b.typ || ae.Message != b.msg || ae.Param != b.param || ae.Code != b.cd {
					t.Fatalf("got %+v", ae)
				}
				if string(ae.Body) != b.body {
					t.Fatalf("body %q", ae.Body)
				}
			})
		}
	}
}

// A success response that merely has an "error" member (a Responses API
// object carries "error": null, or an error object when it failed) is not
// an error body.
func TestOKStatusResponseObjectWithErrorMemberIsNotAnError(t *testing.T) {
	for _, body := range []string{
		`{"id":"resp_1","object":"response","created_at":1,"model":"m","status":"completed","error":null,"output":[]}`,
		`{"id":"resp_1","object":"response","created_at":1,"model":"m","status":"failed","error":{"code":"server_error","message":"engine died"},"output":[]}`,
	} {
		c := vllm.NewMemServer(t, reply{Status: 200, Body: body}).Client(t)
		if _, err := c.Responses.Get(ctxT(t), "resp_1"); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
}

// vllmtest's 200-with-an-error-body faults give the same *APIError, for
// Create and Stream alike.
func TestOKStatusErrorBodyFromVLLMTest(t *testing.T) {
	for _, kind := range []vllmtest.FaultKind{vllmtest.FaultOKError, vllmtest.FaultOKErrorFlat} {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork(), vllmtest.WithModel("m"), vllmtest.WithFault(vllmtest.Fault{Kind: kind, Status: 400,
			Message: "The model does not support Chat Completions API"}))
		c := newClient(t, srv.URL)
		_, err := c.Chat.Create(ctxT(t), chatReq())
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Message != "The model does not support Chat Completions API" {
			t.Errorf("%v Create: %v", kind, err)
		}
		_, err = c.Chat.Stream(ctxT(t), chatReq())
		if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Message != "The model does not support Chat Completions API" {
			t.Errorf("%v Stream: %v", kind, err)
		}
		srv.Close()
	}
}

// The chat decoder's fast path runs as soon as an attempt has read its body
// (a success object needs no check for an error object). A retry after an
// error object it decoded must not return that stale decoding when the next
// body is one the fast path leaves to encoding/json (logprobs).
func TestOKStatusErrorBodyThenRetryDecodesTheNewBody(t *testing.T) {
	second := `{"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,` +
		`"message":{"role":"assistant","content":"second"},"logprobs":{"content":[{"token":"second","logprob":-0.5,"bytes":[115],"top_logprobs":[]}]},` +
		`"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		if n == 0 {
			w.Write([]byte(`{"object":"error","message":"upstream overloaded","type":"ServiceUnavailableError","param":null,"code":503}`))
			return
		}
		w.Write([]byte(second))
	}))
	resp, err := srv.Client(t, fastRetry(1)).Chat.Create(ctxT(t), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if srv.Count() != 2 || resp.ID != "chatcmpl-2" || resp.Object != "chat.completion" || resp.Text() != "second" ||
		resp.Choices[0].Logprobs == nil || len(resp.Choices[0].Logprobs.Content) != 1 || string(resp.Raw) != second {
		t.Fatalf("%d requests, response %+v", srv.Count(), resp)
	}
}

// A middleware that replaces the response body after the attempt has read
// (and decoded) the original gets its replacement decoded.
func TestMiddlewareReplacedBodyIsDecoded(t *testing.T) {
	replacement := bytes.Replace(chatFixture, []byte(`"chatcmpl-`), []byte(`"chatcmpl-replaced-`), 1)
	c := vllm.NewMemServer(t, okChats).Client(t, vllm.WithMiddleware(func(next vllm.RoundTrip) vllm.RoundTrip {
		return func(ctx context.Context, req *vllm.RequestInfo) (*http.Response, error) {
			resp, err := next(ctx, req)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(replacement))
			return resp, nil
		}
	}))
	resp, err := c.Chat.Create(ctxT(t), chatReq())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.ID, "chatcmpl-replaced-") || !bytes.Equal(resp.Raw, replacement) {
		t.Fatalf("ID %q, raw %s", resp.ID, resp.Raw)
	}
}
