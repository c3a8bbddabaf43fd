// An image given by URL: the server fetches it. The detail hint ("low",
// "high", "auto") is optional.
package main

import (
	"context"
	"fmt"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

const imageURL = "https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png"

func main() {
	exampleenv.Run(describeImageURL)
}

// describeImageURL asks about an image the server fetches by URL.
func describeImageURL(ctx context.Context, env *exampleenv.Env) error {
	resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{
		Model: env.Model,
		Messages: []vllm.Message{vllm.UserParts(
			vllm.TextPart("Describe this image in detail."),
			vllm.ImagePart(imageURL, "high"),
		)},
	})
	if err != nil {
		return err
	}
	fmt.Println("image:", imageURL)
	fmt.Println("answer:", exampleenv.Answer(resp))
	return nil
}
