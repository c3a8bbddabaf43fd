package textcut

import "testing"

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 3, "too…"},
		{"héllo", 2, "h…"}, // é is two bytes: the cut moves back before it
		{"héllo", 3, "hé…"},
		{"bad \xff", 10, "bad \uFFFD"},
		{"\xff\xfe rest", 2, "\uFFFD…"},
	} {
		if got := Cut([]byte(tc.in), tc.n, "…"); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
