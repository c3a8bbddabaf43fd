package loadtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// Request is one request of a workload.
type Request struct {
	// Prompt is the text sent as the completion prompt or as the user
	// message of a chat request.
	Prompt string
	// PromptLen is the estimated prompt length in tokens; the server's
	// usage report replaces it once the request completes.
	PromptLen int
	// OutputLen is the number of tokens to ask for (max_tokens, or
	// max_completion_tokens for chat); 0 leaves it to the server.
	OutputLen int
	// ID is sent as the x-request-id header; empty sends none.
	ID string
	// Model, when set, replaces Config.Model for this request (a LoRA
	// adapter, --lora-modules).
	Model string
}

// SampleOptions are the settings every dataset shares, named after vLLM's
// flags.
type SampleOptions struct {
	// Seed makes sampling reproducible (--seed).
	Seed int64
	// RequestIDPrefix prefixes each request's ID, which is the prefix and
	// the request's index (--request-id-prefix).
	RequestIDPrefix string
	// NoOversample returns fewer requests than asked for when a file
	// dataset holds fewer (--no-oversample); by default requests are drawn
	// again at random to make up the number.
	NoOversample bool
	// DisableShuffle keeps a file dataset's order (--disable-shuffle).
	DisableShuffle bool
}

// Dataset produces the requests of a workload.
type Dataset interface {
	// Sample returns n requests (fewer only where the dataset's rules say
	// so, as vLLM's do).
	Sample(n int, o SampleOptions) ([]Request, error)
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// vocabulary holds common English words that are one token each (with their
// leading space) in the usual BPE tokenizers, so a prompt of N of them is
// about N tokens long.
var vocabulary = strings.Fields(`the of and to in is was for on are with as by at from that this be or
have an which one all were when there can more other if out about time some them would into
has two like him see could no than been its who now people my made over did down only way
find use may water long little very after words called just where most know get through back
much before go good new write our used me man too any day same right look think also around
another came come work three word must because does part even place well such here take why
things help put years different away again off went old number great tell men say small every
found still between name should home big give air line set own under read last never us left
end along while might next sound below saw something thought both few those always looked show
large often together asked house world going want school important until form food keep
children feet land side without boy once animal life enough took four head above kind began
almost live page got earth need far hand high year mother light country father let night
picture being study second soon story since white ever paper hard near sentence better best
across during today however sure knew try told young sun thing whole hear example heard
several change answer room sea against top turned learn point city play toward five himself
usually money seen car morning body upon family later turn move face door cut done group true
leave color red friend pretty eat front feel fact hour rock open piece green slowly wind fish`)

// estimateTokens estimates the token count of text without a tokenizer:
// about four bytes of English per token, as the usual BPE tokenizers give.
func estimateTokens(s string) int {
	return max(1, (len(s)+2)/4)
}

func words(rng *rand.Rand, n int) []string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	return w
}

// Random is vLLM's "random" dataset: synthetic prompts whose input and
// output lengths are drawn uniformly from [len*(1-RangeRatio),
// len*(1+RangeRatio)], after a fixed random prefix of PrefixLen tokens
// shared by every request. Prompts are words of a fixed vocabulary, each one
// token in the usual tokenizers (vLLM decodes random token ids instead, which
// needs the model's tokenizer).
type Random struct {
	// InputLen is the mean input length in tokens (--random-input-len,
	// default 1024).
	InputLen int
	// OutputLen is the mean output length in tokens (--random-output-len,
	// default 128).
	OutputLen int
	// PrefixLen is the length of the shared prefix (--random-prefix-len).
	PrefixLen int
	// RangeRatio is the relative spread of the lengths, in [0, 1)
	// (--random-range-ratio).
	RangeRatio float64
}

// Sample implements Dataset.
func (d Random) Sample(n int, o SampleOptions) ([]Request, error) {
	r := d.RangeRatio
	if !(r >= 0 && r < 1) {
		return nil, fmt.Errorf("--random-range-ratio must be in [0, 1), got %g", r)
	}
	if d.InputLen < 0 || d.OutputLen < 0 || d.PrefixLen < 0 {
		return nil, errors.New("--random-input-len, --random-output-len and --random-prefix-len must not be negative")
	}
	inLo := int(math.Floor(float64(d.InputLen) * (1 - r)))
	inHi := int(math.Ceil(float64(d.InputLen) * (1 + r)))
	outLo := max(int(math.Floor(float64(d.OutputLen)*(1-r))), 1)
	outHi := max(int(math.Ceil(float64(d.OutputLen)*(1+r))), 1)
	if d.PrefixLen+inLo < 1 {
		return nil, fmt.Errorf("--random-input-len is too small: with --random-range-ratio %g the shortest prompt (prefix + sampled) has %d tokens; it must have at least 1", r, d.PrefixLen+inLo)
	}
	rng := newRand(o.Seed, 0x72616e64)
	prefix := words(rng, d.PrefixLen)
	out := make([]Request, n)
	for i := range out {
		in := inLo + rng.IntN(inHi-inLo+1)
		outLen := outLo + rng.IntN(outHi-outLo+1)
		offset := rng.IntN(len(vocabulary))
		w := append([]string(nil), prefix...)
		for j := range in {
			w = append(w, vocabulary[(offset+i+j)%len(vocabulary)])
		}
		out[i] = Request{Prompt: strings.Join(w, " "), PromptLen: d.PrefixLen + in, OutputLen: outLen, ID: o.RequestIDPrefix + strconv.Itoa(i)}
	}
	return out, nil
}

// ShareGPT is vLLM's "sharegpt" dataset: the first two turns of each
// conversation of a ShareGPT JSON file (a list of {"conversations": [{"from":
// ..., "value": ...}, ...]}) give a prompt and, unless OutputLen is set, the
// output length. As in vLLM, conversations with a prompt or answer shorter
// than 4 tokens, a prompt longer than 1024 or a sum longer than 2048 are
// skipped (lengths estimated here, counted by a tokenizer in vLLM).
type ShareGPT struct {
	// Path is the JSON file (--dataset-path).
	Path string
	// OutputLen, when positive, replaces each answer's length
	// (--sharegpt-output-len).
	OutputLen int
}

// Sample implements Dataset.
func (d ShareGPT) Sample(n int, o SampleOptions) ([]Request, error) {
	raw, err := os.ReadFile(d.Path)
	if err != nil {
		return nil, err
	}
	var entries []struct {
		Conversations []struct {
			Value string `json:"value"`
		} `json:"conversations"`
		Image any `json:"image"`
		Video any `json:"video"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("%s: not a ShareGPT file (a JSON list of {\"conversations\": [...]}): %w", d.Path, err)
	}
	type pair struct{ prompt, answer string }
	var pairs []pair
	for _, e := range entries {
		if e.Image != nil || e.Video != nil {
			return nil, fmt.Errorf("%s holds images or videos (ShareGPT4V/4Video): multimodal entries need vLLM's Python side and are not supported", d.Path)
		}
		if len(e.Conversations) >= 2 {
			pairs = append(pairs, pair{e.Conversations[0].Value, e.Conversations[1].Value})
		}
	}
	rng := newRand(o.Seed, 0x73686172)
	if !o.DisableShuffle {
		rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	}
	var out []Request
	for _, p := range pairs {
		if len(out) >= n {
			break
		}
		promptLen := estimateTokens(p.prompt)
		outLen := d.OutputLen
		if outLen <= 0 {
			outLen = estimateTokens(p.answer)
		}
		if !validSequence(promptLen, outLen, d.OutputLen > 0) {
			continue
		}
		out = append(out, Request{Prompt: p.prompt, PromptLen: promptLen, OutputLen: outLen, ID: o.RequestIDPrefix + strconv.Itoa(len(out))})
	}
	return oversample(out, n, o, d.Path)
}

// validSequence is vLLM's filter of dataset entries.
func validSequence(promptLen, outputLen int, fixedOutput bool) bool {
	const minLen, maxPrompt, maxTotal = 4, 1024, 2048
	return promptLen >= minLen && (fixedOutput || outputLen >= minLen) &&
		promptLen <= maxPrompt && promptLen+outputLen <= maxTotal
}

// oversample draws requests again at random until there are n, unless
// o.NoOversample.
func oversample(reqs []Request, n int, o SampleOptions, path string) ([]Request, error) {
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%s holds no usable prompt", path)
	}
	if o.NoOversample || len(reqs) >= n {
		return reqs, nil
	}
	rng := newRand(o.Seed, 0x6f766572)
	have := len(reqs)
	for i := 0; len(reqs) < n; i++ {
		r := reqs[rng.IntN(have)]
		r.ID = o.RequestIDPrefix + strconv.Itoa(have+i)
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// Sonnet is vLLM's (deprecated) "sonnet" dataset: each prompt asks to pick
// lines from a poem and lists the first lines of the file as a shared prefix
// of about PrefixLen tokens, then random lines up to about InputLen tokens.
// vLLM sizes the prompt with the model's chat template; here the prompt is
// sent as is and sized by estimate.
type Sonnet struct {
	// Path is the text file, one poem line per line (--dataset-path).
	Path string
	// InputLen is the prompt length in tokens (--sonnet-input-len, default 550).
	InputLen int
	// OutputLen is the output length in tokens (--sonnet-output-len, default 150).
	OutputLen int
	// PrefixLen is the shared prefix length (--sonnet-prefix-len, default 200).
	PrefixLen int
}

const sonnetBase = "Pick as many lines as you can from these poem lines:\n"

// Sample implements Dataset.
func (d Sonnet) Sample(n int, o SampleOptions) ([]Request, error) {
	raw, err := os.ReadFile(d.Path)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(raw), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s holds no line", d.Path)
	}
	total := 0
	for _, l := range lines {
		total += estimateTokens(l)
	}
	avg := float64(total) / float64(len(lines))
	base := estimateTokens(sonnetBase)
	if d.InputLen <= base {
		return nil, fmt.Errorf("--sonnet-input-len must be higher than the base prompt length (%d)", base)
	}
	numInput := int(math.RoundToEven(float64(d.InputLen-base) / avg))
	numPrefix := max(int(math.RoundToEven(float64(d.PrefixLen-base)/avg)), 0)
	numPrefix = min(numPrefix, len(lines))
	prefix := strings.Join(lines[:numPrefix], "")
	rng := newRand(o.Seed, 0x736f6e6e)
	var out []Request
	for tries := 0; len(out) < n; tries++ {
		if tries > 100*n+1000 {
			return nil, fmt.Errorf("%s: no prompt of at most %d tokens after %d tries; raise --sonnet-input-len", d.Path, d.InputLen, tries)
		}
		var b strings.Builder
		b.WriteString(sonnetBase)
		b.WriteString(prefix)
		for range max(numInput-numPrefix, 0) {
			b.WriteString(lines[rng.IntN(len(lines))])
		}
		p := b.String()
		if l := estimateTokens(p); l <= d.InputLen {
			out = append(out, Request{Prompt: p, PromptLen: l, OutputLen: d.OutputLen, ID: o.RequestIDPrefix + strconv.Itoa(len(out))})
		}
	}
	return out, nil
}

// PrefixRepetition is vLLM's "prefix_repetition" dataset: NumPrefixes random
// prefixes of PrefixLen tokens, each followed by n/NumPrefixes different
// random suffixes of SuffixLen tokens, shuffled. As in vLLM, n/NumPrefixes is
// rounded down, so the workload may hold fewer than n requests.
type PrefixRepetition struct {
	// PrefixLen is the prefix length in tokens
	// (--prefix-repetition-prefix-len, default 256).
	PrefixLen int
	// SuffixLen is the suffix length in tokens
	// (--prefix-repetition-suffix-len, default 256).
	SuffixLen int
	// NumPrefixes is the number of distinct prefixes
	// (--prefix-repetition-num-prefixes, default 10).
	NumPrefixes int
	// OutputLen is the output length in tokens
	// (--prefix-repetition-output-len, default 128).
	OutputLen int
}

// Sample implements Dataset.
func (d PrefixRepetition) Sample(n int, o SampleOptions) ([]Request, error) {
	if d.NumPrefixes < 1 {
		return nil, errors.New("--prefix-repetition-num-prefixes must be at least 1")
	}
	per := n / d.NumPrefixes
	if per == 0 {
		return nil, fmt.Errorf("--num-prompts (%d) must be greater than or equal to --prefix-repetition-num-prefixes (%d)", n, d.NumPrefixes)
	}
	rng := newRand(o.Seed, 0x70726566)
	var out []Request
	for range d.NumPrefixes {
		prefix := words(rng, d.PrefixLen)
		for range per {
			w := append(append([]string(nil), prefix...), words(rng, d.SuffixLen)...)
			out = append(out, Request{Prompt: strings.Join(w, " "), PromptLen: d.PrefixLen + d.SuffixLen, OutputLen: d.OutputLen})
		}
	}
	if !o.DisableShuffle {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	for i := range out {
		out[i].ID = o.RequestIDPrefix + strconv.Itoa(i)
	}
	return out, nil
}

// Custom is vLLM's "custom" dataset: a JSONL file whose lines hold a
// "prompt". vLLM applies the model's chat template to each prompt unless
// --skip-chat-template is given; here prompts are always sent as they are
// (use the openai-chat backend to have the server apply the template).
type Custom struct {
	// Path is the JSONL file (--dataset-path).
	Path string
	// OutputLen is the output length of every request (--custom-output-len,
	// default 256).
	OutputLen int
}

// Sample implements Dataset. n <= 0 takes every line of the file, as vLLM
// does.
func (d Custom) Sample(n int, o SampleOptions) ([]Request, error) {
	f, err := os.Open(d.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var prompts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var rec struct {
			Prompt *string `json:"prompt"`
		}
		if err := json.Unmarshal([]byte(text), &rec); err != nil || rec.Prompt == nil {
			return nil, fmt.Errorf("%s line %d: want a JSON object with a \"prompt\" string", d.Path, line)
		}
		prompts = append(prompts, *rec.Prompt)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	rng := newRand(o.Seed, 0x63757374)
	if !o.DisableShuffle {
		rng.Shuffle(len(prompts), func(i, j int) { prompts[i], prompts[j] = prompts[j], prompts[i] })
	}
	if n <= 0 {
		n = len(prompts)
	}
	var out []Request
	for i, p := range prompts {
		if len(out) >= n {
			break
		}
		out = append(out, Request{Prompt: p, PromptLen: estimateTokens(p), OutputLen: d.OutputLen, ID: o.RequestIDPrefix + strconv.Itoa(i)})
	}
	return oversample(out, n, o, d.Path)
}
