// A conversation about an image: the image stays in the history, so later
// questions can refer to it.
package main

import (
	"context"
	"fmt"
	"image/color"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(discussImage)
}

// discussImage asks three questions about one image, keeping it in the history.
func discussImage(ctx context.Context, env *exampleenv.Env) error {
	img := vllm.ImagePart(exampleenv.SampleImageURL(color.RGBA{R: 250, G: 200, A: 255}))
	history := []vllm.Message{vllm.UserParts(vllm.TextPart("What's in this screenshot?"), img)}
	for i, next := range []string{"What color is the background?", "Is there a line across it?", ""} {
		resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{Model: env.Model, Messages: history})
		if err != nil {
			return err
		}
		fmt.Printf("turn %d (%d messages sent): %s\n", i+1, len(history), resp.Text())
		if next == "" {
			break
		}
		history = append(history, resp.AssistantMessage(), vllm.User(next))
	}
	return nil
}
