package vllm

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// sniffLen is how many leading bytes detectMedia needs at most.
const sniffLen = 18

// detectMedia returns the MIME type of data from its leading bytes (magic
// numbers), or "" when the type is not one vLLM's media loaders are known to
// read. File names and extensions are never consulted.
func detectMedia(head []byte) string {
	has := func(off int, sig string) bool {
		return len(head) >= off+len(sig) && string(head[off:off+len(sig)]) == sig
	}
	switch {
	case has(0, "\x89PNG\r\n\x1a\n"):
		return "image/png"
	case has(0, "\xff\xd8\xff"):
		return "image/jpeg"
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return "image/gif"
	case has(0, "RIFF") && has(8, "WEBP"):
		return "image/webp"
	case has(0, "BM") && isBMPHeader(head):
		return "image/bmp"
	case has(0, "II*\x00"), has(0, "MM\x00*"):
		return "image/tiff"
	case has(4, "ftypavif"), has(4, "ftypavis"):
		return "image/avif"
	case has(0, "RIFF") && has(8, "WAVE"):
		return "audio/wav"
	case has(0, "ID3"), len(head) >= 2 && head[0] == 0xff && head[1]&0xe6 == 0xe2: // MPEG-1/2 layer III frame sync
		return "audio/mpeg"
	case has(0, "fLaC"):
		return "audio/flac"
	case has(0, "OggS"):
		return "audio/ogg"
	case has(4, "ftypheic"), has(4, "ftypheix"), has(4, "ftypmif1"), has(4, "ftypmsf1"):
		return "" // HEIF images: vLLM's image loader does not read them
	case has(4, "ftypM4A "):
		return "audio/mp4"
	case has(4, "ftyp"): // other ISO base media brands: isom, mp41, mp42, …
		return "video/mp4"
	case has(0, "\x1a\x45\xdf\xa3"):
		return "video/webm"
	}
	return ""
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

// DataURL reads r to its end and returns what it read as a base64 data URL,
// "data:<type>;base64,…", to give ImagePart, AudioPart or VideoPart. Bytes in
// memory are bytes.NewReader(data); a file is the *os.File of os.Open (its
// name then appears in errors).
//
// The MIME type is detected from the first bytes, never from a file name:
// PNG, JPEG, GIF, WebP, BMP, TIFF or AVIF images; WAV, MP3, FLAC, Ogg or M4A
// audio; MP4 or WebM video. Anything else is a *ParamError showing the first
// bytes, rather than a guess. r is read once and streamed through the base64
// encoder, so a file is never held whole besides its data URL.
func DataURL(r io.Reader) (string, error) {
	var name string
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", readMediaError(name, err)
	}
	head = head[:n]
	mime := detectMedia(head)
	if mime == "" {
		reason := "is not image, audio or video data of a known type (first bytes % x)"
		if name != "" {
			reason = "in " + name + " " + reason
		}
		return "", invalid("media", reason, head[:min(len(head), 8)])
	}
	url, err := encodeMedia("data:"+mime+";base64,", head, r, remainingSize(r, n))
	if err != nil {
		return "", readMediaError(name, err)
	}
	return url, nil
}

// readMediaError reports a failure to read the media given to DataURL.
func readMediaError(name string, err error) error {
	if name != "" {
		return fmt.Errorf("vllm: reading media %s: %w", name, err)
	}
	return fmt.Errorf("vllm: reading media: %w", err)
}

// remainingSize returns the total size of what r holds when r tells (a
// bytes.Reader, strings.Reader or bytes.Buffer by its length, a regular file
// by its size), given that read bytes were already read; -1 when unknown.
func remainingSize(r io.Reader, read int) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(read + v.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size()
		}
	}
	return -1
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
	if _, err := io.Copy(enc, r); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// dataURLKind returns the top-level MIME type of a data URL ("image",
// "audio", "video", …), or "" for any other URL.
func dataURLKind(url string) string {
	mime := dataURLType(url)
	kind, _, _ := strings.Cut(mime, "/")
	return strings.ToLower(kind)
}

// dataURLType returns the MIME type of a data URL (the scheme in any case),
// "" for any other URL.
func dataURLType(url string) string {
	const scheme = "data:"
	if len(url) < len(scheme) || !strings.EqualFold(url[:len(scheme)], scheme) {
		return ""
	}
	mime := url[len(scheme):]
	if i := strings.IndexAny(mime, ";,"); i >= 0 {
		mime = mime[:i]
	}
	return mime
}

// checkMediaKind rejects a data URL holding another kind of media than its
// part (field) carries, want: "image", "audio" or "video". A video in an
// audio part passes: vLLM can read its audio track.
func checkMediaKind(field func() string, want, url string) error {
	got := dataURLKind(url)
	switch got {
	case "image", "audio", "video":
	default:
		return nil // an http(s) URL, or a type vLLM's loaders decide on
	}
	if got == want || (want == "audio" && got == "video") {
		return nil
	}
	return invalid(field(), "is a data URL of %s, not of %s/*", dataURLType(url), want)
}
