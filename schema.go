package vllm

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// SchemaProvider is implemented by types that describe their own JSON
// schema; JSONSchemaFor uses the returned schema as it is for every value of
// the type. It must be a JSON object.
type SchemaProvider interface {
	JSONSchema() json.RawMessage
}

// SchemaEnumer is implemented by types whose values form a fixed set (a
// named string type used as an enumeration, say); JSONSchemaFor adds the
// returned values as the schema's "enum" wherever the type is used.
type SchemaEnumer interface {
	JSONSchemaEnum() []any
}

// JSONSchemaFor returns the JSON schema that T's JSON encoding follows, for
// tool parameters (ToolFor) and structured outputs.
//
// It follows encoding/json: a struct field is named by its json tag (or its
// Go name), "-" and unexported fields are left out, embedded structs without
// a name are flattened. A field is required unless it is a pointer or tagged
// omitempty or omitzero. Structs become objects with
// "additionalProperties": false; slices and arrays become arrays ([]byte a
// base64 string); maps become objects whose values follow the map's element
// type; time.Time is a string of format date-time; encoding.TextMarshaler
// types are strings; interface types accept any value.
//
// Two struct tags add to a field's schema: `description:"…"` and
// `enum:"a,b,c"` (values parsed as the field's type: strings, integers,
// numbers or booleans). A type implementing SchemaProvider gives its own
// schema; one implementing SchemaEnumer gives its enum. A type with a
// MarshalJSON method of its own is described by its Go kind unless it
// implements SchemaProvider.
//
// Recursive types, channels, functions and complex numbers have no schema
// here and give a *ParamError naming the type and field path.
func JSONSchemaFor[T any]() (json.RawMessage, error) {
	return schemaFor(reflect.TypeFor[T]())
}

// schemaFor is JSONSchemaFor for a reflect.Type.
func schemaFor(t reflect.Type) (json.RawMessage, error) {
	if t == nil {
		return nil, invalid("schema type", "is nil")
	}
	g := schemaGen{visiting: map[reflect.Type]bool{}}
	n, err := g.node(t, t.String())
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := n.write(&buf); err != nil {
		return nil, invalid("schema of "+t.String(), "%v", err)
	}
	return buf.Bytes(), nil
}

// ToolFor returns a function tool whose parameters are the JSON schema of T
// (see JSONSchemaFor), which must be a struct or map type so that the
// arguments are a JSON object. Decode a call's arguments with
// ToolCall.DecodeArguments into a *T.
func ToolFor[T any](name, description string) (Tool, error) {
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
		return Tool{}, invalid("tools["+name+"].function.parameters", "type %s is not a struct or map", t)
	}
	schema, err := schemaFor(t)
	if err != nil {
		return Tool{}, err
	}
	return NewTool(name, description, schema)
}

// schemaNode is one schema object; its fields are written in this order.
type schemaNode struct {
	raw         json.RawMessage // a SchemaProvider's own schema, written as is
	typ         string
	format      string
	encoding    string
	description string
	enum        []any
	props       []schemaProp // nil: no "properties"
	required    []string
	items       *schemaNode
	minItems    int // with items: -1 for none
	maxItems    int
	addl        *schemaNode // additionalProperties as a schema
	noAddl      bool        // additionalProperties: false
	minimum     *int
}

type schemaProp struct {
	name  string
	node  *schemaNode
	depth int // embedding depth: a shallower field hides a deeper one
}

type schemaGen struct {
	visiting map[reflect.Type]bool
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	schemaProviderTyp = reflect.TypeFor[SchemaProvider]()
	schemaEnumerType  = reflect.TypeFor[SchemaEnumer]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
)

// implements reports whether t or *t implements iface.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

// zeroAs returns the zero value of the non-pointer type t (or a pointer to
// it, for methods with pointer receivers) as an I.
func zeroAs[I any](t reflect.Type) I {
	if t.Implements(reflect.TypeFor[I]()) {
		return reflect.New(t).Elem().Interface().(I)
	}
	return reflect.New(t).Interface().(I)
}

func (g *schemaGen) node(t reflect.Type, path string) (*schemaNode, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface {
		return &schemaNode{}, nil // any value
	}
	if implements(t, schemaProviderTyp) {
		raw := zeroAs[SchemaProvider](t).JSONSchema()
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, invalid("schema of "+path, "%s.JSONSchema() is not a JSON object: %v", t, err)
		}
		return &schemaNode{raw: raw}, nil
	}
	n, err := g.kindNode(t, path)
	if err != nil {
		return nil, err
	}
	if implements(t, schemaEnumerType) {
		n.enum = zeroAs[SchemaEnumer](t).JSONSchemaEnum()
	}
	return n, nil
}

func (g *schemaGen) kindNode(t reflect.Type, path string) (*schemaNode, error) {
	switch {
	case t == timeType:
		return &schemaNode{typ: "string", format: "date-time"}, nil
	case t == rawMessageType:
		return &schemaNode{}, nil
	case implements(t, textMarshalerType) && !implements(t, jsonMarshalerType):
		return &schemaNode{typ: "string"}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return &schemaNode{typ: "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &schemaNode{typ: "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &schemaNode{typ: "integer", minimum: new(int)}, nil
	case reflect.Float32, reflect.Float64:
		return &schemaNode{typ: "number"}, nil
	case reflect.String:
		return &schemaNode{typ: "string"}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return &schemaNode{typ: "string", encoding: "base64"}, nil
		}
		items, err := g.node(t.Elem(), path+"[]")
		if err != nil {
			return nil, err
		}
		n := &schemaNode{typ: "array", items: items, minItems: -1, maxItems: -1}
		if t.Kind() == reflect.Array {
			n.minItems, n.maxItems = t.Len(), t.Len()
		}
		return n, nil
	case reflect.Map:
		k := t.Key()
		if k.Kind() != reflect.String && !implements(k, textMarshalerType) && (k.Kind() < reflect.Int || k.Kind() > reflect.Uintptr) {
			return nil, invalid("schema of "+path, "map key type %s cannot be a JSON object key", k)
		}
		elem, err := g.node(t.Elem(), path+"[key]")
		if err != nil {
			return nil, err
		}
		return &schemaNode{typ: "object", addl: elem}, nil
	case reflect.Struct:
		return g.structNode(t, path)
	}
	return nil, invalid("schema of "+path, "type %s has no JSON encoding", t)
}

func (g *schemaGen) structNode(t reflect.Type, path string) (*schemaNode, error) {
	if g.visiting[t] {
		return nil, invalid("schema of "+path, "recursive type %s is not supported", t)
	}
	g.visiting[t] = true
	defer delete(g.visiting, t)
	n := &schemaNode{typ: "object", props: []schemaProp{}, noAddl: true}
	if err := g.addFields(n, t, path, 0); err != nil {
		return nil, err
	}
	return n, nil
}

// addFields adds the fields of struct t to n, flattening embedded structs
// that have no json name as encoding/json does.
func (g *schemaGen) addFields(n *schemaNode, t reflect.Type, path string, depth int) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if g.visiting[et] {
					return invalid("schema of "+path, "recursive type %s is not supported", et)
				}
				g.visiting[et] = true
				err := g.addFields(n, et, path, depth+1)
				delete(g.visiting, et)
				if err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fpath := path + "." + name
		var fn *schemaNode
		var err error
		if hasOpt(opts, "string") && isScalarKind(ft) {
			fn = &schemaNode{typ: "string"}
		} else if fn, err = g.node(ft, fpath); err != nil {
			return err
		}
		if d, ok := f.Tag.Lookup("description"); ok {
			if fn.raw != nil {
				fn = &schemaNode{raw: withDescription(fn.raw, d)}
			} else {
				fn.description = d
			}
		}
		if e, ok := f.Tag.Lookup("enum"); ok {
			vals, err := parseEnum(e, ft)
			if err != nil {
				return invalid("schema of "+fpath, "enum tag: %v", err)
			}
			fn.enum = vals
		}
		optional := ft.Kind() == reflect.Pointer || hasOpt(opts, "omitempty") || hasOpt(opts, "omitzero")
		n.setProp(schemaProp{name, fn, depth}, !optional)
	}
	return nil
}

// setProp adds a property, or replaces one of the same name from a more
// deeply embedded struct (a shallower field hides it, as in encoding/json).
func (n *schemaNode) setProp(p schemaProp, required bool) {
	name := p.name
	for i := range n.props {
		if n.props[i].name == name {
			if n.props[i].depth <= p.depth {
				return
			}
			n.props = append(n.props[:i], n.props[i+1:]...)
			break
		}
	}
	for i, r := range n.required {
		if r == name {
			n.required = append(n.required[:i], n.required[i+1:]...)
			break
		}
	}
	n.props = append(n.props, p)
	if required {
		n.required = append(n.required, name)
	}
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

func isScalarKind(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// parseEnum parses an enum tag's comma-separated values as t's kind.
func parseEnum(tag string, t reflect.Type) ([]any, error) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem() // an enum on a list constrains its items' values
	}
	parts := strings.Split(tag, ",")
	vals := make([]any, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		var v any
		var err error
		switch t.Kind() {
		case reflect.String:
			v = p
		case reflect.Bool:
			v, err = strconv.ParseBool(p)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			v, err = strconv.ParseInt(p, 10, 64)
		case reflect.Float32, reflect.Float64:
			v, err = strconv.ParseFloat(p, 64)
		default:
			return nil, fmt.Errorf("not supported on type %s", t)
		}
		if err != nil {
			return nil, fmt.Errorf("value %q is not a %s", p, t.Kind())
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// withDescription adds a description to a raw schema object.
func withDescription(raw json.RawMessage, d string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	b, _ := json.Marshal(d)
	m["description"] = b
	out, _ := json.Marshal(m)
	return out
}

// write encodes n as compact JSON with a stable key order.
func (n *schemaNode) write(buf *bytes.Buffer) error {
	if n.raw != nil {
		return json.Compact(buf, n.raw)
	}
	// An array's items constrain the items, not the array: move an enum
	// given on a list field down to its items.
	if n.items != nil && n.enum != nil && n.items.enum == nil {
		n.items.enum, n.enum = n.enum, nil
	}
	buf.WriteByte('{')
	first := true
	key := func(k string) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteByte('"')
		buf.WriteString(k)
		buf.WriteString(`":`)
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b, _ := json.Marshal(v)
			buf.Write(b)
		}
	}
	str("type", n.typ)
	str("description", n.description)
	str("format", n.format)
	str("contentEncoding", n.encoding)
	if n.minimum != nil {
		key("minimum")
		buf.WriteString(strconv.Itoa(*n.minimum))
	}
	if n.enum != nil {
		key("enum")
		b, err := json.Marshal(n.enum)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	if n.props != nil {
		key("properties")
		buf.WriteByte('{')
		for i, p := range n.props {
			if i > 0 {
				buf.WriteByte(',')
			}
			b, _ := json.Marshal(p.name)
			buf.Write(b)
			buf.WriteByte(':')
			if err := p.node.write(buf); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		if len(n.required) > 0 {
			key("required")
			b, _ := json.Marshal(n.required)
			buf.Write(b)
		}
	}
	if n.items != nil {
		key("items")
		if err := n.items.write(buf); err != nil {
			return err
		}
		if n.minItems >= 0 {
			key("minItems")
			buf.WriteString(strconv.Itoa(n.minItems))
			key("maxItems")
			buf.WriteString(strconv.Itoa(n.maxItems))
		}
	}
	if n.addl != nil {
		key("additionalProperties")
		if err := n.addl.write(buf); err != nil {
			return err
		}
	} else if n.noAddl {
		key("additionalProperties")
		buf.WriteString("false")
	}
	buf.WriteByte('}')
	return nil
}
