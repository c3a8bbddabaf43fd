package loadtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sample draws n requests from d, failing the test when d cannot.
func sample(t *testing.T, d Dataset, n int, o SampleOptions) []Request {
	t.Helper()
	reqs, err := d.Sample(n, o)
	if err != nil {
		t.Fatalf("%T.Sample(%d): %v", d, n, err)
	}
	return reqs
}

func TestRandomLengthsAndPrefix(t *testing.T) {
	d := Random{InputLen: 100, OutputLen: 20, PrefixLen: 10, RangeRatio: 0.5}
	reqs := sample(t, d, 200, SampleOptions{Seed: 4, RequestIDPrefix: "p-"})
	prefix := strings.Join(strings.Fields(reqs[0].Prompt)[:10], " ")
	seenLo, seenHi := false, false
	for i, r := range reqs {
		w := strings.Fields(r.Prompt)
		if len(w) != r.PromptLen || r.PromptLen < 10+50 || r.PromptLen > 10+150 {
			t.Errorf("request %d: %d words, PromptLen %d, want 60..160", i, len(w), r.PromptLen)
		}
		if r.OutputLen < 10 || r.OutputLen > 30 {
			t.Errorf("request %d: OutputLen %d, want 10..30", i, r.OutputLen)
		}
		seenLo, seenHi = seenLo || r.PromptLen < 80, seenHi || r.PromptLen > 140
		if strings.Join(w[:10], " ") != prefix {
			t.Errorf("request %d does not share the prefix", i)
		}
		if r.ID != "p-"+strconv.Itoa(i) {
			t.Errorf("request %d id %q", i, r.ID)
		}
	}
	if !seenLo || !seenHi {
		t.Errorf("lengths do not spread over the range")
	}
	again := sample(t, d, 200, SampleOptions{Seed: 4, RequestIDPrefix: "p-"})
	if again[17].Prompt != reqs[17].Prompt {
		t.Errorf("the same seed gave another prompt")
	}
	if _, err := (Random{InputLen: 1, RangeRatio: 1}).Sample(1, SampleOptions{}); err == nil {
		t.Errorf("range ratio 1 accepted")
	}
	if _, err := (Random{InputLen: 1, RangeRatio: 0.5}).Sample(1, SampleOptions{}); err == nil {
		t.Errorf("an empty prompt accepted")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShareGPT(t *testing.T) {
	long := strings.Repeat("word ", 1200)
	p := writeFile(t, "sg.json", `[
	 {"conversations": [{"from": "human", "value": "What is the capital of France, please?"}, {"from": "gpt", "value": "The capital of France is Paris, of course."}]},
	 {"conversations": [{"from": "human", "value": "only one turn"}]},
	 {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "a fine answer that is long enough"}]},
	 {"conversations": [{"from": "human", "value": "`+long+`"}, {"from": "gpt", "value": "too long a prompt"}]},
	 {"conversations": [{"from": "human", "value": "Tell me a story about a dragon."}, {"from": "gpt", "value": "Once upon a time there was a dragon."}]}
	]`)
	reqs := sample(t, ShareGPT{Path: p}, 5, SampleOptions{Seed: 1, RequestIDPrefix: "r"})
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5 (2 usable, oversampled)", len(reqs))
	}
	ids := map[string]bool{}
	for _, r := range reqs {
		if !strings.Contains(r.Prompt, "France") && !strings.Contains(r.Prompt, "dragon") {
			t.Errorf("unexpected prompt %q (too short, one-turn and too long ones are skipped)", r.Prompt)
		}
		if r.OutputLen < 4 {
			t.Errorf("output len %d from the answer", r.OutputLen)
		}
		ids[r.ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("ids not unique: %v", ids)
	}
	reqs = sample(t, ShareGPT{Path: p, OutputLen: 64}, 5, SampleOptions{NoOversample: true, DisableShuffle: true})
	if len(reqs) != 2 || reqs[0].OutputLen != 64 || !strings.Contains(reqs[0].Prompt, "France") {
		t.Errorf("no oversampling, no shuffle, fixed output len: %+v", reqs)
	}
	if _, err := (ShareGPT{Path: writeFile(t, "x.json", `{"a": 1}`)}).Sample(1, SampleOptions{}); err == nil || !strings.Contains(err.Error(), "ShareGPT") {
		t.Errorf("error %v", err)
	}
	mm := writeFile(t, "v.json", `[{"image": "coco/1.jpg", "conversations": [{"value": "<image>What is shown here?"}, {"value": "A cat on a mat, sleeping."}]}]`)
	if _, err := (ShareGPT{Path: mm}).Sample(1, SampleOptions{}); err == nil || !strings.Contains(err.Error(), "images") {
		t.Errorf("a ShareGPT4V file: error %v, want a refusal", err)
	}
}

func TestPrefixRepetition(t *testing.T) {
	reqs := sample(t, PrefixRepetition{PrefixLen: 8, SuffixLen: 4, NumPrefixes: 3, OutputLen: 16}, 10, SampleOptions{Seed: 2})
	if len(reqs) != 9 {
		t.Fatalf("%d requests, want 3 prefixes x 10/3 = 9, as vLLM rounds down", len(reqs))
	}
	prefixes := map[string]int{}
	for _, r := range reqs {
		w := strings.Fields(r.Prompt)
		if len(w) != 12 || r.PromptLen != 12 || r.OutputLen != 16 {
			t.Errorf("request %+v", r)
		}
		prefixes[strings.Join(w[:8], " ")]++
	}
	if len(prefixes) != 3 {
		t.Errorf("%d distinct prefixes, want 3", len(prefixes))
	}
	for p, n := range prefixes {
		if n != 3 {
			t.Errorf("prefix %q used %d times, want 3", p, n)
		}
	}
	if _, err := (PrefixRepetition{NumPrefixes: 5}).Sample(4, SampleOptions{}); err == nil {
		t.Errorf("fewer prompts than prefixes accepted")
	}
}

func TestCustom(t *testing.T) {
	p := writeFile(t, "c.jsonl", "{\"prompt\": \"What is the capital of India?\"}\n\n{\"prompt\": \"What is the capital of Iran?\"}\n{\"prompt\": \"What is the capital of China?\"}\n")
	reqs := sample(t, Custom{Path: p, OutputLen: 256}, -1, SampleOptions{DisableShuffle: true})
	if len(reqs) != 3 || reqs[1].Prompt != "What is the capital of Iran?" || reqs[1].OutputLen != 256 {
		t.Errorf("requests %+v", reqs)
	}
	reqs = sample(t, Custom{Path: p}, 7, SampleOptions{})
	if len(reqs) != 7 {
		t.Errorf("%d requests, want 7 (oversampled)", len(reqs))
	}
	bad := writeFile(t, "b.jsonl", "{\"prompt\": \"x\"}\n{\"text\": \"y\"}\n")
	if _, err := (Custom{Path: bad}).Sample(1, SampleOptions{}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v, want one naming line 2", err)
	}
}

func TestSonnet(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, "Shall I compare thee to a summer's day number "+strconv.Itoa(i)+"?")
	}
	p := writeFile(t, "sonnet.txt", strings.Join(lines, "\n")+"\n")
	reqs := sample(t, Sonnet{Path: p, InputLen: 200, OutputLen: 50, PrefixLen: 100}, 6, SampleOptions{Seed: 1})
	for _, r := range reqs {
		if !strings.HasPrefix(r.Prompt, sonnetBase+lines[0]+"\n") {
			t.Errorf("prompt does not start with the base and the shared prefix lines: %q", r.Prompt[:80])
		}
		if r.PromptLen > 200 || r.PromptLen < 120 || r.OutputLen != 50 {
			t.Errorf("prompt len %d, output len %d", r.PromptLen, r.OutputLen)
		}
	}
	if _, err := (Sonnet{Path: p, InputLen: 5}).Sample(1, SampleOptions{}); err == nil {
		t.Errorf("an input length below the base prompt accepted")
	}
}
