package vllm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

// transcriptionSSE is a stream as vLLM writes it: chunks dumped with
// exclude_unset (no finish_reason before the last, no usage), the last text
// chunk with finish_reason and stop_reason, the usage chunk with
// exclude_none, then [DONE].
const transcriptionSSE = `data: {"id":"transcribe-6f1c","object":"transcription.chunk","created":1745000000,"model":"openai/whisper-large-v3","choices":[{"delta":{"content":" Hello"}}]}

data: {"id":"transcribe-6f1c","object":"transcription.chunk","created":1745000000,"model":"openai/whisper-large-v3","choices":[{"delta":{"content":" world."},"finish_reason":"stop","stop_reason":null}]}

data: {"id":"transcribe-6f1c","object":"transcription.chunk","created":1745000000,"model":"openai/whisper-large-v3","choices":[],"usage":{"prompt_tokens":12,"total_tokens":16,"completion_tokens":4}}

data: [DONE]

`

func TestTranscribeStream(t *testing.T) {
	s := vllm.NewMemServer(t, reply{ContentType: "text/event-stream; charset=utf-8", Body: transcriptionSSE})
	c := s.Client(t)
	st, err := c.Audio.TranscribeStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", []byte("x")), Model: "openai/whisper-large-v3"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := s.Last(t)
	if req.Header.Get("Accept") != "text/event-stream" || !strings.Contains(string(req.Body), "name=\"stream\"\r\n\r\ntrue\r\n") ||
		!strings.Contains(string(req.Body), "name=\"stream_include_usage\"\r\n\r\ntrue\r\n") {
		t.Fatalf("request %q accept %q", req.Body, req.Header.Get("Accept"))
	}
	var texts []string
	var finish string
	var usage *vllm.Usage
	for st.Next() {
		ev := st.Event()
		texts = append(texts, ev.Text)
		if ev.FinishReason != "" {
			finish = ev.FinishReason
		}
		if ev.Usage != nil {
			usage = ev.Usage
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(texts, "|") != " Hello| world.|" || finish != "stop" || usage == nil || usage.CompletionTokens != 4 {
		t.Fatalf("texts %q finish %q usage %+v", texts, finish, usage)
	}
}

func TestTranslateStreamCollectAndFailures(t *testing.T) {
	c := vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: transcriptionSSE}).Client(t)
	st, err := c.Audio.TranslateStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", []byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	if text, err := collectAudioText(st); err != nil || text != " Hello world." {
		t.Fatalf("collect %q %v", text, err)
	}

	// Cut before [DONE]: an unexpected end, not a success.
	cut := transcriptionSSE[:strings.Index(transcriptionSSE, "data: [DONE]")]
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: cut}).Client(t)
	st, _ = c.Audio.TranscribeStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)})
	_, err = collectAudioText(st)
	var se *vllm.StreamError
	if !errors.As(err, &se) || se.Kind != vllm.KindUnexpectedEOF || se.Events != 3 {
		t.Fatalf("cut stream: %v", err)
	}

	// An error event inside the stream.
	errSSE := "data: {\"error\":{\"message\":\"decoder failed\",\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}\n\ndata: [DONE]\n\n"
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: errSSE}).Client(t)
	st, _ = c.Audio.TranscribeStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)})
	_, err = collectAudioText(st)
	if !errors.As(err, &se) || se.Kind != vllm.KindErrorEvent || se.API.StatusCode != 500 || se.API.Message != "decoder failed" {
		t.Fatalf("error event: %v", err)
	}

	// A malformed chunk.
	c = vllm.NewMemServer(t, reply{ContentType: "text/event-stream", Body: "data: {\"choices\":[\n\n"}).Client(t)
	st, _ = c.Audio.TranscribeStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)})
	_, err = collectAudioText(st)
	if !errors.As(err, &se) || se.Kind != vllm.KindMalformed || !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("malformed: %v", err)
	}

	// A JSON answer to a stream request (a server without streaming).
	c = vllm.NewMemServer(t, reply{Body: `{"text":"x"}`}).Client(t)
	if _, err := c.Audio.TranscribeStream(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)}); !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("json answer: %v", err)
	}
}
