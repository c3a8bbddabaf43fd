//go:build race

package jsonscan

// raceOn: the race detector instruments the tests' Go code, not runSIMD's
// assembly, so the exhaustive tests take fewer cases under it.
const raceOn = true
