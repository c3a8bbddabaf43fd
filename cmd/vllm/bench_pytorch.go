package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// envPyTorchFormat, set to any non-empty value, makes a saved result also
// written as records of the PyTorch OSS benchmark database, in NAME.pytorch.json
// beside NAME.json, as vLLM's bench serve does under the same variable.
const envPyTorchFormat = "SAVE_TO_PYTORCH_BENCHMARK_FORMAT"

// pytorchMetrics are the result keys that get a record each, in vLLM's order.
var pytorchMetrics = []string{
	"median_ttft_ms", "mean_ttft_ms", "std_ttft_ms", "p99_ttft_ms",
	"mean_tpot_ms", "median_tpot_ms", "std_tpot_ms", "p99_tpot_ms",
	"median_itl_ms", "mean_itl_ms", "std_itl_ms", "p99_itl_ms",
}

// pytorchLeftOut are the result keys too big for a record's extra_info.
var pytorchLeftOut = []string{"ttfts", "itls", "generated_texts", "errors"}

// pytorchSecretFlags are flags whose values stay out of the records.
var pytorchSecretFlags = []string{"api-key"}

// pytorchName is the records file of the result file name: its extension
// replaced by .pytorch.json.
func pytorchName(name string) string {
	return strings.TrimSuffix(name, filepath.Ext(name)) + ".pytorch.json"
}

// writePyTorch writes the records of result (one run's JSON object) to
// the records file of name: one record per metric of pytorchMetrics the
// result has, each with the command's flags (benchmark.extra_info.args, by
// argparse's names: dashes become underscores, unset values null), the
// --model given (model.name, null when none), the metric's value and the
// result's other keys but pytorchLeftOut. The --api-key flag is left out,
// --header values are replaced by "<redacted>" and a password in a
// --base-url is hidden, so that no credential reaches the file.
func writePyTorch(name string, flags *pflag.FlagSet, model string, result []byte) error {
	members, err := objectMembers(result)
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	args := flagArgs(flags)
	var extra bytes.Buffer
	extra.WriteByte('{')
	for _, m := range members {
		if slices.Contains(pytorchMetrics, m.key) || slices.Contains(pytorchLeftOut, m.key) {
			continue
		}
		if extra.Len() > 1 {
			extra.WriteByte(',')
		}
		appendMember(&extra, m.key, m.value)
	}
	extra.WriteByte('}')
	modelName := json.RawMessage("null")
	if model != "" {
		modelName, _ = json.Marshal(model)
	}
	var out bytes.Buffer
	out.WriteByte('[')
	for _, metric := range pytorchMetrics {
		m, ok := findMember(members, metric)
		if !ok {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		fmt.Fprintf(&out, `{"benchmark":{"name":"vLLM benchmark","extra_info":{"args":%s}},"model":{"name":%s},"metric":{"name":%q,"benchmark_values":[%s],"extra_info":%s}}`,
			args, modelName, metric, m.value, extra.Bytes())
	}
	out.WriteByte(']')
	return os.WriteFile(pytorchName(name), out.Bytes(), 0o644)
}

// member is one key of a JSON object and its value, as written.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers returns the members of the JSON object b in order.
func objectMembers(b []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var ms []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		ms = append(ms, member{t.(string), v})
	}
	return ms, nil
}

func findMember(ms []member, key string) (member, bool) {
	for _, m := range ms {
		if m.key == key {
			return m, true
		}
	}
	return member{}, false
}

func appendMember(b *bytes.Buffer, key string, value []byte) {
	k, _ := json.Marshal(key)
	b.Write(k)
	b.WriteByte(':')
	b.Write(value)
}

// flagArgs is the JSON object of the command's flags, as argparse's
// vars(args) would hold them: booleans and numbers typed, infinity as
// "inf" (vLLM's encoder writes it so), lists as arrays, empty values null.
func flagArgs(flags *pflag.FlagSet) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	flags.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(pytorchSecretFlags, f.Name) || f.Name == "help" {
			return
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		appendMember(&b, strings.ReplaceAll(f.Name, "-", "_"), flagValue(f))
	})
	b.WriteByte('}')
	return b.Bytes()
}

// flagValue is the JSON value of one flag.
func flagValue(f *pflag.Flag) []byte {
	if l, ok := f.Value.(listFlag); ok {
		if l.p == nil || len(*l.p) == 0 {
			return []byte("null")
		}
		vs := slices.Clone(*l.p)
		for i, v := range vs {
			switch f.Name {
			case "header":
				k, _, _ := strings.Cut(v, "=")
				vs[i] = k + "=<redacted>"
			case "base-url":
				if u, err := url.Parse(v); err == nil && u.User != nil {
					vs[i] = u.Redacted()
				}
			}
		}
		out, _ := json.Marshal(vs)
		return out
	}
	s := f.Value.String()
	switch f.Value.Type() {
	case "bool":
		if s == "true" {
			return []byte("true")
		}
		return []byte("false")
	case "int", "int64", "uint":
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return []byte(s)
		}
	case "float", "float64":
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			switch {
			case math.IsInf(v, 0):
				return []byte(`"inf"`)
			case math.IsNaN(v):
				return []byte("null")
			}
			return []byte(strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	if s == "" {
		return []byte("null")
	}
	out, _ := json.Marshal(s)
	return out
}
