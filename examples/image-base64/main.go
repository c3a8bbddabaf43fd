// An image sent inline as a base64 data URL, its type detected from its
// bytes (not its name).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/color"
	"os"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/examples/internal/exampleenv"
)

var imagePath = flag.String("image", "", "image file to send (default: a generated PNG)")

func main() {
	flag.Parse()
	exampleenv.Run(describeInlineImage)
}

// describeInlineImage sends an image inline and asks about it, then shows a
// text file refused as an image.
func describeInlineImage(ctx context.Context, env *exampleenv.Env) error {
	var url string
	var err error
	if *imagePath != "" {
		url, err = fileDataURL(*imagePath)
	} else {
		url, err = vllm.DataURL(bytes.NewReader(exampleenv.SampleImage(color.RGBA{R: 200, A: 255})))
	}
	if err != nil {
		return err // e.g. not an image: the type is never guessed
	}
	img := vllm.ImagePart(url)
	resp, err := env.Client.Chat.Create(ctx, &vllm.ChatRequest{
		Model:    env.Model, // a vision model, e.g. Qwen/Qwen2.5-VL-7B-Instruct
		Messages: []vllm.Message{vllm.UserParts(vllm.TextPart("Describe this image."), img)},
	})
	if err != nil {
		return err
	}
	fmt.Printf("sent %s… (%d bytes of data URL)\n", img.ImageURL.URL[:22], len(img.ImageURL.URL))
	fmt.Println("answer:", exampleenv.Answer(resp))

	_, err = vllm.DataURL(bytes.NewReader([]byte("plain text, not an image")))
	fmt.Println("a text file as an image:", err)
	return nil
}

// fileDataURL reads the file at path once, streamed into a base64 data URL.
func fileDataURL(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return vllm.DataURL(f)
}
