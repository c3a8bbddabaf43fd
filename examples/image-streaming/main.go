// Streaming the answer about an image read from a file.
package main

import (
	"context"
	"fmt"
	"image/color"
	"os"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	exampleenv.Run(streamImageAnswer)
}

// streamImageAnswer streams the answer about an image read from a file.
func streamImageAnswer(ctx context.Context, env *exampleenv.Env) error {
	path, err := exampleenv.SampleImageFile("chart.png", color.RGBA{R: 30, G: 120, B: 200, A: 255})
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	url, err := vllm.DataURL(f) // the file is read once, streamed into base64
	f.Close()
	if err != nil {
		return err
	}
	img := vllm.ImagePart(url)
	s, err := env.Client.Chat.Stream(ctx, &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.UserParts(vllm.TextPart("Explain this chart."), img)},
	})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Print("answer: ")
	for ev, err := range s.Events() {
		if err != nil {
			return err
		}
		if ev.Type == vllm.EventContent {
			fmt.Print(ev.Text)
		}
	}
	fmt.Println()
	return nil
}
