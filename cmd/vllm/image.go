package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/vllmgo/vllm"
)

// imagePart reads an image file into a base64 data-URL content part.
func imagePart(path string) (vllm.ContentPart, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return vllm.ContentPart{}, fmt.Errorf("--image: %w", err)
	}
	mime := http.DetectContentType(b)
	if !strings.HasPrefix(mime, "image/") {
		return vllm.ContentPart{}, usagef("--image %s: not an image (detected %s)", path, mime)
	}
	return vllm.ImageURLPart("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)), nil
}
