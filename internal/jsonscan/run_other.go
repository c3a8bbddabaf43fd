//go:build !amd64 || purego

package jsonscan

// haveRunSIMD is false where there is no assembly version of runSIMD.
const haveRunSIMD = false

// runSIMD is never called where haveRunSIMD is false.
func runSIMD(b []byte) (int, bool) { return 0, false }

// decodeSIMD is never called where haveRunSIMD is false.
func decodeSIMD(dst, src []byte) (int, int) { return 0, 0 }
