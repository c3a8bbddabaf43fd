package vllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The hand-written chunk decoder is checked against encoding/json: for any
// payload, it must accept exactly the valid JSON whose known fields have the
// expected types, and read the same values.

// refValues extracts, with encoding/json, the values parseChunk reads.
type refValues struct {
	ID, Model                           *string
	Created                             *int64
	Choices                             []refChoiceValues
	HasUsage, IsError                   bool
	PromptTokenIDs, KV, PromptLogprobs  bool
	Fingerprint, Tier, Object           *string
	typesOK                             bool
	choiceIndexes, toolIndexesInRange   bool
	refusalSeen, logprobsSeen, textSeen bool
}

type refChoiceValues struct {
	Index                              int
	Content, Reasoning, Role, Text     *string
	Finish                             *string
	Tools                              []refToolValues
	HasLogprobs, HasStop, HasTokenIDs  bool
	HasRefusal                         bool
	ReasoningFromOld, ReasoningFromNew bool
}

type refToolValues struct {
	Index          *int
	ID, Type, Name *string
	Args           *string
}

// strField reads m[k] as an optional string; ok is false when the value has
// another type.
func strField(m map[string]any, k string) (*string, bool) {
	v, present := m[k]
	if !present || v == nil {
		return nil, true
	}
	s, ok := v.(string)
	return &s, ok
}

func intField(m map[string]any, k string, limit int64) (*int64, bool) {
	v, present := m[k]
	if !present || v == nil {
		return nil, true
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	i, err := n.Int64()
	if err != nil || (limit > 0 && (i < 0 || i > limit)) {
		return nil, false
	}
	return &i, true
}

// reference decodes payload with encoding/json. valid reports whether it is
// JSON; the values' typesOK whether parseChunk should accept it.
func referenceChunk(payload []byte) (refValues, bool) {
	var top any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil || dec.More() {
		return refValues{}, false
	}
	if _, err := dec.Token(); err == nil {
		return refValues{}, false // trailing data
	}
	if !json.Valid(payload) {
		return refValues{}, false
	}
	r := refValues{typesOK: true}
	m, ok := top.(map[string]any)
	if !ok {
		r.typesOK = false
		return r, true
	}
	check := func(ok bool) {
		if !ok {
			r.typesOK = false
		}
	}
	str := func(m map[string]any, key string) *string {
		v, ok := strField(m, key)
		check(ok)
		return v
	}
	integer := func(m map[string]any, key string, max int64) *int64 {
		v, ok := intField(m, key, max)
		check(ok)
		return v
	}
	// objects returns the objects of the list v; an element of another
	// type marks the types wrong.
	objects := func(v any) []map[string]any {
		arr, ok := v.([]any)
		check(ok)
		var out []map[string]any
		for _, e := range arr {
			m, ok := e.(map[string]any)
			check(ok)
			if ok {
				out = append(out, m)
			}
		}
		return out
	}
	r.ID = str(m, "id")
	r.Model = str(m, "model")
	r.Object = str(m, "object")
	r.Fingerprint = str(m, "system_fingerprint")
	r.Tier = str(m, "service_tier")
	r.Created = integer(m, "created", 0)
	r.HasUsage = m["usage"] != nil
	r.IsError = m["error"] != nil || (r.Object != nil && *r.Object == "error")
	if cs, present := m["choices"]; present && cs != nil {
		for _, cm := range objects(cs) {
			var rc refChoiceValues
			if idx := integer(cm, "index", maxChoiceIndex); idx != nil {
				rc.Index = int(*idx)
			}
			rc.Text = str(cm, "text")
			rc.Finish = str(cm, "finish_reason")
			rc.HasLogprobs, rc.HasStop, rc.HasTokenIDs = cm["logprobs"] != nil, cm["stop_reason"] != nil, cm["token_ids"] != nil
			for _, dk := range []string{"delta", "message"} {
				d, present := cm[dk]
				if !present || d == nil {
					continue
				}
				dm, ok := d.(map[string]any)
				if !ok {
					r.typesOK = false
					continue
				}
				rc.Content = str(dm, "content")
				rc.Role = str(dm, "role")
				str(dm, "refusal") // only its type is checked
				newR := str(dm, "reasoning")
				oldR := str(dm, "reasoning_content")
				rc.Reasoning = newR
				if rc.Reasoning == nil {
					rc.Reasoning = oldR
				}
				if tcs, present := dm["tool_calls"]; present && tcs != nil {
					for _, tm := range objects(tcs) {
						var rt refToolValues
						if ti := integer(tm, "index", maxToolIndex); ti != nil {
							v := int(*ti)
							rt.Index = &v
						}
						rt.ID = str(tm, "id")
						rt.Type = str(tm, "type")
						if f, present := tm["function"]; present && f != nil {
							fm, ok := f.(map[string]any)
							check(ok)
							if ok {
								rt.Name = str(fm, "name")
								rt.Args = str(fm, "arguments")
							}
						}
						rc.Tools = append(rc.Tools, rt)
					}
				}
			}
			r.Choices = append(r.Choices, rc)
		}
	}
	return r, true
}

// duplicateKeys reports whether some object of payload repeats a key:
// encoding/json and parseChunk then legitimately differ in which one wins
// for nested objects the reference flattens.
func duplicateKeys(payload []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(payload))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.obj && top.key
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey {
				if top.keys[t] {
					return true
				}
				top.keys[t] = true
				top.key = false
			} else if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}

func eqStr(a *string, b []byte, has bool) bool {
	if a == nil {
		return !has
	}
	return has && *a == string(b)
}

func checkChunkAgainstReference(t *testing.T, payload []byte) {
	var s jscan
	var c chunk
	ok := s.parseChunk(payload, &c)
	ref, valid := referenceChunk(payload)
	if ok && !valid {
		t.Fatalf("accepted invalid JSON %q", payload)
	}
	if !valid {
		if s.Err() == nil || s.Err().Off < 0 || s.Err().Off > len(payload) {
			t.Fatalf("rejection without a usable error: %+v", s.Err())
		}
		return
	}
	if duplicateKeys(payload) {
		return
	}
	if ok != ref.typesOK {
		t.Fatalf("parseChunk ok=%v (err %v), reference types ok=%v, for %q", ok, s.Err(), ref.typesOK, payload)
	}
	if !ok {
		return
	}
	if !eqStr(ref.ID, c.id, c.hasID) || !eqStr(ref.Model, c.model, c.hasModel) || !eqStr(ref.Object, c.object, c.hasObject) ||
		!eqStr(ref.Fingerprint, c.fingerprint, c.hasFingerprint) || !eqStr(ref.Tier, c.tier, c.hasTier) {
		t.Fatalf("header differs for %q: %+v", payload, c)
	}
	if (ref.Created == nil) == c.hasCreated || (ref.Created != nil && *ref.Created != c.created) {
		t.Fatalf("created differs for %q", payload)
	}
	if ref.HasUsage != (c.usage != nil) || ref.IsError != c.isError || len(ref.Choices) != len(c.choices) {
		t.Fatalf("usage/error/choices differ for %q", payload)
	}
	for i, rc := range ref.Choices {
		cc := &c.choices[i]
		if rc.Index != cc.index || !eqStr(rc.Content, cc.content, cc.hasContent) || !eqStr(rc.Reasoning, cc.reasoning, cc.hasReasoning) ||
			!eqStr(rc.Role, cc.role, cc.hasRole) || !eqStr(rc.Text, cc.text, cc.hasText) || !eqStr(rc.Finish, cc.finish, cc.hasFinish) ||
			rc.HasLogprobs != (cc.logprobs != nil) || rc.HasStop != (cc.stop != nil) || rc.HasTokenIDs != (cc.tokenIDs != nil) ||
			len(rc.Tools) != len(cc.tools) {
			t.Fatalf("choice %d differs for %q:\n ref %+v\n got %+v", i, payload, rc, cc)
		}
		for k, rt := range rc.Tools {
			ct := &cc.tools[k]
			if (rt.Index == nil) == ct.hasIndex || (rt.Index != nil && *rt.Index != ct.index) ||
				!eqStr(rt.ID, ct.id, ct.hasID) || !eqStr(rt.Type, ct.typ, ct.hasType) ||
				!eqStr(rt.Name, ct.name, ct.hasName) || !eqStr(rt.Args, ct.args, ct.hasArgs) {
				t.Fatalf("tool %d of choice %d differs for %q", k, i, payload)
			}
		}
	}
}

var chunkSeeds = []string{
	vllmChunkSeed(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`),
	vllmChunkSeed(`{"index":0,"delta":{"content":"a\"b\\c\nd\u00e9\ud83d\ude00 \ud800 x\u2028"},"logprobs":null,"finish_reason":null}`),
	vllmChunkSeed(`{"index":1,"delta":{"reasoning_content":"think","reasoning":"new"},"logprobs":{"content":[{"token":"a","logprob":-0.5,"bytes":[97],"top_logprobs":[]}]},"finish_reason":null}`),
	vllmChunkSeed(`{"index":0,"delta":{"tool_calls":[{"id":"chatcmpl-tool-1","type":"function","index":0,"function":{"name":"f"}},{"index":1,"function":{"arguments":"{\"a\":1}"}}]},"logprobs":null,"finish_reason":null}`),
	vllmChunkSeed(`{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":151645,"token_ids":[1,2]}`),
	`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"total_tokens":2,"completion_tokens":1,"prompt_tokens_details":null}}`,
	`{"error": {"message": "boom", "type": "BadRequestError", "param": null, "code": 400}}`,
	`{"object":"error","message":"m","type":"t","param":null,"code":400}`,
	`{"id":"cmpl-1","object":"text_completion","created":2,"model":"m","choices":[{"index":0,"text":" hi","logprobs":null,"finish_reason":null,"stop_reason":null,"prompt_token_ids":null}]}`,
	` { "id" : "spaced" , "choices" : [ { "index" : 0 , "delta" : { "content" : "x" } } ] } `,
	`{"choices":[{"delta":{"content":"\xff\xfe invalid utf8 \xc3"}}]}`,
	`{"choices":[{"delta":{"tool_calls":[{"function":{"name":null,"arguments":"\""},"id":"t","type":"function","index":0}]}}]}`,
	`{"a":[1,-2.5e+3,true,false,null,{"b":[]},"s"],"choices":null,"usage":null}`,
	`{"choices":[{"index":0,"delta":{"content":5}}]}`,
	`{"choices":[{"index":1e2}]}`,
	`{"created":-0,"choices":[{"index":00}]}`,
	`{"x":"\u00"}`,
	`{"x":"	"}`,
	`{"choices":[{"index":0,"delta":{"content":"a"}}],}`,
	`[]`,
	`{"id":"\u0041\u00e9"}`,
	`{"Content":"case","choices":[{"Delta":{"CONTENT":"x"}}]}`,
}

func vllmChunkSeed(choice string) string {
	return `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":[` + choice + `]}`
}

func TestChunkDecoderSeeds(t *testing.T) {
	for _, s := range chunkSeeds {
		checkChunkAgainstReference(t, []byte(s))
	}
	// Every prefix of a valid chunk is rejected with an offset in range.
	p := chunkSeeds[1]
	for i := range len(p) {
		checkChunkAgainstReference(t, []byte(p[:i]))
	}
}

func TestChunkDecoderStrings(t *testing.T) {
	// Strings decode exactly as encoding/json decodes them.
	for _, in := range []string{
		`"plain ascii"`, `"\"\\\/\b\f\n\r\t"`, `"\u0000\u001f\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`,
		`"\ud83dx"`, `"\ud83d\u0041"`, "\"\xff\"", "\"\xe2\x82\"", "\"é✓😀\"", `"` + strings.Repeat("abcdefgh", 9) + `\n"`,
		"\"\xed\xa0\x80\"", // an encoded surrogate is invalid UTF-8
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var s jscan
		s.Start([]byte(in))
		got, ok := s.Str()
		if !ok || string(got) != want {
			t.Fatalf("%q: got %q (%v), want %q", in, got, s.Err(), want)
		}
	}
}

func FuzzChunkDecoder(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkChunkAgainstReference(t, payload)
	})
}

// chunkDigest renders what a chunk holds, header and body apart.
func chunkDigest(c *chunk) (header, body string) {
	header = fmt.Sprintf("%q %v %q %v %q %v %d %v %q %v %q %v", c.id, c.hasID, c.object, c.hasObject, c.model, c.hasModel,
		c.created, c.hasCreated, c.fingerprint, c.hasFingerprint, c.tier, c.hasTier)
	var b strings.Builder
	fmt.Fprintf(&b, "choices %v usage %q error %v ptids %q plp %q kv %q\n", c.hasChoices, c.usage, c.isError, c.promptTokenIDs, c.promptLogprobs, c.kvTransferParams)
	for _, ch := range c.choices {
		fmt.Fprintf(&b, "%d %q%v %q%v %q%v %q%v %q%v %q%v lp %q stop %q ids %q\n", ch.index, ch.role, ch.hasRole, ch.content, ch.hasContent,
			ch.reasoning, ch.hasReasoning, ch.refusal, ch.hasRefusal, ch.text, ch.hasText, ch.finish, ch.hasFinish, ch.logprobs, ch.stop, ch.tokenIDs)
		for _, td := range ch.tools {
			fmt.Fprintf(&b, "  %+v\n", td)
		}
	}
	return header, b.String()
}

// checkMemo parses a then b with one scanner (so b may hit the header memo
// a left) and b with a fresh one: both must agree on b, and a memo hit must
// stand for a header equal to a's.
func checkMemo(t *testing.T, a, b []byte) {
	var s jscan
	var ca, cb chunk
	s.parseChunk(a, &ca)
	headerA, _ := chunkDigest(&ca)
	okB := s.parseChunk(b, &cb)
	var f jscan
	var fb chunk
	okF := f.parseChunk(b, &fb)
	if okB != okF {
		t.Fatalf("after %q: memo scanner ok=%v, fresh ok=%v (%v) for %q", a, okB, okF, f.Err(), b)
	}
	if !okB {
		return
	}
	hb, bb := chunkDigest(&cb)
	hf, bf := chunkDigest(&fb)
	if bb != bf {
		t.Fatalf("after %q, %q:\nmemo  %s\nfresh %s", a, b, bb, bf)
	}
	if hb != hf {
		// A memo hit: b's header was skipped, and must equal a's.
		if hf != headerA {
			t.Fatalf("memo hit with a different header:\n a %s\n b %s", headerA, hf)
		}
	}
}

func TestChunkMemo(t *testing.T) {
	base := vllmChunkSeed(contentChoiceSeed("x"))
	pairs := [][2]string{
		{base, vllmChunkSeed(contentChoiceSeed("y"))},
		{base, strings.Replace(base, `"model":"m"`, `"model":"n"`, 1)},
		{base, strings.Replace(base, `"choices":[`, `"choices" :[`, 1)},
		{base, `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":null,"usage":{"prompt_tokens":1}}`},
		{base, `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":[{"index":0`},
		{base, `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1744513664,"model":"m","choices":[]}`},
		{`{"usage":null,"choices":[]}`, `{"usage":null,"choices":[{"index":1}]}`},
		{`{"error":null,"choices":[]}`, `{"error":null,"choices":[{"index":1}]}`},
		{`{"object":"error","choices":[]}`, `{"object":"error","choices":[]}`},
		// Templates: one string between the same bytes, or not.
		{base, vllmChunkSeed(contentChoiceSeed(`a\"b\u00e9\\`))},
		{base, vllmChunkSeed(contentChoiceSeed(`a","index":5,"x":"b`))},
		{base, vllmChunkSeed(contentChoiceSeed(`a"},"logprobs":null,"finish_reason":"stop"}]} {"x":"`))},
		{base, vllmChunkSeed(contentChoiceSeed(`unterminated`)) + `"`},
		{vllmChunkSeed(`{"index":0,"delta":{"tool_calls":[{"index":2,"function":{"arguments":"{"}}]},"logprobs":null,"finish_reason":null}`),
			vllmChunkSeed(`{"index":0,"delta":{"tool_calls":[{"index":2,"function":{"arguments":"\"k\": 1"}}]},"logprobs":null,"finish_reason":null}`)},
		{vllmChunkSeed(`{"index":1,"delta":{"reasoning":"r"},"logprobs":null,"finish_reason":null}`),
			vllmChunkSeed(`{"index":1,"delta":{"reasoning":"s"},"logprobs":null,"finish_reason":null}`)},
		{`{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"a","logprobs":null,"finish_reason":null}]}`,
			`{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"b","logprobs":null,"finish_reason":null}]}`},
		{vllmChunkSeed(`{"index":0,"delta":{"content":"a","reasoning":null},"logprobs":null,"finish_reason":null}`),
			vllmChunkSeed(`{"index":0,"delta":{"content":"b","reasoning":null},"logprobs":null,"finish_reason":null}`)},
	}
	for _, p := range pairs {
		checkMemo(t, []byte(p[0]), []byte(p[1]))
	}
	// Memo hits really happen on vLLM's chunks.
	var s jscan
	var c chunk
	s.parseChunk([]byte(pairs[0][0]), &c)
	s.parseChunk([]byte(pairs[0][1]), &c)
	if c.hasID || string(c.choices[0].content) != "y" {
		t.Fatal("no memo hit on identical headers")
	}
}

func contentChoiceSeed(text string) string {
	return `{"index":0,"delta":{"content":"` + text + `"},"logprobs":null,"finish_reason":null}`
}

func FuzzChunkMemo(f *testing.F) {
	for i, a := range chunkSeeds {
		f.Add([]byte(a), []byte(chunkSeeds[(i+1)%len(chunkSeeds)]))
		f.Add([]byte(a), []byte(a))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		checkMemo(t, a, b)
	})
}

// TestTemplatesDoNotChangeStreams reads generated streams with and without
// the decoder's memos: the events and the responses are the same.
func TestTemplatesDoNotChangeStreams(t *testing.T) {
	// Not parallel: it flips memoChunks, which every stream reads.
	t.Cleanup(func() { memoChunks = true })
	c, _ := New("http://127.0.0.1:1/v1")
	for i := range 150 {
		r := rand.New(rand.NewPCG(uint64(i), 99))
		sh := genShapeN(r, i)
		body := sh.renderStream(r)
		var digests [2][]ChatEvent
		var resps [2]*ChatResponse
		for k, memo := range []bool{true, false} {
			memoChunks = memo
			st := memStream(c, strings.NewReader(body))
			for st.Next() {
				ev := st.Event()
				ev.Raw = nil
				digests[k] = append(digests[k], ev)
			}
			if err := st.Err(); err != nil {
				t.Fatal(err)
			}
			resps[k], _ = st.Collect() // Err was nil: the stream ended with [DONE]
		}
		if !reflect.DeepEqual(digests[0], digests[1]) || !reflect.DeepEqual(resps[0], resps[1]) {
			t.Fatalf("shape %d differs with memos", i)
		}
	}
}
