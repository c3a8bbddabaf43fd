package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// chunkSeeds are stream chunks as vLLM and other servers send them.
func chunkSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" the","logprobs":null,"finish_reason":null,"stop_reason":null}]}`),
		[]byte(`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"total_tokens":8,"completion_tokens":5}}`),
		[]byte(`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a \"quoted\" \u00e9 word\n"},"logprobs":null}]}`),
		[]byte(`{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"logprobs":{"content":[{"token":"x","logprob":-1}]}}]}`),
		[]byte(`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"content\": \"x\"}"}}]}}]}`),
		[]byte(`{"error": {"message": "engine died", "type": "InternalServerError", "code": 500}}`),
		[]byte(`{"choices": [{"index": 0, "text": "spaced"}]}`),
		[]byte(`{"choices":[{"text":null}],"usage":null}`),
		[]byte(`{"choices":[{"index":0,"logprobs":{"top_logprobs":[{"text":-0.5}]},"text":"t"}]}`),
	}
	for _, name := range []string{"vllm-tool-call-stream.sse", "llmd-sim-chat-stream-usage.sse", "llmd-sim-tool-stream.sse"} {
		f, err := os.Open(filepath.Join("..", "testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: ")); ok && !bytes.Equal(d, []byte("[DONE]")) {
				seeds = append(seeds, append([]byte(nil), d...))
			}
		}
		f.Close()
	}
	return seeds
}

// FuzzScanChoiceChunk checks the fast path against encoding/json: whenever
// scanChoiceChunk claims a chunk, a full decode must find a choice with the
// same text.
func FuzzScanChoiceChunk(f *testing.F) {
	for _, s := range chunkSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, ok := scanChoiceChunk(data)
		if !ok {
			return
		}
		var ev chunk
		if err := json.Unmarshal(data, &ev); err != nil {
			return // not JSON: the fast path only reads vLLM's own chunks
		}
		if ev.Error != nil {
			t.Fatalf("an error chunk taken for a choice: %s", data)
		}
		if len(ev.Choices) == 0 {
			t.Fatalf("no choice in %s", data)
		}
		if want := ev.Choices[0].Text + ev.Choices[0].Delta.Content; text != want {
			t.Fatalf("text %q, encoding/json %q, in %s", text, want, data)
		}
	})
}

// TestScanChoiceChunkSeeds pins the fast path's answers on real chunks.
func TestScanChoiceChunkSeeds(t *testing.T) {
	for _, tc := range []struct {
		chunk, text string
		ok          bool
	}{
		{`{"choices":[{"index":0,"text":" the","logprobs":null}]}`, " the", true},
		{`{"choices":[],"usage":{"completion_tokens":5}}`, "", false},
		{`{"choices":[{"index":0,"delta":{"content":"a \"q\" \u00e9"}}]}`, `a "q" é`, true},
		{`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"logprobs":{"content":[{"token":"x"}]}}]}`, "", false},
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null}]}`, "", true},
		{`{"choices":[{"index":0,"text":"a","text":"b"}]}`, "", false},
		{`{"x":{"choices":[{"index":0,"text":"a"}]}}`, "", false},
		{`{"error":{"message":"x"},"choices":[{"text":"no"}]}`, "", false},
		{`{"choices": [{"text": "spaced"}]}`, "", false},
	} {
		text, ok := scanChoiceChunk([]byte(tc.chunk))
		if text != tc.text || ok != tc.ok {
			t.Errorf("%s: %q %v, want %q %v", tc.chunk, text, ok, tc.text, tc.ok)
		}
	}
}

// FuzzResultUnmarshal feeds result files of any shape to the decoder: it
// must not panic, and what it accepts must marshal and decode again to the
// same figures.
func FuzzResultUnmarshal(f *testing.F) {
	b, _ := sampleResult().MarshalJSON()
	f.Add(b)
	f.Add([]byte(`{"request_rate": "inf", "p99.9_ttft_ms": 3, "mean_e2el_ms": null, "tp": "1", "itls": [[0.1], []]}`))
	f.Add([]byte(`{"max_concurrency": 1e400}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Result
		if json.Unmarshal(data, &r) != nil {
			return
		}
		out, err := r.MarshalJSON()
		if err != nil {
			return // e.g. a metadata string that is not UTF-8 stays an error
		}
		var back Result
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("our own output does not decode: %v\n%s", err, out)
		}
		if back.Completed != r.Completed || len(back.Stats) != len(r.Stats) || back.ModelID != r.ModelID {
			t.Fatalf("round trip changed the result:\n%+v\n%+v", r, back)
		}
	})
}
