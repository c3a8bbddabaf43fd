package vllm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
)

// AudioService calls the speech-to-text routes, /v1/audio/transcriptions and
// /v1/audio/translations, which vLLM serves for audio models such as Whisper.
// Use it through Client.Audio.
type AudioService struct{ c *Client }

// AudioFile is the audio to upload. The upload is streamed: the file or
// reader is copied into the request as it is sent, never held in memory whole.
type AudioFile struct {
	name string
	open func() (io.Reader, func() error, error)
	// once is set for a reader, which can be sent only once (no retry).
	once bool
	used atomic.Bool
}

// AudioFromFile uploads the file at path, opened anew for each attempt.
func AudioFromFile(path string) *AudioFile {
	return &AudioFile{name: filepath.Base(path), open: func() (io.Reader, func() error, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		return f, f.Close, nil
	}}
}

// AudioFromBytes uploads data under the file name name (its extension tells
// the server the format, e.g. "clip.wav").
func AudioFromBytes(name string, data []byte) *AudioFile {
	return &AudioFile{name: name, open: func() (io.Reader, func() error, error) {
		return bytes.NewReader(data), func() error { return nil }, nil
	}}
}

// AudioFromReader uploads what r yields, under the file name name, streaming
// it. A reader can be read only once, so such an upload is never retried:
// when its attempt fails, the caller gets that failure even if the client is
// configured to retry. Use AudioFromFile or AudioFromBytes for uploads that
// may be retried.
func AudioFromReader(name string, r io.Reader) *AudioFile {
	return &AudioFile{name: name, once: true, open: func() (io.Reader, func() error, error) {
		return r, func() error { return nil }, nil
	}}
}

// errReaderUsed reports a second attempt to send an AudioFromReader upload.
var errReaderUsed = errors.New("was read by an earlier attempt and cannot be sent again (a retry after a failure: use AudioFromFile or AudioFromBytes for uploads that may be retried)")

// AudioRequest is a transcription or translation request, sent as
// multipart/form-data.
type AudioRequest struct {
	// File is the audio (required): AudioFromFile, AudioFromBytes or
	// AudioFromReader.
	File *AudioFile
	// Model is the served model; empty lets the server pick its only one.
	Model string
	// Language is the audio's ISO-639-1 language, e.g. "en".
	Language string
	// Prompt guides the style or continues a previous segment.
	Prompt string
	// ResponseFormat is "json" (the default: {"text":…,"usage":…}),
	// "text" (vLLM answers it with the same JSON object as json) or
	// "verbose_json" (adds the language, duration, segments and words).
	// vLLM rejects "srt" and "vtt" with a 400; other OpenAI-compatible
	// servers answer them in plain text, which lands in Transcription.Text.
	ResponseFormat string
	// Temperature is the sampling temperature (0 to 1).
	Temperature *float64
	// TimestampGranularities are "word" and/or "segment" (with
	// "verbose_json").
	TimestampGranularities []string
	// ToLanguage is the output language where the model supports it.
	ToLanguage string
	// vLLM sampling extensions.
	TopP                *float64
	TopK                *int     // top_k (vLLM); -1 or 0 disables
	MinP                *float64 // min_p (vLLM), in [0, 1]
	Seed                *int64   // seed, for reproducible sampling
	FrequencyPenalty    *float64 // frequency_penalty
	PresencePenalty     *float64 // presence_penalty
	RepetitionPenalty   *float64 // repetition_penalty (vLLM); 1 is neutral
	MaxCompletionTokens *int     // max_completion_tokens, the limit of generated tokens
	// Extra holds further form fields, sent as text after the typed ones
	// in key order.
	Extra map[string]string
}

// formField is one text field of the multipart form.
type formField struct{ name, value string }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// fields returns the text fields of the form in a fixed order.
func (r *AudioRequest) fields(stream bool) []formField {
	var f []formField
	add := func(name, value string) {
		if value != "" {
			f = append(f, formField{name, value})
		}
	}
	add("model", r.Model)
	add("language", r.Language)
	add("prompt", r.Prompt)
	add("response_format", r.ResponseFormat)
	if r.Temperature != nil {
		add("temperature", fmtFloat(*r.Temperature))
	}
	for _, g := range r.TimestampGranularities {
		add("timestamp_granularities[]", g)
	}
	add("to_language", r.ToLanguage)
	if r.TopP != nil {
		add("top_p", fmtFloat(*r.TopP))
	}
	if r.TopK != nil {
		add("top_k", strconv.Itoa(*r.TopK))
	}
	if r.MinP != nil {
		add("min_p", fmtFloat(*r.MinP))
	}
	if r.Seed != nil {
		add("seed", strconv.FormatInt(*r.Seed, 10))
	}
	if r.FrequencyPenalty != nil {
		add("frequency_penalty", fmtFloat(*r.FrequencyPenalty))
	}
	if r.PresencePenalty != nil {
		add("presence_penalty", fmtFloat(*r.PresencePenalty))
	}
	if r.RepetitionPenalty != nil {
		add("repetition_penalty", fmtFloat(*r.RepetitionPenalty))
	}
	if r.MaxCompletionTokens != nil {
		add("max_completion_tokens", strconv.Itoa(*r.MaxCompletionTokens))
	}
	if stream {
		add("stream", "true")
		add("stream_include_usage", "true")
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		f = append(f, formField{k, r.Extra[k]})
	}
	return f
}

// validate checks the request and returns a *ParamError naming the first
// offending field.
func (r *AudioRequest) validate() error {
	switch {
	case r == nil || r.File == nil || r.File.open == nil:
		return missing("file")
	case r.File.name == "":
		return missing("file.name")
	case r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1):
		return invalid("temperature", "must be in [0, 1], got %v", *r.Temperature)
	}
	switch r.ResponseFormat {
	case "", "json", "text", "verbose_json", "srt", "vtt", "diarized_json":
	default:
		return invalid("response_format", "unknown format %q", r.ResponseFormat)
	}
	return nil
}

// newBoundary returns a random multipart boundary.
func newBoundary() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return "vllm-go-" + hex.EncodeToString(b[:])
}

// multipartRequest builds the upload: a fresh pipe per attempt, fed by a
// goroutine that writes the form and copies the audio into it. The transport
// closes the pipe's reader when the attempt ends, which stops the goroutine.
func (s *AudioService) multipartRequest(path, op string, req *AudioRequest, stream bool, opts []Option) (*apiRequest, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	fields := req.fields(stream)
	boundary := newBoundary()
	file := req.File
	r := post(path, op, false).newRequest(req.Model, opts)
	r.contentType = "multipart/form-data; boundary=" + boundary
	r.stream = stream
	r.once = file.once
	r.newBody = func() (io.Reader, error) {
		if file.once && file.used.Swap(true) {
			return nil, &ParamError{Field: "file", Reason: errReaderUsed.Error()}
		}
		src, closeSrc, err := file.open()
		if err != nil {
			return nil, &ParamError{Field: "file", Reason: "cannot be opened: " + err.Error()}
		}
		pr, pw := io.Pipe()
		go func() {
			err := writeMultipart(pw, boundary, fields, file.name, src)
			closeSrc()
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
	return r, nil
}

// writeMultipart writes the form: the text fields, then the file part.
func writeMultipart(w io.Writer, boundary string, fields []formField, name string, src io.Reader) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			return err
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", audioContentType(name))
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, src); err != nil {
		return err
	}
	return mw.Close()
}

// audioContentType guesses the audio MIME type from the file extension.
func audioContentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".wav":
		return "audio/wav"
	case ".mp3", ".mpga", ".mpeg":
		return "audio/mpeg"
	case ".flac":
		return "audio/flac"
	case ".ogg":
		return "audio/ogg"
	case ".webm":
		return "audio/webm"
	case ".m4a", ".mp4":
		return "audio/mp4"
	}
	return "application/octet-stream"
}

// Transcription is the result of a transcription or translation. For the
// text formats (text, srt, vtt) only Text is set, to the body as received.
type Transcription struct {
	// Text is the transcribed (or translated) text.
	Text string `json:"text"`
	// Language is the detected or given language (verbose_json).
	Language string `json:"language,omitempty"`
	// Duration is the audio's length in seconds (verbose_json; vLLM sends
	// it as a string, OpenAI as a number: both are read).
	Duration float64 `json:"-"`
	// Segments and Words are the timed pieces (verbose_json).
	Segments []TranscriptionSegment `json:"segments,omitempty"`
	Words    []TranscriptionWord    `json:"words,omitempty"` // the timed words (verbose_json with word granularity)
	// Usage is the audio duration billed, in seconds (json).
	Usage *AudioUsage `json:"usage,omitempty"`
	// Raw is the response body exactly as received.
	Raw json.RawMessage `json:"-"`
}

// AudioUsage is the usage of an audio request.
type AudioUsage struct {
	Type    string  `json:"type"`    // "duration" for the json format
	Seconds float64 `json:"seconds"` // the audio's duration billed, in seconds
}

// TranscriptionSegment is one timed segment of a verbose transcription.
type TranscriptionSegment struct {
	ID               int      `json:"id"`                // position among the segments
	Seek             int      `json:"seek"`              // the decoder's seek offset, in frames
	Start            float64  `json:"start"`             // start time, in seconds
	End              float64  `json:"end"`               // end time, in seconds
	Text             string   `json:"text"`              // the segment's text
	Tokens           []int    `json:"tokens"`            // the segment's token ids
	Temperature      float64  `json:"temperature"`       // the sampling temperature used
	AvgLogprob       float64  `json:"avg_logprob"`       // mean log probability of the tokens
	CompressionRatio float64  `json:"compression_ratio"` // gzip compression ratio of the text
	NoSpeechProb     *float64 `json:"no_speech_prob"`    // probability that the segment is silence
	// Speaker is the speaker label (diarized_json).
	Speaker string `json:"speaker,omitempty"`
}

// TranscriptionWord is one timed word.
type TranscriptionWord struct {
	Word    string  `json:"word"`              // the word
	Start   float64 `json:"start"`             // start time, in seconds
	End     float64 `json:"end"`               // end time, in seconds
	Speaker string  `json:"speaker,omitempty"` // the speaker label (diarized_json)
}

type transcriptionAlias Transcription

// UnmarshalJSON decodes the result, reading a duration sent as a string or
// a number.
func (t *Transcription) UnmarshalJSON(data []byte) error {
	var w struct {
		*transcriptionAlias
		Duration json.RawMessage `json:"duration"`
	}
	w.transcriptionAlias = (*transcriptionAlias)(t)
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	d := strings.Trim(string(bytes.TrimSpace(w.Duration)), `"`)
	if d != "" && d != "null" {
		v, err := strconv.ParseFloat(d, 64)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		t.Duration = v
	}
	return nil
}

// Transcribe transcribes audio in its own language (POST
// /v1/audio/transcriptions).
func (s *AudioService) Transcribe(ctx context.Context, req *AudioRequest, opts ...Option) (*Transcription, error) {
	return s.create(ctx, "/audio/transcriptions", "transcription", req, opts)
}

// Translate translates audio into English text (POST
// /v1/audio/translations).
func (s *AudioService) Translate(ctx context.Context, req *AudioRequest, opts ...Option) (*Transcription, error) {
	return s.create(ctx, "/audio/translations", "translation", req, opts)
}

func (s *AudioService) create(ctx context.Context, path, op string, req *AudioRequest, opts []Option) (*Transcription, error) {
	r, err := s.multipartRequest(path, op, req, false, opts)
	if err != nil {
		return nil, err
	}
	body, ctype, err := s.c.doRaw(ctx, r)
	if err != nil {
		return nil, err
	}
	t := &Transcription{Raw: body}
	if strings.Contains(ctype, "json") {
		if err := json.Unmarshal(body, t); err != nil {
			return nil, newDecodeError(op+" response", body, err)
		}
		t.Raw = body
		return t, nil
	}
	t.Text = string(body)
	return t, nil
}

// AudioStream is a streamed transcription or translation. Read it with
// Events, or with Next, Event and Err; Close releases it (Events and Collect
// close it for you). Like ChatStream, it is not safe for concurrent use,
// except that Close may be called from another goroutine.
type AudioStream struct {
	es eventStream[AudioEvent]
}

// Next advances to the next event and reports whether there is one; after it
// returns false, Err tells why the stream ended.
func (s *AudioStream) Next() bool { return s.es.next() }

// Event returns the event Next advanced to.
func (s *AudioStream) Event() AudioEvent { return s.es.cur }

// Err returns the error that ended the stream: nil for a complete stream,
// ErrStreamClosed for one closed before its end, a *StreamError for a
// failure of the stream itself.
func (s *AudioStream) Err() error { return s.es.core.failure() }

// Close releases the stream's connection. It is idempotent, and safe to call
// from another goroutine to abort a Next in progress.
func (s *AudioStream) Close() error { return s.es.core.close() }

// Events returns an iterator over the stream's events; a failure is yielded
// once, last, with a zero event. The stream is closed when the loop ends,
// including by break.
func (s *AudioStream) Events() iter.Seq2[AudioEvent, error] { return s.es.events() }

// AudioEvent is one chunk of a streamed transcription.
type AudioEvent struct {
	// Text is the text delta; empty on the final chunks.
	Text string
	// FinishReason is set on the chunk that ends the text.
	FinishReason string
	StopReason   *StopReason // the stop string or token that ended the text (vLLM)
	// Usage is set on the last chunk (the stream asks for it).
	Usage *Usage
	// Raw is the chunk's JSON.
	Raw json.RawMessage
}

// audioChunk is vLLM's transcription.chunk / translation.chunk.
type audioChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
		StopReason   *StopReason `json:"stop_reason"`
	} `json:"choices"`
	Usage *Usage `json:"usage"`
}

func decodeAudioEvent(_ string, data []byte) (AudioEvent, bool, error) {
	if ae := errorEventPayload(data); ae != nil {
		return AudioEvent{}, false, ae
	}
	var ch audioChunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return AudioEvent{}, false, err
	}
	out := AudioEvent{Usage: ch.Usage, Raw: append(json.RawMessage(nil), data...)}
	for _, c := range ch.Choices {
		out.Text += c.Delta.Content
		if c.FinishReason != nil {
			out.FinishReason = *c.FinishReason
		}
		if c.StopReason != nil {
			out.StopReason = c.StopReason
		}
	}
	return out, false, nil
}

// Collect reads the rest of the stream, closes it and returns the whole
// text as a Transcription (only Text is set: the stream's token usage is on
// its last event, for callers that read Events). On failure it returns the
// text received so far together with the error.
func (s *AudioStream) Collect() (*Transcription, error) {
	var b strings.Builder
	defer s.Close()
	for ev, err := range s.Events() {
		if err != nil {
			return &Transcription{Text: b.String()}, err
		}
		b.WriteString(ev.Text)
	}
	return &Transcription{Text: b.String()}, nil
}

// TranscribeStream transcribes with "stream": true: the text arrives as it
// is decoded, in server-sent events ending with [DONE]. Usage is requested
// (stream_include_usage) and arrives on the last event.
func (s *AudioService) TranscribeStream(ctx context.Context, req *AudioRequest, opts ...Option) (*AudioStream, error) {
	return s.stream(ctx, "/audio/transcriptions", "transcription", req, opts)
}

// TranslateStream is Translate with "stream": true (see TranscribeStream).
func (s *AudioService) TranslateStream(ctx context.Context, req *AudioRequest, opts ...Option) (*AudioStream, error) {
	return s.stream(ctx, "/audio/translations", "translation", req, opts)
}

func (s *AudioService) stream(ctx context.Context, path, op string, req *AudioRequest, opts []Option) (*AudioStream, error) {
	r, err := s.multipartRequest(path, op, req, true, opts)
	if err != nil {
		return nil, err
	}
	st := &AudioStream{}
	st.es.init(false, op+" stream chunk", decodeAudioEvent,
		func(e AudioEvent) bool { return e.Text != "" }, func(e AudioEvent) *Usage { return e.Usage })
	if err := st.es.open(ctx, s.c, r); err != nil {
		return nil, err
	}
	return st, nil
}
