//go:build !race

package jsonscan

// raceOn: see race_on_test.go.
const raceOn = false
