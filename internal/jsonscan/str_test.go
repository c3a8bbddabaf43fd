package jsonscan

import (
	"encoding/json"
	"testing"
)

// FuzzJSONString checks the string decoder alone against encoding/json:
// the same strings accepted, decoded to the same bytes.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"a\"b"`, `"\ud83d\ude00"`, "\"\xff\xe2\x82\"", `"\ud83d\u0041x"`, `"é\\n\t"`, `"abcdefghijklmnopq\u00e9rs"`, `"\u12G4"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want string
		errJ := json.Unmarshal(in, &want)
		var s Scanner
		s.Start(in)
		got, ok := s.Str()
		if ok {
			ok = s.End()
		}
		if (errJ == nil) != ok {
			t.Fatalf("%q: encoding/json error %v, ours ok=%v (%v)", in, errJ, ok, s.Err())
		}
		if ok && string(got) != want {
			t.Fatalf("%q: got %q, want %q", in, got, want)
		}
	})
}
