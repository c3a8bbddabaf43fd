package vllm_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vllmgo/vllm"
	"github.com/vllmgo/vllm/vllmtest"
)

var boundaryRE = regexp.MustCompile(`vllm-go-[0-9a-f]{30}`)

// TestTranscribeMultipartGolden checks the exact multipart bytes sent.
func TestTranscribeMultipartGolden(t *testing.T) {
	s := vllm.NewMemServer(t, reply{Body: `{"text":"Hello world.","usage":{"type":"duration","seconds":3}}`})
	c := s.Client(t)
	tr, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{
		File: vllm.AudioFromBytes("clip.wav", []byte("RIFF\x00\x01wave")), Model: "openai/whisper-large-v3",
		Language: "en", Prompt: "A greeting.", ResponseFormat: "json", Temperature: vllm.Ptr(0.0),
		TimestampGranularities: []string{"segment"}, Extra: map[string]string{"vllm_xargs": `{"k":1}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := s.Last(t)
	m := boundaryRE.FindString(req.Header.Get("Content-Type"))
	if req.Path != "/v1/audio/transcriptions" || req.Header.Get("Content-Type") != "multipart/form-data; boundary="+m || m == "" {
		t.Fatalf("sent %s with %q", req.Path, req.Header.Get("Content-Type"))
	}
	body := strings.ReplaceAll(string(req.Body), m, "B")
	field := func(name, value string) string {
		return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"
	}
	want := field("model", "openai/whisper-large-v3") + field("language", "en") + field("prompt", "A greeting.") +
		field("response_format", "json") + field("temperature", "0") + field("timestamp_granularities[]", "segment") +
		field("vllm_xargs", `{"k":1}`) +
		"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\x00\x01wave\r\n--B--\r\n"
	if body != want {
		t.Fatalf("body\n got %q\nwant %q", body, want)
	}
	if tr.Text != "Hello world." || tr.Usage == nil || tr.Usage.Seconds != 3 || tr.Usage.Type != "duration" || len(tr.Raw) == 0 {
		t.Fatalf("transcription %+v", tr)
	}
}

func TestTranslateVerboseAndText(t *testing.T) {
	verbose := `{"duration":"3.52","language":"en","text":"Hello.","segments":[{"id":0,"avg_logprob":-0.2,"compression_ratio":1.1,"end":3.5,"no_speech_prob":null,"seek":0,"start":0.0,"temperature":0.0,"text":"Hello.","tokens":[50364,2425]}],"words":null}`
	s := vllm.NewMemServer(t, reply{Body: verbose})
	c := s.Client(t)
	tr, err := c.Audio.Translate(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.mp3", []byte("ID3")), ResponseFormat: "verbose_json"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Last(t); got.Path != "/v1/audio/translations" || !strings.Contains(string(got.Body), "Content-Type: audio/mpeg") {
		t.Fatalf("sent %s %q", got.Path, got.Body)
	}
	if tr.Duration != 3.52 || tr.Language != "en" || len(tr.Segments) != 1 || tr.Segments[0].End != 3.5 || tr.Segments[0].NoSpeechProb != nil || len(tr.Segments[0].Tokens) != 2 {
		t.Fatalf("verbose %+v", tr)
	}
	c = vllm.NewMemServer(t, reply{ContentType: "text/plain; charset=utf-8", Body: "1\n00:00:00,000 --> 00:00:03,500\nHello.\n"}).Client(t)
	tr, err = c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil), ResponseFormat: "srt"})
	if err != nil || tr.Text != "1\n00:00:00,000 --> 00:00:03,500\nHello.\n" {
		t.Fatalf("srt %q %v", tr.Text, err)
	}
}

func TestAudioFromFileAndErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "speech.flac")
	if err := os.WriteFile(path, []byte("fLaC-data"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := vllm.NewMemServer(t, reply{Body: `{"text":"ok","usage":{"type":"duration","seconds":1}}`})
	c := s.Client(t)
	if _, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromFile(path)}); err != nil {
		t.Fatal(err)
	}
	if b := string(s.Last(t).Body); !strings.Contains(b, `filename="speech.flac"`) || !strings.Contains(b, "Content-Type: audio/flac\r\n\r\nfLaC-data\r\n") {
		t.Fatalf("body %q", b)
	}
	n := s.Count()
	_, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromFile(filepath.Join(t.TempDir(), "missing.wav"))})
	var pe *vllm.ParamError
	if !errors.As(err, &pe) || pe.Field != "file" {
		t.Fatalf("missing file: %v", err)
	}
	for _, req := range []*vllm.AudioRequest{nil, {}, {File: vllm.AudioFromBytes("a.wav", nil), ResponseFormat: "mp3"}, {File: vllm.AudioFromBytes("a.wav", nil), Temperature: vllm.Ptr(1.5)}} {
		if _, err := c.Audio.Transcribe(ctxT(t), req); !errors.As(err, new(*vllm.ParamError)) {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	if s.Count() != n {
		t.Fatal("an invalid request was sent")
	}
	s.Handle(reply{Status: 400, Body: vllmError400})
	_, err = c.Audio.Translate(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)})
	var ae *vllm.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Fatalf("err = %v", err)
	}
	s.Handle(reply{Body: `{"text":`})
	if _, err = c.Audio.Translate(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", nil)}); !errors.Is(err, vllm.ErrInvalidResponse) {
		t.Fatalf("err = %v", err)
	}
}

// gateReader yields first, then blocks until gate is closed (or a second
// of the test's simulated time passes), then yields rest.
type gateReader struct {
	first, rest []byte
	gate        chan struct{}
	stage       int
	timedOut    bool
}

func (g *gateReader) Read(p []byte) (int, error) {
	switch g.stage {
	case 0:
		g.stage = 1
		return copy(p, g.first), nil
	case 1:
		select {
		case <-g.gate:
		case <-time.After(time.Second):
			g.timedOut = true
		}
		g.stage = 2
		return copy(p, g.rest), nil
	}
	return 0, io.EOF
}

// TestAudioUploadStreams proves the upload is streamed: the reader only
// yields its second half after the server has received the first.
func TestAudioUploadStreams(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		gate := make(chan struct{})
		gotc := make(chan []byte, 1)
		srv := vllm.NewMemServer(t, vllm.ReadsBody(func(w http.ResponseWriter, r *http.Request) {
			_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				if p.FormName() != "file" {
					continue
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(p, buf); err == nil && string(buf) == "first" {
					close(gate)
				}
				rest, _ := io.ReadAll(p)
				gotc <- append(buf, rest...)
			}
			io.WriteString(w, `{"text":"ok","usage":{"type":"duration","seconds":1}}`)
		}))
		c := srv.Client(t)
		g := &gateReader{first: []byte("first"), rest: []byte("-second"), gate: gate}
		if _, err := c.Audio.Transcribe(context.Background(), &vllm.AudioRequest{File: vllm.AudioFromReader("a.wav", g)}); err != nil {
			t.Fatal(err)
		}
		got := <-gotc
		if g.timedOut || string(got) != "first-second" {
			t.Fatalf("the upload was buffered (timed out %v), server got %q", g.timedOut, got)
		}
	})
}

// TestAudioUploadNoLeak: the server rejects the upload without reading it;
// the goroutine feeding the pipe must end and the client must keep working.
func TestAudioUploadNoLeak(t *testing.T) {
	srv := vllm.NewMemServer(t, vllm.ReadsBody(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(413)
		io.WriteString(w, `{"error":{"message":"too large","type":"BadRequestError","param":null,"code":413}}`)
	}))
	c := srv.Client(t)
	base := runtime.NumGoroutine()
	big := io.LimitReader(zeroReader{}, 8<<20)
	_, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromReader("big.wav", big)})
	var ae *vllm.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 413 {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Audio.Transcribe(ctx, &vllm.AudioRequest{File: vllm.AudioFromReader("big.wav", io.LimitReader(zeroReader{}, 8<<20))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if err := c.Server.Health(ctxT(t)); err != nil {
		t.Fatalf("client unusable after the failed upload: %v", err)
	}
	c.Close()
	vllm.CloseIdle(c) // the in-memory HTTP client is the test's: Close leaves it open
	vllm.WaitGoroutines(t, base)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestAudioRetry: a replayable upload is sent again whole after a 503; a
// reader cannot be, and says so.
func TestAudioRetry(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var mu sync.Mutex
		var bodies []string
		var calls int
		count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
		srv := vllm.NewMemServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			calls++
			w.Header().Set("Content-Type", "application/json")
			if calls%2 == 1 {
				w.WriteHeader(503)
				io.WriteString(w, `{"error":{"message":"busy","type":"ServiceUnavailableError","param":null,"code":503}}`)
				return
			}
			bodies = append(bodies, boundaryRE.ReplaceAllString(string(b), "B"))
			io.WriteString(w, `{"text":"ok","usage":{"type":"duration","seconds":1}}`)
		}))
		c := srv.Client(t, vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
		tr, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", []byte("abc"))})
		mu.Lock()
		first := bodies[0]
		mu.Unlock()
		if err != nil || tr.Text != "ok" || count() != 2 || !strings.Contains(first, "\r\n\r\nabc\r\n--B--") {
			t.Fatalf("bytes: %v %+v calls %d body %q", err, tr, count(), first)
		}
		// A reader is not retried: the caller gets the 503 itself.
		_, err = c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromReader("a.wav", strings.NewReader("abc"))})
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 503 || count() != 3 {
			t.Fatalf("reader: %v (calls %d)", err, count())
		}

		// A middleware that sends an attempt twice cannot replay the reader
		// either, and is told why.
		twice := func(next vllm.RoundTrip) vllm.RoundTrip {
			return func(ctx context.Context, info *vllm.RequestInfo) (*http.Response, error) {
				if resp, err := next(ctx, info); err == nil {
					return resp, nil
				}
				return next(ctx, info)
			}
		}
		c2 := srv.Client(t, vllm.WithMiddleware(twice))
		if _, err := c2.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromBytes("a.wav", []byte("abc"))}); err != nil || count() != 4 {
			t.Fatalf("bytes through the middleware: %v (calls %d)", err, count()) // call 4 succeeds
		}
		_, err = c2.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromReader("a.wav", strings.NewReader("abc"))})
		var pe *vllm.ParamError
		if !errors.As(err, &pe) || pe.Field != "file" || !strings.Contains(err.Error(), "cannot be sent again") || count() != 5 {
			t.Fatalf("reader sent twice by a middleware: %v (calls %d)", err, count())
		}
	})
}

// TestAudioRetryOnVLLMTest: with retries on, a file or bytes upload is sent
// again after a 503 and succeeds; a reader upload cannot be replayed, so it
// is not retried and the caller gets the server's 503, not a complaint about
// the reader.
func TestAudioRetryOnVLLMTest(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllmtest.NewServer(vllmtest.WithInMemoryNetwork())
		defer srv.Close()
		c, err := vllm.New(srv.URL, vllm.WithHTTPClient(srv.Client()), vllm.WithRetry(vllm.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "clip.wav")
		if err := os.WriteFile(path, []byte("RIFFwave-data"), 0o600); err != nil {
			t.Fatal(err)
		}
		busy := vllmtest.Fault{Kind: vllmtest.FaultStatus, Status: 503, Path: "/audio/transcriptions"}
		for name, file := range map[string]func() *vllm.AudioFile{
			"file":  func() *vllm.AudioFile { return vllm.AudioFromFile(path) },
			"bytes": func() *vllm.AudioFile { return vllm.AudioFromBytes("clip.wav", []byte("RIFFwave-data")) },
		} {
			srv.FailNext(1, busy)
			before := len(srv.Requests())
			tr, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: file()})
			if err != nil || tr.Text == "" {
				t.Fatalf("%s: %v %+v", name, err, tr)
			}
			if n := len(srv.Requests()) - before; n != 2 {
				t.Fatalf("%s: %d requests, want 2 (503 then success)", name, n)
			}
		}

		srv.FailNext(1, busy)
		before := len(srv.Requests())
		_, err = c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromReader("clip.wav", strings.NewReader("RIFFwave-data"))})
		var ae *vllm.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("reader: got %T %v, want the 503 *APIError", err, err)
		}
		var pe *vllm.ParamError
		if errors.As(err, &pe) {
			t.Fatalf("reader: a *ParamError hides the first attempt's failure: %v", err)
		}
		if n := len(srv.Requests()) - before; n != 1 {
			t.Fatalf("reader: %d requests, want 1 (not replayable, not retried)", n)
		}
		// The reader upload works when nothing fails.
		tr, err := c.Audio.Transcribe(ctxT(t), &vllm.AudioRequest{File: vllm.AudioFromReader("clip.wav", strings.NewReader("RIFFwave-data"))})
		if err != nil || tr.Text == "" {
			t.Fatalf("reader without faults: %v %+v", err, tr)
		}
	})
}
