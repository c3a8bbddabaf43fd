package vllm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// vllmChatBody is a non-streaming response as vLLM writes it, every field
// present, nulls included, with escapes and non-ASCII in the content.
const vllmChatBody = `{"id":"chatcmpl-1","object":"chat.completion","created":1764000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\"b\\c\n\té本🚀 \u00e9\ud83d\ude80","refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning":null},"logprobs":null,"finish_reason":"stop","stop_reason":null,"token_ids":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":5,"total_tokens":12,"completion_tokens":7,"prompt_tokens_details":null},"prompt_logprobs":null,"prompt_token_ids":null,"kv_transfer_params":null}`

// decodeBoth decodes body with the fast path and with encoding/json and
// reports whether the fast path was taken; when it was, both results must
// be equal.
func decodeBoth(t testing.TB, body []byte) (fast bool) {
	t.Helper()
	var want chatResponseIn
	wantErr := json.Unmarshal(body, &want)
	var got chatResponseIn
	if !got.decodeFast(body) {
		if !reflect.DeepEqual(got, chatResponseIn{}) {
			t.Fatalf("fast path gave up but left %+v", got)
		}
		return false
	}
	if wantErr != nil {
		t.Fatalf("fast path accepted %q, encoding/json says %v", body, wantErr)
	}
	g, w := got.response(), want.response()
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("fast path differs for %s:\n got  %#v\n want %#v", body, g, w)
	}
	for i := range g.Choices {
		if !reflect.DeepEqual(g.Choices[i].Message, w.Choices[i].Message) {
			t.Fatalf("choice %d message differs", i)
		}
	}
	return true
}

func TestChatDecodeFastMatchesEncodingJSON(t *testing.T) {
	fastCases := []string{
		vllmChatBody,
		`{"choices":[]}`,
		`{"choices":null,"usage":null}`,
		` {"id":null,"created":null,"choices":[{"message":null,"stop_reason":"</s>"},{"index":1,"message":{"content":null,"tool_calls":null},"stop_reason":151645,"token_ids":[1,2,-3]}]} `,
		`{"choices":[{"message":{"role":"assistant","content":"","reasoning_content":"think","name":"n","tool_call_id":"x","refusal":"no"}}]}`,
		`{"prompt_token_ids":[],"prompt_logprobs":[null,{"1":{"logprob":-0.5}}],"kv_transfer_params":{"a":[1,{"b":"c"}]},"extra":{"nested":[true,false,null,1.5e3]}}`,
		`{"choices":[{"message":{"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},null]}}]}`,
		"{\"id\":\"\\u0041\\ud800x\",\"model\":\"bad utf8 \xff\xfe\"}",
		"{\"id\":\"raw \xed\xa0\x80 surrogate\"}",
	}
	for _, c := range fastCases {
		if !decodeBoth(t, []byte(c)) {
			t.Errorf("fast path not taken for %s", c)
		}
	}
	// Bodies the fast path leaves to encoding/json: case-folded or repeated
	// keys, content parts, logprobs, token details, wrong types, bad syntax.
	slowCases := []string{
		`{"ID":"x"}`,
		`{"ſervice_tier":"x"}`,
		`{"id":"a","id":"b"}`,
		`{"usage":{"prompt_tokens":1},"usage":{"total_tokens":2}}`,
		`{"choices":[{"message":{"content":"a"},"message":{"role":"user"}}]}`,
		`{"choices":[{"message":{"content":[{"type":"text","text":"hi"}]}}]}`,
		`{"choices":[{"logprobs":{"content":[]}}]}`,
		`{"usage":{"prompt_tokens_details":{"cached_tokens":3}}}`,
		`{"created":1.5}`,
		`{"created":"1"}`,
		`{"id":1}`,
		`{"choices":[null]}`,
		`{"prompt_token_ids":[1,null]}`,
		`{"choices":[{"stop_reason":true}]}`,
		`{"id":"x"`,
		`{"id":"x"} x`,
		`null`,
		`[]`,
		`{"a":[}`,
	}
	for _, c := range slowCases {
		if decodeBoth(t, []byte(c)) {
			t.Errorf("fast path taken for %s", c)
		}
	}
}

func TestChatDecodeFastOnCaptures(t *testing.T) {
	files, _ := filepath.Glob("testdata/responses/chat-*.json")
	files = append(files, "testdata/fixtures/llmd-sim-chat.json")
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fast := decodeBoth(t, body)
		// Logprobs and token details are left to encoding/json.
		want := !strings.Contains(string(body), `"logprobs":{`) && !strings.Contains(string(body), `"prompt_tokens_details":{`)
		if fast != want {
			t.Errorf("%s: fast path taken = %v, want %v", f, fast, want)
		}
	}
}

func FuzzChatDecodeFast(f *testing.F) {
	addFiles(f, "testdata/responses/chat-*.json", "testdata/fixtures/*chat*.json")
	f.Add([]byte(vllmChatBody))
	f.Add([]byte(`{"choices":[{"message":{"tool_calls":[{"id":"t","function":{"name":"f","arguments":"{}"}}]},"stop_reason":7}],"usage":{"total_tokens":1}}`))
	f.Add([]byte(`{"id":"\ud83d\ude80\u0000","prompt_token_ids":[1,-0],"x":[{"y":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeBoth(t, body)
	})
}

// TestChatDecodeFastOwnsItsStrings: a decoded response keeps no memory of
// the pooled arena its escaped strings were unescaped into. After another
// response is decoded with the same arena and every pooled arena is
// overwritten, the first response is still what encoding/json makes of its
// body.
func TestChatDecodeFastOwnsItsStrings(t *testing.T) {
	body := func(c byte) []byte {
		esc := `\"` + string(c) + `\n\u00e9` + string(c) + `é\t`
		return []byte(`{"id":"id` + esc + `","object":"chat.completion","created":1,"model":"m` + esc +
			`","choices":[{"index":0,"message":{"role":"assistant","content":"c` + esc + `","name":"n` + esc +
			`","reasoning_content":"r` + esc + `","refusal":"x` + esc + `","tool_call_id":"t` + esc +
			`","tool_calls":[{"id":"i` + esc + `","type":"function","function":{"name":"f","arguments":"{\"a\":\"` + esc + `\"}"}}]},` +
			`"finish_reason":"s` + esc + `","stop_reason":"p` + esc + `"}],"system_fingerprint":"f` + esc +
			`","service_tier":"v` + esc + `","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`)
	}
	first := body('a')
	var want chatResponseIn
	if err := json.Unmarshal(first, &want); err != nil {
		t.Fatal(err)
	}
	var got chatResponseIn
	if !got.decodeFast(first) {
		t.Fatal("fast path not taken")
	}
	var other chatResponseIn
	if !other.decodeFast(body('b')) {
		t.Fatal("fast path not taken for the second body")
	}
	var held []*[]byte
	for range 8 {
		a := arenaPool.Get().(*[]byte)
		full := (*a)[:cap(*a)]
		for i := range full {
			full[i] = 'X'
		}
		held = append(held, a)
	}
	for _, a := range held {
		arenaPool.Put(a)
	}
	if g, w := got.response(), want.response(); !reflect.DeepEqual(g, w) {
		t.Fatalf("first response changed after its arena was reused:\n got  %#v\n want %#v", g, w)
	}
}
