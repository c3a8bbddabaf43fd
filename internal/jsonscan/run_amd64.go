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

// decodeSIMD decodes the body of a string from its start at src[0], a
// character boundary, into dst, sixteen bytes a step: it copies the runs
// runSIMD passes and decodes the two-byte escapes (\" \\ \/ \b \f \n \r
// \t). It stops at the first thing it leaves to its caller, always between
// characters: a quote, any other escape, a control byte, the start of a run
// that is not valid UTF-8 made of whole characters, or the end of src. It
// returns how many bytes of src it read and of dst it wrote; it reads
// nothing of a src shorter than 16 bytes. It stores whole blocks, so dst
// must have room for len(src)+16 bytes.
//
//go:noescape
func decodeSIMD(dst, src []byte) (nsrc, ndst int)

func cpuidECX1() uint32
