package vllm

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// mediaKind is the kind of content a part carries.
type mediaKind string

const (
	kindImage mediaKind = "image"
	kindAudio mediaKind = "audio"
	kindVideo mediaKind = "video"
)

// sniffLen is how many leading bytes detectMedia needs at most.
const sniffLen = 18

// detectMedia returns the MIME type of data from its leading bytes (magic
// numbers), or "" when the type is not one vLLM's media loaders are known to
// read. File names and extensions are never consulted.
func detectMedia(head []byte) (mime string, kind mediaKind) {
	has := func(off int, sig string) bool {
		return len(head) >= off+len(sig) && string(head[off:off+len(sig)]) == sig
	}
	switch {
	case has(0, "\x89PNG\r\n\x1a\n"):
		return "image/png", kindImage
	case has(0, "\xff\xd8\xff"):
		return "image/jpeg", kindImage
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return "image/gif", kindImage
	case has(0, "RIFF") && has(8, "WEBP"):
		return "image/webp", kindImage
	case has(0, "BM") && isBMPHeader(head):
		return "image/bmp", kindImage
	case has(0, "II*\x00"), has(0, "MM\x00*"):
		return "image/tiff", kindImage
	case has(4, "ftypavif"), has(4, "ftypavis"):
		return "image/avif", kindImage
	case has(0, "RIFF") && has(8, "WAVE"):
		return "audio/wav", kindAudio
	case has(0, "ID3"), len(head) >= 2 && head[0] == 0xff && head[1]&0xe6 == 0xe2: // MPEG-1/2 layer III frame sync
		return "audio/mpeg", kindAudio
	case has(0, "fLaC"):
		return "audio/flac", kindAudio
	case has(0, "OggS"):
		return "audio/ogg", kindAudio
	case has(4, "ftypheic"), has(4, "ftypheix"), has(4, "ftypmif1"), has(4, "ftypmsf1"):
		return "", "" // HEIF images: vLLM's image loader does not read them
	case has(4, "ftypM4A "):
		return "audio/mp4", kindAudio
	case has(4, "ftyp"): // other ISO base media brands: isom, mp41, mp42, …
		return "video/mp4", kindVideo
	case has(0, "\x1a\x45\xdf\xa3"):
		return "video/webm", kindVideo
	}
	return "", ""
}

// isBMPHeader checks a BMP file header beyond its "BM": zero reserved bytes
// and a known DIB header size, so that text starting with "BM" is not taken
// for an image.
func isBMPHeader(head []byte) bool {
	if len(head) < 18 || binary.LittleEndian.Uint32(head[6:10]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(head[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// mediaError reports data of an unexpected or unknown type.
func mediaError(field string, kind mediaKind, head []byte, got string) error {
	n := len(head)
	if n > 8 {
		n = 8
	}
	if got != "" {
		return invalid(field, "is %s, not %s data", got, kind)
	}
	return invalid(field, "is not %s data of a known type (first bytes % x)", kind, head[:n])
}

// encodeMedia returns base64 of head followed by the rest of r, into a
// builder sized for size bytes (when known) after prefix. The data is read
// once and held once, encoded.
func encodeMedia(prefix string, head []byte, r io.Reader, size int64) (string, error) {
	var sb strings.Builder
	if size >= 0 {
		sb.Grow(len(prefix) + base64.StdEncoding.EncodedLen(int(size)))
	}
	sb.WriteString(prefix)
	enc := base64.NewEncoder(base64.StdEncoding, &sb)
	if _, err := enc.Write(head); err != nil {
		return "", err
	}
	if r != nil {
		if _, err := io.Copy(enc, r); err != nil {
			return "", err
		}
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// sniffBytes checks data's type against want.
func sniffBytes(field string, want mediaKind, data []byte) (string, error) {
	head := data[:min(len(data), sniffLen)]
	mime, kind := detectMedia(head)
	if kind != want {
		return "", mediaError(field, want, head, mime)
	}
	return mime, nil
}

// openMedia opens path, detects its type and checks it against want. The
// caller reads the rest of the file from f after head.
func openMedia(field string, want mediaKind, path string) (f *os.File, head []byte, mime string, size int64, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, "", 0, fmt.Errorf("vllm: %s: %w", field, err)
	}
	size = -1
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	head = make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		f.Close()
		return nil, nil, "", 0, fmt.Errorf("vllm: %s: %w", field, err)
	}
	head = head[:n]
	mime, kind := detectMedia(head)
	if kind != want {
		f.Close()
		return nil, nil, "", 0, mediaError(field+" "+path, want, head, mime)
	}
	return f, head, mime, size, nil
}

// fileDataURL reads the file at path into a base64 data URL of its detected
// type, checked against want.
func fileDataURL(field string, want mediaKind, path string) (string, error) {
	f, head, mime, size, err := openMedia(field, want, path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	url, err := encodeMedia("data:"+mime+";base64,", head, f, size)
	if err != nil {
		return "", fmt.Errorf("vllm: %s %s: %w", field, path, err)
	}
	return url, nil
}

// bytesDataURL encodes data as a base64 data URL of its detected type,
// checked against want.
func bytesDataURL(field string, want mediaKind, data []byte) (string, error) {
	mime, err := sniffBytes(field, want, data)
	if err != nil {
		return "", err
	}
	return encodeMedia("data:"+mime+";base64,", data, nil, int64(len(data)))
}

// ImagePart returns an image part holding data as a base64 data URL. The
// MIME type is detected from the content: PNG, JPEG, GIF, WebP, BMP, TIFF or
// AVIF; anything else is a *ParamError rather than a guess. An optional
// detail ("auto", "low", "high") may be given.
func ImagePart(data []byte, detail ...string) (ContentPart, error) {
	url, err := bytesDataURL("image", kindImage, data)
	if err != nil {
		return ContentPart{}, err
	}
	return ImageURLPart(url, detail...), nil
}

// ImageFilePart is ImagePart for the file at path. The file is read once,
// streamed through the base64 encoder into the data URL; its type is
// detected from its first bytes, not from its name.
func ImageFilePart(path string, detail ...string) (ContentPart, error) {
	url, err := fileDataURL("image file", kindImage, path)
	if err != nil {
		return ContentPart{}, err
	}
	return ImageURLPart(url, detail...), nil
}

// AudioPart returns an audio_url part holding data as a base64 data URL of
// its detected type: WAV, MP3, FLAC or Ogg.
//
// vLLM accepts audio in two wire shapes, audio_url (its own) and OpenAI's
// input_audio ({"data":…,"format":…}); it turns input_audio into the same
// data URL before loading it, so the two reach the model identically. This
// package builds audio_url, which carries every format vLLM reads;
// ContentPart.InputAudio decodes and re-sends the other shape.
func AudioPart(data []byte) (ContentPart, error) {
	url, err := bytesDataURL("audio", kindAudio, data)
	if err != nil {
		return ContentPart{}, err
	}
	return AudioURLPart(url), nil
}

// AudioFilePart is AudioPart for the file at path, read once.
func AudioFilePart(path string) (ContentPart, error) {
	url, err := fileDataURL("audio file", kindAudio, path)
	if err != nil {
		return ContentPart{}, err
	}
	return AudioURLPart(url), nil
}

// VideoPart returns a video_url part holding data as a base64 data URL of
// its detected type: MP4 (ISO base media) or WebM.
func VideoPart(data []byte) (ContentPart, error) {
	url, err := bytesDataURL("video", kindVideo, data)
	if err != nil {
		return ContentPart{}, err
	}
	return VideoURLPart(url), nil
}

// VideoFilePart is VideoPart for the file at path, read once.
func VideoFilePart(path string) (ContentPart, error) {
	url, err := fileDataURL("video file", kindVideo, path)
	if err != nil {
		return ContentPart{}, err
	}
	return VideoURLPart(url), nil
}

// DetectMediaType returns the MIME type of data from its first bytes, as the
// media parts detect it (e.g. "image/png", "audio/wav", "video/mp4"), or ""
// for an unknown type.
func DetectMediaType(data []byte) string {
	mime, _ := detectMedia(data[:min(len(data), sniffLen)])
	return mime
}
