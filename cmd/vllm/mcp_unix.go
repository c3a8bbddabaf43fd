//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// detachFromTerminal puts the command in a process group of its own: Ctrl-C
// on the chat's terminal signals the terminal's process group, and must stop
// the running tool call (which the chat cancels), not kill the MCP server.
func detachFromTerminal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}
