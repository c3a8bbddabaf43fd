package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vllmgo/vllm"
)

// imagePart reads an image file into a base64 data-URL content part; the
// error of a file that is not an image of a known type names the file.
func imagePart(path string) (vllm.ContentPart, error) {
	f, err := os.Open(path)
	if err != nil {
		return vllm.ContentPart{}, err
	}
	defer f.Close()
	url, err := vllm.DataURL(f)
	var pe *vllm.ParamError
	switch {
	case errors.As(err, &pe):
		return vllm.ContentPart{}, fmt.Errorf("%s: not an image of a known type (PNG, JPEG, GIF, WebP, BMP, TIFF or AVIF)", path)
	case err != nil:
		return vllm.ContentPart{}, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "vllm: "))
	case !strings.HasPrefix(url, "data:image/"):
		mime, _, _ := strings.Cut(strings.TrimPrefix(url, "data:"), ";")
		return vllm.ContentPart{}, fmt.Errorf("%s: %s, not an image", path, mime)
	}
	return vllm.ImagePart(url), nil
}
