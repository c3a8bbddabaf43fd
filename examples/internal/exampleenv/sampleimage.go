package exampleenv

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

// SampleImage returns a small PNG (a colored square with a diagonal), made
// here so that the image examples need no file; pass -image PATH to an
// example to send your own instead.
func SampleImage(c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, c)
			if x == y {
				img.Set(x, y, color.Black)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// SampleImageURL returns SampleImage as a base64 data URL, ready for
// vllm.ImagePart, for the examples about something other than how an image
// is encoded (image-base64 shows that, with vllm.DataURL).
func SampleImageURL(c color.RGBA) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(SampleImage(c))
}

// SampleImageFile writes SampleImage to a temporary file and returns its
// path, for the examples that read images from disk.
func SampleImageFile(name string, c color.RGBA) (string, error) {
	dir, err := os.MkdirTemp("", "vllm-example")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, SampleImage(c), 0o644)
}
