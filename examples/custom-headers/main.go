// Custom headers: headers on every request of a client, headers on one
// request, and fields vLLM accepts beyond the typed ones (request_id,
// custom fields) through Extra.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.RunWith(exampleenv.Setup{Client: []vllm.Option{
		vllm.WithHeader("X-Team", "search"),
		vllm.WithHeader("User-Agent", "my-service/1.2"),
	}}, sendHeaders)
}

// sendHeaders sends one request with client-wide headers, per-request
// headers and extra body fields.
func sendHeaders(ctx context.Context, env *exampleenv.Env) error {
	req := &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.User("Hello!")},
		Extra:    map[string]any{"request_id": "req-12345", "custom_field": "custom_value"},
	}
	resp, err := env.Client.Chat.Create(ctx, req,
		vllm.WithHeader("X-Request-Id", "req-12345"),
		vllm.WithHeader("X-Tenant", "acme"),
	)
	if err != nil {
		return err
	}
	fmt.Println("answer:", exampleenv.Answer(resp))

	// With the embedded server we can show what went over the wire.
	if env.Server != nil {
		r, _ := env.Server.LastRequest()
		for _, h := range []string{"X-Team", "X-Tenant", "X-Request-Id", "User-Agent"} {
			fmt.Printf("sent %s: %s\n", h, r.Header.Get(h))
		}
		fmt.Printf("sent body fields: request_id=%v custom_field=%v\n", r.JSON["request_id"], r.JSON["custom_field"])
	}
	return nil
}
