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

func TestDataURLDetectsType(t *testing.T) {
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
		if got := detectMedia(tc.data[:min(len(tc.data), sniffLen)]); got != tc.want {
			t.Errorf("%s: detectMedia = %q, want %q", tc.name, got, tc.want)
		}
		url, err := DataURL(bytes.NewReader(tc.data))
		switch {
		case tc.want == "":
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Field != "media" {
				t.Errorf("%s: DataURL = %.40q, %v; want a *ParamError", tc.name, url, err)
			}
		case err != nil:
			t.Errorf("%s: DataURL: %v", tc.name, err)
		case !bytes.Equal(dataURLBytes(t, url, tc.want), tc.data):
			t.Errorf("%s: the data URL does not hold the bytes", tc.name)
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

// TestDataURLFromFile: a file gives the same data URL as its bytes; a
// misleading extension does not matter, the content decides.
func TestDataURLFromFile(t *testing.T) {
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
		{wavSilence(100), "audio/wav"},
		{mp3Frame, "audio/mpeg"},
		{[]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00moredata"), "video/mp4"},
	} {
		path := filepath.Join(dir, "media-"+strings.ReplaceAll(tc.mime, "/", "-")+".txt")
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		url, err := DataURL(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s file: %v", tc.mime, err)
		}
		if !bytes.Equal(dataURLBytes(t, url, tc.mime), tc.data) {
			t.Fatalf("%s: the file's data URL does not hold its bytes", tc.mime)
		}
	}
}

// errReader fails after yielding its bytes.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDataURLErrors(t *testing.T) {
	var pe *ParamError
	_, err := DataURL(strings.NewReader("not an image at all"))
	if !errors.As(err, &pe) || pe.Field != "media" || err.Error() != "vllm: invalid request: media is not image, audio or video data of a known type (first bytes 6e 6f 74 20 61 6e 20 69)" {
		t.Errorf("unknown bytes: %v", err)
	}
	if _, err = DataURL(bytes.NewReader(nil)); !errors.As(err, &pe) {
		t.Errorf("empty: %v", err)
	}
	txt := filepath.Join(t.TempDir(), "fake.png")
	os.WriteFile(txt, []byte("hello, I am text"), 0o600)
	f, err := os.Open(txt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = DataURL(f)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "media in "+txt+" is not image, audio or video data") {
		t.Errorf("text file named .png: %v", err)
	}
	// A read failure after the type was detected is returned as it is.
	boom := errors.New("disk on fire")
	_, err = DataURL(&errReader{data: wavSilence(100), err: boom})
	if !errors.Is(err, boom) || errors.As(err, &pe) || err.Error() != "vllm: reading media: disk on fire" {
		t.Errorf("read failure: %v", err)
	}
}

// TestMediaPartKindChecked: a data URL of another kind of media than its
// part is rejected before sending, naming the field; http(s) URLs, matching
// data URLs and a video's audio track in an audio part pass.
func TestMediaPartKindChecked(t *testing.T) {
	wav, err := DataURL(bytes.NewReader(wavSilence(2)))
	if err != nil {
		t.Fatal(err)
	}
	png, err := DataURL(bytes.NewReader(encodedImage(t, "png")))
	if err != nil {
		t.Fatal(err)
	}
	mp4 := "data:video/mp4;base64,AAAAIGZ0eXBpc29t"
	for _, tc := range []struct {
		part ContentPart
		want string // the error, "" for none
	}{
		{ImagePart(wav), "vllm: invalid request: messages[0].content[0].image_url.url is a data URL of audio/wav, not of image/*"},
		{ImagePart(mp4), "vllm: invalid request: messages[0].content[0].image_url.url is a data URL of video/mp4, not of image/*"},
		{VideoPart(png), "vllm: invalid request: messages[0].content[0].video_url.url is a data URL of image/png, not of video/*"},
		{AudioPart("DATA:Image/PNG,abc"), "vllm: invalid request: messages[0].content[0].audio_url.url is a data URL of Image/PNG, not of audio/*"},
		{ImagePart(png), ""},
		{ImagePart("https://example.com/a.wav"), ""},
		{AudioPart(wav), ""},
		{AudioPart(mp4), ""},
		{VideoPart(mp4), ""},
		{ImagePart("data:application/octet-stream;base64,AAAA"), ""},
	} {
		ws := newMemServer(t, fixedReply{Body: minimalChat})
		c := ws.Client(t)
		_, err := c.Chat.Create(context.Background(), &ChatRequest{Model: "m", Messages: []Message{UserParts(tc.part)}})
		if tc.want == "" {
			if err != nil || ws.Count() != 1 {
				t.Errorf("%+v: %v, %d requests sent", tc.part, err, ws.Count())
			}
			continue
		}
		var pe *ParamError
		if !errors.As(err, &pe) || err.Error() != tc.want || ws.Count() != 0 {
			t.Errorf("got %v (%d requests sent), want %s", err, ws.Count(), tc.want)
		}
	}
}

// TestDataURLFileMemory: a large file is streamed into its data URL; the
// allocations stay close to the size of the encoded URL, so the file is never
// held whole besides it.
func TestDataURLFileMemory(t *testing.T) {
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
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	encoded := uint64(len("data:image/png;base64,") + base64.StdEncoding.EncodedLen(size))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	url, err := DataURL(f)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > encoded+512<<10 {
		t.Fatalf("allocated %d bytes for a %d-byte data URL", got, encoded)
	}
	if uint64(len(url)) != encoded {
		t.Fatalf("URL length %d, want %d", len(url), encoded)
	}
}

// TestMultimodalMessageWire: several images and other media in one message,
// as sent.
func TestMultimodalMessageWire(t *testing.T) {
	dataURL := func(data []byte) string {
		t.Helper()
		url, err := DataURL(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	img1 := ImagePart(dataURL(encodedImage(t, "gif")))
	img2 := ImagePart(dataURL(bmp1x1()), "low")
	audio := AudioPart(dataURL(wavSilence(2)))
	ws := newMemServer(t, fixedReply{Body: minimalChat})
	c := ws.Client(t)
	_, err := c.Chat.Builder().Model("Qwen/Qwen2.5-Omni-7B").System("Describe.").
		UserParts(TextPart("Compare these:"), img1, img2, ImagePart("https://example.com/cat.jpg", "auto")).
		UserParts(audio, AudioPart("https://example.com/a.mp3"), VideoPart("https://example.com/v.mp4"),
			ContentPart{Type: "input_audio", InputAudio: &InputAudio{Data: "UklGRg==", Format: "wav"}}).
		Send(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chat-multimodal.json", ws.Last(t).Body)
}
