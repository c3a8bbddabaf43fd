package vllm

import (
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

type unit string

func (unit) JSONSchemaEnum() []any { return []any{"celsius", "fahrenheit"} }

type point struct{ X, Y float64 }

func (*point) JSONSchema() json.RawMessage {
	return json.RawMessage(`{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2}`)
}

type Base struct {
	ID    string `json:"id" description:"record id"`
	Notes string `json:"notes,omitempty"`
}

type weatherArgs struct {
	Base
	City     string            `json:"city" description:"City name, e.g. Paris"`
	Unit     unit              `json:"unit,omitempty"`
	Days     int               `json:"days" enum:"1,3,7"`
	Hourly   *bool             `json:"hourly"`
	Tags     []string          `json:"tags,omitzero" enum:"a,b"`
	When     time.Time         `json:"when"`
	Limits   map[string]uint16 `json:"limits"`
	At       *point            `json:"at,omitempty" description:"where"`
	Raw      json.RawMessage   `json:"raw,omitempty"`
	Any      any               `json:"any,omitempty"`
	IP       net.IP            `json:"ip,omitempty"`
	Blob     []byte            `json:"blob,omitempty"`
	Pair     [2]int            `json:"pair"`
	Count    int64             `json:"count,string"`
	Inner    struct{ A bool }  `json:"inner"`
	Skipped  string            `json:"-"`
	private  string
	NoTag    float32
	Shadowed string `json:"notes"` // shadows Base.Notes, and is required
}

func TestJSONSchemaFor(t *testing.T) {
	got, err := JSONSchemaFor[weatherArgs]()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"object","properties":{` +
		`"id":{"type":"string","description":"record id"},` +
		`"city":{"type":"string","description":"City name, e.g. Paris"},` +
		`"unit":{"type":"string","enum":["celsius","fahrenheit"]},` +
		`"days":{"type":"integer","enum":[1,3,7]},` +
		`"hourly":{"type":"boolean"},` +
		`"tags":{"type":"array","items":{"type":"string","enum":["a","b"]}},` +
		`"when":{"type":"string","format":"date-time"},` +
		`"limits":{"type":"object","additionalProperties":{"type":"integer","minimum":0}},` +
		`"at":{"description":"where","items":{"type":"number"},"maxItems":2,"minItems":2,"type":"array"},` +
		`"raw":{},"any":{},` +
		`"ip":{"type":"string"},` +
		`"blob":{"type":"string","contentEncoding":"base64"},` +
		`"pair":{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":2},` +
		`"count":{"type":"string"},` +
		`"inner":{"type":"object","properties":{"A":{"type":"boolean"}},"required":["A"],"additionalProperties":false},` +
		`"NoTag":{"type":"number"},` +
		`"notes":{"type":"string"}},` +
		`"required":["id","city","days","when","limits","pair","count","inner","NoTag","notes"],` +
		`"additionalProperties":false}`
	if string(got) != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

// TestJSONSchemaMatchesEncoding checks the schema against what encoding/json
// really produces: every key of a fully set value is a property, and every
// required property is present even in a zero value.
func TestJSONSchemaMatchesEncoding(t *testing.T) {
	raw, err := JSONSchemaFor[weatherArgs]()
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	full := weatherArgs{
		Base: Base{ID: "1", Notes: "n"}, City: "c", Unit: "celsius", Days: 3, Hourly: Ptr(true),
		Tags: []string{"a"}, When: time.Unix(0, 0), Limits: map[string]uint16{"x": 1}, At: &point{},
		Raw: json.RawMessage(`1`), Any: 2, IP: net.IPv4(1, 2, 3, 4), Blob: []byte("x"), Count: 5, NoTag: 1, Shadowed: "s",
	}
	keysOf := func(v any) []string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	var props []string
	for k := range schema.Properties {
		props = append(props, k)
	}
	sort.Strings(props)
	if got := keysOf(full); !reflect.DeepEqual(got, props) {
		t.Fatalf("encoded keys %v\nschema properties %v", got, props)
	}
	zeroKeys := keysOf(weatherArgs{})
	for _, r := range schema.Required {
		if i := sort.SearchStrings(zeroKeys, r); i == len(zeroKeys) || zeroKeys[i] != r {
			t.Errorf("required %q missing from the zero value's encoding %v", r, zeroKeys)
		}
	}
}

type Embedded struct {
	Name string `json:"name" description:"deep"`
	More int    `json:"more"`
}

type shadowFirst struct {
	Name string `json:"name" description:"shallow"`
	Embedded
}

func TestJSONSchemaShallowFieldWins(t *testing.T) {
	got, err := JSONSchemaFor[shadowFirst]()
	want := `{"type":"object","properties":{"name":{"type":"string","description":"shallow"},"more":{"type":"integer"}},"required":["name","more"],"additionalProperties":false}`
	if err != nil || string(got) != want {
		t.Fatalf("got %s, %v\nwant %s", got, err, want)
	}
	b, _ := json.Marshal(shadowFirst{Name: "a", Embedded: Embedded{Name: "b"}})
	if string(b) != `{"name":"a","more":0}` {
		t.Fatalf("encoding/json disagrees: %s", b)
	}
}

type node struct {
	Name     string `json:"name"`
	Children []node `json:"children"`
}

type badEnum struct {
	N int `json:"n" enum:"1,two"`
}

func TestJSONSchemaForErrors(t *testing.T) {
	var pe *ParamError
	if _, err := JSONSchemaFor[node](); !errors.As(err, &pe) || !strings.Contains(err.Error(), "recursive type vllm.node") {
		t.Errorf("recursive: %v", err)
	}
	_, err := JSONSchemaFor[struct {
		F func() `json:"f"`
	}]()
	if !errors.As(err, &pe) || !strings.Contains(pe.Field, ".f") || !strings.Contains(err.Error(), "func()") {
		t.Errorf("func field: %v", err)
	}
	if _, err := JSONSchemaFor[badEnum](); err == nil || !strings.Contains(err.Error(), `"two"`) || !strings.Contains(err.Error(), ".n") {
		t.Errorf("bad enum: %v", err)
	}
	if _, err := JSONSchemaFor[map[[2]int]string](); err == nil {
		t.Error("map with array keys: no error")
	}
	if _, err := schemaFor(nil); err == nil {
		t.Error("nil type: no error")
	}
}

func TestJSONSchemaForScalarsAndMaps(t *testing.T) {
	for _, tc := range []struct {
		got  func() (json.RawMessage, error)
		want string
	}{
		{JSONSchemaFor[string], `{"type":"string"}`},
		{JSONSchemaFor[*int], `{"type":"integer"}`},
		{JSONSchemaFor[[]float64], `{"type":"array","items":{"type":"number"}}`},
		{JSONSchemaFor[map[int]bool], `{"type":"object","additionalProperties":{"type":"boolean"}}`},
		{JSONSchemaFor[unit], `{"type":"string","enum":["celsius","fahrenheit"]}`},
		{JSONSchemaFor[struct{}], `{"type":"object","properties":{},"additionalProperties":false}`},
	} {
		got, err := tc.got()
		if err != nil || string(got) != tc.want {
			t.Errorf("got %s, %v; want %s", got, err, tc.want)
		}
	}
}

func TestToolFor(t *testing.T) {
	type args struct {
		Location string `json:"location" description:"City and country"`
		Unit     string `json:"unit,omitempty" enum:"celsius,fahrenheit"`
	}
	tool, err := ToolFor[args]("get_weather", "Current weather")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tool)
	want := `{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":` +
		`{"type":"object","properties":{"location":{"type":"string","description":"City and country"},` +
		`"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"],"additionalProperties":false}}}`
	if string(b) != want {
		t.Fatalf("tool\n got %s\nwant %s", b, want)
	}
	// The schema describes exactly what DecodeArguments fills.
	var a args
	tc := ToolCall{Name: "get_weather", Arguments: `{"location":"Paris","unit":"celsius"}`}
	if err := tc.DecodeArguments(&a); err != nil || a.Location != "Paris" || a.Unit != "celsius" {
		t.Fatalf("decode: %+v %v", a, err)
	}
	if _, err := ToolFor[[]string]("x", ""); err == nil || !strings.Contains(err.Error(), "not a struct or map") {
		t.Errorf("slice tool: %v", err)
	}
	if _, err := ToolFor[args]("", ""); !isParamError(err, true) {
		t.Errorf("unnamed tool: %v", err)
	}
	if _, err := ToolFor[*args]("p", ""); err != nil {
		t.Errorf("pointer type: %v", err)
	}
}
