// Several images in one message: compare them.
package main

import (
	"context"
	"fmt"
	"image/color"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(compareImages)
}

// compareImages sends three images in one message and asks how they differ.
func compareImages(ctx context.Context, env *exampleenv.Env) error {
	parts := []vllm.ContentPart{vllm.TextPart("What differs between these images?")}
	for _, c := range []color.RGBA{{R: 255, A: 255}, {G: 255, A: 255}, {B: 255, A: 255}} {
		parts = append(parts, vllm.ImagePart(exampleenv.SampleImageURL(c), "low"))
	}
	resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.UserParts(parts...)},
	})
	if err != nil {
		return err
	}
	fmt.Printf("sent %d images\n", len(parts)-1)
	fmt.Println("answer:", exampleenv.Answer(resp))
	return nil
}
