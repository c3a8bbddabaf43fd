// Package textcut bounds bytes shown to people (error messages, log lines,
// parse errors): valid UTF-8, cut at a rune boundary.
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Cut returns b as valid UTF-8 text (invalid bytes as U+FFFD) of at most n
// bytes of b, cut at a rune boundary and followed by mark when it was cut.
func Cut(b []byte, n int, mark string) string {
	if len(b) <= n {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") + mark
}
