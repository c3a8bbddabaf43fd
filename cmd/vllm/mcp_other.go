//go:build !unix

package main

import "os/exec"

// detachFromTerminal does nothing where Ctrl-C is not sent to a process
// group.
func detachFromTerminal(*exec.Cmd) {}
