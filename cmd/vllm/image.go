package main

import (
	"github.com/vllmgo/vllm"
)

// imagePart reads an image file into a base64 data-URL content part; a file
// that is not an image of a known type is a usage error.
func imagePart(path string) (vllm.ContentPart, error) {
	part, err := vllm.ImageFilePart(path)
	if err != nil {
		return vllm.ContentPart{}, usagef("--image %s: %v", path, err)
	}
	return part, nil
}
