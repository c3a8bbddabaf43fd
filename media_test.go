package vllm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Real encodings of a 2×2 image by the standard library's encoders.
func encodedImage(t *testing.T, format string) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White})
	img.SetColorIndex(1, 1, 1)
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bmp1x1 is a valid 1×1 24-bit BMP: file header, BITMAPINFOHEADER, one
// padded pixel row.
func bmp1x1() []byte {
	b := make([]byte, 58)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], 58)
	binary.LittleEndian.PutUint32(b[10:], 54)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], 1)
	binary.LittleEndian.PutUint32(b[22:], 1)
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 24)
	b[54], b[55], b[56] = 0xff, 0x00, 0x00
	return b
}

// webp1x1 is a 1×1 lossless WebP.
var webp1x1 = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// wavSilence is a valid WAV file of n silent 16-bit mono samples at 16 kHz.
func wavSilence(n int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(2*n))
	b.Write(make([]byte, 2*n))
	return b.Bytes()
}

// mp3Frame is an MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) and
// zero padding, without an ID3 tag.
var mp3Frame = append([]byte{0xff, 0xfb, 0x90, 0x64}, make([]byte, 413)...)

func TestDetectMediaType(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"png", encodedImage(t, "png"), "image/png"},
		{"jpeg", encodedImage(t, "jpeg"), "image/jpeg"},
		{"gif", encodedImage(t, "gif"), "image/gif"},
		{"webp", webp1x1, "image/webp"},
		{"bmp", bmp1x1(), "image/bmp"},
		{"tiff le", []byte("II*\x00\x08\x00\x00\x00"), "image/tiff"},
		{"avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00"), "image/avif"},
		{"wav", wavSilence(4), "audio/wav"},
		{"mp3 frame", mp3Frame, "audio/mpeg"},
		{"mp3 id3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "audio/mpeg"},
		{"flac", []byte("fLaC\x00\x00\x00\x22"), "audio/flac"},
		{"ogg", []byte("OggS\x00\x02"), "audio/ogg"},
		{"m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), "audio/mp4"},
		{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "video/mp4"},
		{"webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), "video/webm"},
		{"heic is not supported", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), ""},
		{"text starting with BM", []byte("BMW is a car maker, not a bitmap."), ""},
		{"plain text", []byte("hello"), ""},
		{"empty", nil, ""},
		{"truncated png", []byte("\x89PN"), ""},
		{"aac adts is not mp3", []byte{0xff, 0xf1, 0x50, 0x80}, ""},
	} {
		if got := DetectMediaType(tc.data); got != tc.want {
			t.Errorf("%s: DetectMediaType = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// dataURLBytes decodes a base64 data URL, checking its MIME type.
func dataURLBytes(t *testing.T, url, mime string) []byte {
	t.Helper()
	prefix := "data:" + mime + ";base64,"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("data URL %.40q… does not start with %q", url, prefix)
	}
	b, err := base64.StdEncoding.DecodeString(url[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImagePart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		data []byte
		mime string
	}{
		{encodedImage(t, "png"), "image/png"},
		{encodedImage(t, "jpeg"), "image/jpeg"},
		{encodedImage(t, "gif"), "image/gif"},
		{webp1x1, "image/webp"},
		{bmp1x1(), "image/bmp"},
	} {
		p, err := ImagePart(tc.data, "high")
		if err != nil {
			t.Fatalf("%s: %v", tc.mime, err)
		}
		if p.Type != partImageURL || p.ImageURL.Detail != "high" {
			t.Fatalf("%s: part %+v", tc.mime, p)
		}
		if got := dataURLBytes(t, p.ImageURL.URL, tc.mime); !bytes.Equal(got, tc.data) {
			t.Fatalf("%s: data URL does not hold the bytes", tc.mime)
		}
		// A misleading extension does not matter: the content decides.
		path := filepath.Join(dir, "picture-"+strings.TrimPrefix(tc.mime, "image/")+".txt")
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		fp, err := ImageFilePart(path)
		if err != nil {
			t.Fatalf("%s file: %v", tc.mime, err)
		}
		if fp.ImageURL.URL != p.ImageURL.URL || fp.ImageURL.Detail != "" {
			t.Fatalf("%s: file part differs from bytes part", tc.mime)
		}
	}
}

func TestMediaPartErrors(t *testing.T) {
	var pe *ParamError
	_, err := ImagePart([]byte("not an image at all"))
	if !errors.As(err, &pe) || pe.Field != "image" || !strings.Contains(err.Error(), "first bytes 6e 6f 74") {
		t.Errorf("unknown bytes: %v", err)
	}
	_, err = ImagePart(wavSilence(2))
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "is audio/wav, not image data") {
		t.Errorf("audio as image: %v", err)
	}
	if _, err = ImagePart(nil); !errors.As(err, &pe) {
		t.Errorf("empty image: %v", err)
	}
	dir := t.TempDir()
	_, err = ImageFilePart(filepath.Join(dir, "missing.png"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
	txt := filepath.Join(dir, "fake.png")
	os.WriteFile(txt, []byte("hello, I am text"), 0o600)
	_, err = ImageFilePart(txt)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "fake.png") {
		t.Errorf("text file named .png: %v", err)
	}
	if _, err = VideoPart(encodedImage(t, "png")); !errors.As(err, &pe) {
		t.Errorf("image as video: %v", err)
	}
	if _, err = AudioPart([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00")); !errors.As(err, &pe) {
		t.Errorf("video as audio: %v", err)
	}
}

func TestAudioAndVideoParts(t *testing.T) {
	dir := t.TempDir()
	wav := wavSilence(100)
	p, err := AudioPart(wav)
	if err != nil || p.Type != partAudioURL || !bytes.Equal(dataURLBytes(t, p.AudioURL.URL, "audio/wav"), wav) {
		t.Fatalf("wav: %+v %v", p, err)
	}
	mp3 := filepath.Join(dir, "a.bin")
	os.WriteFile(mp3, mp3Frame, 0o600)
	p, err = AudioFilePart(mp3)
	if err != nil || p.Type != partAudioURL || !bytes.Equal(dataURLBytes(t, p.AudioURL.URL, "audio/mpeg"), mp3Frame) {
		t.Fatalf("mp3 file: %+v %v", p, err)
	}
	flac := []byte("fLaC\x00\x00\x00\x22rest")
	p, err = AudioPart(flac)
	if err != nil || p.Type != partAudioURL || !bytes.Equal(dataURLBytes(t, p.AudioURL.URL, "audio/flac"), flac) {
		t.Fatalf("flac: %+v %v", p, err)
	}
	os.WriteFile(filepath.Join(dir, "a.wav"), wav, 0o600)
	if p, err = AudioFilePart(filepath.Join(dir, "a.wav")); err != nil || !bytes.Equal(dataURLBytes(t, p.AudioURL.URL, "audio/wav"), wav) {
		t.Fatalf("wav file: %v", err)
	}
	mp4 := []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00moredata")
	p, err = VideoPart(mp4)
	if err != nil || p.Type != partVideoURL || !bytes.Equal(dataURLBytes(t, p.VideoURL.URL, "video/mp4"), mp4) {
		t.Fatalf("mp4: %+v %v", p, err)
	}
	os.WriteFile(filepath.Join(dir, "v"), mp4, 0o600)
	if p, err = VideoFilePart(filepath.Join(dir, "v")); err != nil || !bytes.Equal(dataURLBytes(t, p.VideoURL.URL, "video/mp4"), mp4) {
		t.Fatalf("mp4 file: %v", err)
	}
}

// TestImageFilePartMemory: a large file is streamed into its data URL; the
// allocations stay close to the size of the encoded URL, so the file is never
// held whole besides it.
func TestImageFilePartMemory(t *testing.T) {
	const size = 4 << 20
	data := make([]byte, size)
	copy(data, encodedImage(t, "png"))
	for i := 64; i < size; i++ {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	data = nil
	encoded := uint64(len("data:image/png;base64,") + base64.StdEncoding.EncodedLen(size))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := ImageFilePart(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > encoded+512<<10 {
		t.Fatalf("allocated %d bytes for a %d-byte data URL", got, encoded)
	}
	if uint64(len(p.ImageURL.URL)) != encoded {
		t.Fatalf("URL length %d, want %d", len(p.ImageURL.URL), encoded)
	}
}

// TestMultimodalMessageWire: several images and other media in one message,
// as sent.
func TestMultimodalMessageWire(t *testing.T) {
	img1, err := ImagePart(encodedImage(t, "gif"))
	if err != nil {
		t.Fatal(err)
	}
	img2, err := ImagePart(bmp1x1(), "low")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := AudioPart(wavSilence(2))
	if err != nil {
		t.Fatal(err)
	}
	ws := newWireServer(t, 200, minimalChat)
	c := ws.client(t)
	_, err = c.Chat.Builder().Model("Qwen/Qwen2.5-Omni-7B").System("Describe.").
		UserParts(TextPart("Compare these:"), img1, img2, ImageURLPart("https://example.com/cat.jpg", "auto")).
		UserParts(audio, AudioURLPart("https://example.com/a.mp3"), VideoURLPart("https://example.com/v.mp4"),
			ContentPart{Type: "input_audio", InputAudio: &InputAudio{Data: "UklGRg==", Format: "wav"}}).
		Send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chat-multimodal.json", ws.last(t).Body)
}
