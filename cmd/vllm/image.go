package main

import (
	"fmt"
	"strings"

	"github.com/vllmgo/vllm"
)

// imagePart reads an image file into a base64 data-URL content part; the
// error of a file that is not an image of a known type names the file.
func imagePart(path string) (vllm.ContentPart, error) {
	part, err := vllm.ImageFilePart(path)
	if err != nil {
		return vllm.ContentPart{}, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "vllm: "))
	}
	return part, nil
}
