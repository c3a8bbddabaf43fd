package vllm

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// encodeBoth encodes req with appendChatRequest and with encoding/json
// (marshalReflect) and fails unless the direct encoding, when it is taken,
// is byte for byte the same. It reports whether the direct path was taken.
func encodeBoth(t testing.TB, req *ChatRequest, stream bool) (direct bool) {
	t.Helper()
	want, wantErr := req.marshalReflect(stream)
	got, ok := appendChatRequest(nil, req, stream)
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("direct encoding gave %s; encoding/json fails: %v", got, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stream=%v: direct encoding differs from encoding/json\n got: %s\nwant: %s", stream, got, want)
	}
	return true
}

// TestChatRequestEncodeMatches: for random requests (every field of
// ChatRequest and SamplingParams set or not, found by reflection so that a
// field added later is covered too), the direct encoding is encoding/json's
// byte for byte, and most requests take it.
func TestChatRequestEncodeMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	direct := 0
	for range n {
		req := randomChatRequest(r)
		for _, stream := range []bool{false, true} {
			if encodeBoth(t, req, stream) {
				direct++
			}
		}
	}
	// Requests without the fields that need encoding/json are about 3/4.
	if direct < n {
		t.Fatalf("only %d of %d encodings took the direct path", direct, 2*n)
	}
}

// TestChatRequestEncodeFloats: floats in every range encoding/json writes
// differently (plain, exponent form, negative zero, the 1e-6 and 1e21
// edges) come out the same; NaN and infinities leave it to encoding/json,
// which refuses them.
func TestChatRequestEncodeFloats(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.7, 1e-6, 9.999999e-7, 1e-7, 1.5e-9, 1e-300, 5e-324,
		1e20, 1e21, 1.5e21, 123456789012345678901234.0, math.MaxFloat64, -1e-7, 2.5e-10, 1e100} {
		req := &ChatRequest{Model: "m", Messages: []Message{User("x")}, SamplingParams: SamplingParams{Temperature: Ptr(f)}}
		if !encodeBoth(t, req, false) {
			t.Fatalf("temperature %v did not take the direct path", f)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		req := &ChatRequest{Model: "m", Messages: []Message{User("x")}, SamplingParams: SamplingParams{TopP: Ptr(f)}}
		if _, ok := appendChatRequest(nil, req, false); ok {
			t.Fatalf("top_p %v took the direct path; encoding/json refuses it", f)
		}
		if _, err := req.marshal(false); err == nil {
			t.Fatalf("top_p %v encoded without error", f)
		}
	}
}

// FuzzChatRequestEncode is TestChatRequestEncodeMatches from fuzzed seeds.
func FuzzChatRequestEncode(f *testing.F) {
	for i := range uint64(8) {
		f.Add(i, i*7919)
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		req := randomChatRequest(rand.New(rand.NewPCG(s1, s2)))
		encodeBoth(t, req, false)
		encodeBoth(t, req, true)
	})
}

// BenchmarkChatRequestEncode encodes a small request (one system and one
// user message, two settings) as Create does, and through encoding/json.
func BenchmarkChatRequestEncode(b *testing.B) {
	req := &ChatRequest{Model: "meta-llama/Llama-3.1-8B-Instruct",
		Messages:       []Message{System("You are terse."), User("Write a haiku about <Go> & \"JSON\".")},
		SamplingParams: SamplingParams{Temperature: Ptr(0.7), MaxTokens: Ptr(256)}}
	for _, way := range []struct {
		name    string
		marshal func(bool) ([]byte, error)
	}{{"direct", req.marshal}, {"encoding-json", req.marshalReflect}} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := way.marshal(false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// randomChatRequest fills a ChatRequest at random. One request in four may
// set the fields that need encoding/json (tools, maps, raw JSON, …); the
// others set only plain ones.
func randomChatRequest(r *rand.Rand) *ChatRequest {
	g := &requestGen{r: r, complex: r.IntN(4) == 0}
	req := new(ChatRequest)
	g.fillStruct(reflect.ValueOf(req).Elem())
	return req
}

type requestGen struct {
	r       *rand.Rand
	complex bool // may set fields of types appendChatRequest leaves to encoding/json
}

var (
	typeRawMessage = reflect.TypeFor[json.RawMessage]()
	typeToolChoice = reflect.TypeFor[ToolChoice]()
	typeMessages   = reflect.TypeFor[[]Message]()
)

// needsReflect reports the field types appendChatRequest gives up on.
func needsReflect(t reflect.Type) bool {
	switch t {
	case typeRawMessage, typeToolChoice, reflect.TypeFor[[]Tool](), reflect.TypeFor[*ResponseFormat](),
		reflect.TypeFor[*StructuredOutputs](), reflect.TypeFor[[]map[string]string]():
		return true
	}
	return t.Kind() == reflect.Map
}

func (g *requestGen) fillStruct(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		fv := v.Field(i)
		if sf.Anonymous {
			g.fillStruct(fv)
			continue
		}
		if needsReflect(sf.Type) && !g.complex {
			continue
		}
		if sf.Type == typeMessages {
			g.fillMessages(fv)
			continue
		}
		if g.r.IntN(3) == 0 {
			g.fill(fv)
		}
	}
}

func (g *requestGen) fill(v reflect.Value) {
	switch v.Type() {
	case typeRawMessage:
		raws := []string{`{"a": 1}`, `[1,2]`, `"x"`, `null`}
		v.Set(reflect.ValueOf(json.RawMessage(raws[g.r.IntN(len(raws))])))
		return
	case typeToolChoice:
		choices := []ToolChoice{ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired, ToolChoiceFunction("f")}
		v.Set(reflect.ValueOf(choices[g.r.IntN(len(choices))]))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		g.fill(v.Elem())
	case reflect.Struct:
		g.fillStruct(v)
	case reflect.String:
		v.SetString(g.text())
	case reflect.Bool:
		v.SetBool(g.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		ints := []int64{0, 1, -1, 7, 256, math.MaxInt32, math.MinInt64, math.MaxInt64, g.r.Int64() - math.MaxInt64/2}
		v.SetInt(ints[g.r.IntN(len(ints))])
	case reflect.Float64:
		floats := []float64{0, math.Copysign(0, -1), 0.7, 1, -2, 1e-7, 1e21, 3.4e-9, 12345.678,
			g.r.Float64(), g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(50)-25))}
		if g.r.IntN(50) == 0 {
			floats = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
		}
		v.SetFloat(floats[g.r.IntN(len(floats))])
	case reflect.Slice:
		switch g.r.IntN(3) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + g.r.IntN(3)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				g.fill(s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range g.r.IntN(3) {
			k := reflect.New(v.Type().Key()).Elem()
			g.fill(k)
			e := reflect.New(v.Type().Elem()).Elem()
			if e.Kind() == reflect.Interface {
				e.Set(reflect.ValueOf(g.text()))
			} else {
				g.fill(e)
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(g.text()))
	}
}

// fillMessages sets a conversation: mostly text messages, some with parts
// or tool calls (written through Message.MarshalJSON), a null content.
func (g *requestGen) fillMessages(v reflect.Value) {
	if g.r.IntN(20) == 0 {
		return // nil: "messages": null
	}
	msgs := make([]Message, g.r.IntN(4))
	roles := []string{RoleSystem, RoleUser, RoleAssistant, RoleTool, ""}
	for i := range msgs {
		m := Message{Role: roles[g.r.IntN(len(roles))], Content: g.text()}
		if g.r.IntN(3) == 0 {
			m.Name = g.text()
		}
		if g.r.IntN(4) == 0 {
			m.Reasoning = g.text()
		}
		if g.r.IntN(6) == 0 {
			m.Refusal = g.text()
		}
		if g.r.IntN(5) == 0 {
			m.ToolCallID = g.text()
		}
		switch g.r.IntN(8) {
		case 0:
			m.Parts = []ContentPart{{Type: "text", Text: g.text()}}
		case 1:
			m.ToolCalls = []ToolCall{{ID: g.text(), Type: "function", Name: "f", Arguments: `{"x": "<y>"}`}}
			m.Content = ""
		case 2:
			m.Content, m.contentNull = "", true
		}
		msgs[i] = m
	}
	v.Set(reflect.ValueOf(msgs))
}

// text returns a short string of pieces encoding/json writes in each of its
// ways: plain, escaped, HTML-escaped, \u00XX, U+2028, multi-byte, invalid.
func (g *requestGen) text() string {
	pieces := []string{"a", "Hello", " ", "é", "日本", "🙂", `"`, `\`, "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f",
		"<", ">", "&", "\u2028", "\u2029", "\xff", "\xe2\x82", "\x7f", "/"}
	var b []byte
	for range g.r.IntN(6) {
		b = append(b, pieces[g.r.IntN(len(pieces))]...)
	}
	return string(b)
}
