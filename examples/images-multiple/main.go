// Several images in one message: compare them.
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

	parts := []vllm.ContentPart{vllm.TextPart("What differs between these images?")}
	for _, c := range []color.RGBA{{R: 255, A: 255}, {G: 255, A: 255}, {B: 255, A: 255}} {
		img, err := vllm.ImagePart(exampleenv.SampleImage(c), "low")
		if err != nil {
			log.Fatal(err)
		}
		parts = append(parts, img)
	}
	resp, err := env.Client.Chat.Create(context.Background(), &vllm.ChatRequest{
		Model:    env.Model,
		Messages: []vllm.Message{vllm.UserParts(parts...)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sent %d images\n", len(parts)-1)
	fmt.Println("answer:", exampleenv.Answer(resp))
}
