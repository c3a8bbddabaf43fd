// Batch processing: many prompts with bounded concurrency, results in input
// order, one failure not stopping the rest, and progress as items finish.
// (For batch files in the OpenAI/vLLM JSONL format, see "vllm batch".)
package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/batch"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.RunWith(exampleenv.Setup{Client: []vllm.Option{vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 3})}}, greetInBatch)
}

// greetInBatch sends six prompts as one batch, one of them broken, then
// counts the answers' words with batch.Run.
func greetInBatch(ctx context.Context, env *exampleenv.Env) error {
	prompts := []string{"Hello", "Hi", "Hey", "Good morning", "Greetings", "Howdy"}
	reqs := make([]*vllm.ChatRequest, len(prompts))
	for i, p := range prompts {
		reqs[i] = &vllm.ChatRequest{Model: env.Model, Messages: []vllm.Message{vllm.User(p)}}
		reqs[i].MaxTokens = vllm.Ptr(8)
	}
	// One request is broken on purpose: it fails alone.
	reqs[3].Model = "no-such-model"

	results := batch.Run(ctx, reqs, func(ctx context.Context, r *vllm.ChatRequest) (*vllm.ChatResponse, error) {
		return env.Client.Chat.Create(ctx, r)
	}, &batch.Options{
		Concurrency: 3,
		OnProgress: func(p batch.Progress) {
			fmt.Printf("progress: %d/%d done, %d failed\n", p.Done, p.Total, p.Failed)
		},
	})
	for _, r := range results {
		if r.Err != nil {
			fmt.Printf("%d %-13q error: %v\n", r.Index, prompts[r.Index], r.Err)
			continue
		}
		fmt.Printf("%d %-13q %s\n", r.Index, prompts[r.Index], r.Value.Text())
	}

	// Any function can be batched: here, embeddings-free word counts of the
	// answers, computed concurrently with batch.Run.
	counts := batch.Run(ctx, results, func(_ context.Context, r batch.Result[*vllm.ChatResponse]) (int, error) {
		if r.Err != nil {
			return 0, r.Err
		}
		return len(strings.Fields(r.Value.Text())), nil
	}, nil)
	total := 0
	for _, c := range counts {
		total += c.Value
	}
	fmt.Println("words in all answers:", total)
	return nil
}
