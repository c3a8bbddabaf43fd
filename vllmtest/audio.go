package vllmtest

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// The speech-to-text routes: /v1/audio/transcriptions and
// /v1/audio/translations. The "transcript" is derived from the upload: the
// words of the default generator seeded by the audio bytes, one second of
// "audio" per 16 000 bytes (at least one).

type audioForm struct {
	fields   map[string]string
	filename string
	size     int
	seed     string
}

// readAudioForm parses the multipart body; it answers 400 and returns false
// when the body is not a form with a file.
func readAudioForm(w http.ResponseWriter, r *http.Request) (*audioForm, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		validationError(w, "1 validation error: body: expected multipart/form-data", "file")
		return nil, false
	}
	f := &audioForm{fields: map[string]string{}}
	mr := multipart.NewReader(r.Body, params["boundary"])
	hasFile := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			validationError(w, "malformed multipart body: "+err.Error(), "file")
			return nil, false
		}
		data, err := io.ReadAll(p)
		if err != nil {
			validationError(w, "malformed multipart body: "+err.Error(), "file")
			return nil, false
		}
		if p.FormName() == "file" {
			if p.FileName() == "" {
				writeError(w, http.StatusUnprocessableEntity, "", "Expected 'file' to be a file-like object, not 'str'.", "file")
				return nil, false
			}
			hasFile, f.filename, f.size = true, p.FileName(), len(data)
			f.seed = fmt.Sprintf("%x", data[:min(len(data), 64)])
			continue
		}
		f.fields[p.FormName()] = string(data)
	}
	if !hasFile {
		validationError(w, "1 validation error: field \"file\": Field required", "file")
		return nil, false
	}
	return f, true
}

// transcript returns the text pieces of an upload.
func (f *audioForm) transcript() []string {
	n := 4 + f.size%5
	pieces := generateText(f.seed+f.fields["language"]+f.fields["prompt"], 3, n)
	if len(pieces) > 0 {
		pieces[0] = strings.ToUpper(pieces[0][:1]) + pieces[0][1:]
		pieces[len(pieces)-1] += "."
	}
	return pieces
}

func (f *audioForm) seconds() int { return max(1, f.size/16000) }

func (s *Server) handleTranscription(w http.ResponseWriter, r *http.Request) {
	s.handleAudio(w, r, "transcription", "transcribe-")
}

func (s *Server) handleTranslation(w http.ResponseWriter, r *http.Request) {
	s.handleAudio(w, r, "translation", "translate-")
}

func (s *Server) handleAudio(w http.ResponseWriter, r *http.Request, kind, idPrefix string) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	f, ok := readAudioForm(w, r)
	if !ok {
		return
	}
	m, ok := s.checkModel(w, f.fields["model"])
	if !ok {
		return
	}
	if t := f.fields["temperature"]; t != "" {
		if v, err := strconv.ParseFloat(t, 64); err != nil || v < 0 || v > 1 {
			validationError(w, "1 validation error: field \"temperature\": input should be a valid number in [0, 1]", "temperature")
			return
		}
	}
	pieces := f.transcript()
	text := strings.Join(pieces, "")
	if format := f.fields["response_format"]; f.fields["stream"] == "true" && (format == "" || format == "json" || format == "text") {
		s.streamAudio(w, r, f, m.name, kind, idPrefix, pieces)
		return
	}
	secs := f.seconds()
	switch format := f.fields["response_format"]; format {
	case "", "json", "text":
		// vLLM answers "text" with the same JSON object as "json"; only a
		// transcription carries usage.
		b := append([]byte(`{"text":`), jsonstr.AppendPython(nil, text)...)
		if kind == "transcription" {
			b = append(b, `,"usage":{"type":"duration","seconds":`...)
			b = strconv.AppendInt(b, int64(secs), 10)
			b = append(b, '}')
		}
		s.respond(w, r, append(b, '}'))
	case "verbose_json":
		if f.fields["stream"] == "true" {
			writeError(w, http.StatusBadRequest, "", "verbose_json format doesn't support streaming case", "")
			return
		}
		b := append([]byte(`{"duration":"`), strconv.Itoa(secs)+`.0","language":`...)
		if lang := f.fields["language"]; lang != "" {
			b = jsonstr.AppendPython(b, lang)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"text":`...)
		b = jsonstr.AppendPython(b, text)
		b = append(b, `,"segments":[{"id":0,"avg_logprob":-0.25,"compression_ratio":1.2,"end":`...)
		b = strconv.AppendInt(b, int64(secs), 10)
		b = append(b, `.0,"no_speech_prob":null,"seek":0,"start":0.0,"temperature":0.0,"text":`...)
		b = jsonstr.AppendPython(b, text)
		b = append(b, `,"tokens":[`...)
		for i, id := range tokenIDs(text) {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(id), 10)
		}
		s.respond(w, r, append(b, `]}],"words":null}`...))
	case "srt", "vtt", "diarized_json":
		writeError(w, http.StatusBadRequest, "", "Currently only support response_format: `text`, `json` or `verbose_json`", "")
	default:
		validationError(w, "1 validation error: field \"response_format\": input should be 'json', 'text', 'srt', 'verbose_json', 'diarized_json' or 'vtt'", "response_format")
	}
}

// streamAudio answers with vLLM's transcription.chunk / translation.chunk
// events: one per text piece, the last with finish_reason "stop", a usage
// chunk when stream_include_usage is set, then [DONE].
func (s *Server) streamAudio(w http.ResponseWriter, r *http.Request, f *audioForm, model, kind, idPrefix string, pieces []string) {
	es := s.newEventStream(w, r)
	id := idPrefix + s.nextID()
	created := nowUnix()
	head := func() []byte {
		b := append([]byte(`{"id":`), jsonstr.AppendPython(nil, id)...)
		b = append(b, `,"object":"`+kind+`.chunk","created":`...)
		b = strconv.AppendInt(b, created, 10)
		b = append(b, `,"model":`...)
		b = jsonstr.AppendPython(b, model)
		return b
	}
	for i, p := range pieces {
		// vLLM dumps chunks with exclude_unset: finish_reason and
		// stop_reason only on the last, no usage field.
		b := append(head(), `,"choices":[{"delta":{"content":`...)
		b = jsonstr.AppendPython(b, p)
		b = append(b, '}')
		if i == len(pieces)-1 {
			b = append(b, `,"finish_reason":"stop","stop_reason":null`...)
		}
		b = append(b, "}]}"...)
		if !es.send(b, true) {
			return
		}
	}
	if f.fields["stream_include_usage"] == "true" {
		prompt := 1 + f.seconds()*50
		b := append(head(), `,"choices":[],"usage":{"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(prompt), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(prompt+len(pieces)), 10)
		b = append(b, `,"completion_tokens":`...)
		b = strconv.AppendInt(b, int64(len(pieces)), 10)
		b = append(b, "}}"...)
		if !es.send(b, false) {
			return
		}
	}
	es.done()
}
