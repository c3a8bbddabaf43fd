// Streaming the answer about an image read from a file.
package main

import (
	"context"
	"fmt"
	"image/color"
	"log"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

func main() {
	env := exampleenv.Start(nil)
	defer env.Close()

	path, err := exampleenv.SampleImageFile("chart.png", color.RGBA{R: 30, G: 120, B: 200, A: 255})
	if err != nil {
		log.Fatal(err)
	}
	img, err := vllm.ImageFilePart(path)
	if err != nil {
		log.Fatal(err)
	}
	s, err := env.Client.Chat.Stream(context.Background(), &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.UserParts(vllm.TextPart("Explain this chart."), img)},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Print("answer: ")
	for ev, err := range s.Events() {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Type == vllm.EventContent {
			fmt.Print(ev.Text)
		}
	}
	fmt.Println()
}
