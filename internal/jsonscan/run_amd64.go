//go:build amd64 && !purego

package jsonscan

// haveRunSIMD reports that runSIMD can run: the CPU has SSSE3 (PSHUFB and
// PALIGNR), which nearly every amd64 CPU has but GOAMD64=v1 does not promise.
var haveRunSIMD = cpuidECX1()&(1<<9) != 0

// runSIMD returns the offset in b of the first byte that ends a run of a
// string's body (a quote, a backslash or a control byte), or len(b), and
// whether b up to there is valid UTF-8 made of whole characters; sixteen
// bytes a step. It returns false for a b shorter than 16 bytes, and when it
// returns false the offset means nothing.
//
//go:noescape
func runSIMD(b []byte) (n int, ok bool)

func cpuidECX1() uint32
