//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// pty is a pseudo-terminal whose slave side is a child process's terminal:
// the test writes keystrokes to the master and reads what the child shows.
type pty struct {
	master *os.File
	mu     sync.Mutex
	screen bytes.Buffer // everything the child wrote, as the terminal got it
	done   chan struct{}
}

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// openPTY opens a new pseudo-terminal pair through /dev/ptmx.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if err := ioctl(master.Fd(), syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	var n uint32
	if err := ioctl(master.Fd(), syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// startInPTY starts cmd in a new session whose controlling terminal is a
// fresh pty, so that Ctrl-C typed on it becomes SIGINT, as in a real
// terminal. The pty is its stdin, and its stdout and stderr unless set.
func startInPTY(t *testing.T, cmd *exec.Cmd) *pty {
	t.Helper()
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal available: %v", err)
	}
	cmd.Stdin = slave
	if cmd.Stdout == nil {
		cmd.Stdout = slave
	}
	if cmd.Stderr == nil {
		cmd.Stderr = slave
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	p := &pty{master: master, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.screen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return // EIO once the child has exited
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		master.Close()
		<-p.done
	})
	return p
}

// type_ sends keystrokes to the terminal.
func (p *pty) type_(t *testing.T, s string) {
	t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// text returns what the terminal has shown so far.
func (p *pty) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen.String()
}

// waitFor waits until the terminal shows want n times in total, and returns
// the screen.
func (p *pty) waitFor(t *testing.T, want string, n int) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := p.text()
		if strings.Count(s, want) >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q (x%d); screen:\n%s", want, n, s)
		}
		time.Sleep(5 * time.Millisecond) // polling a real process's terminal screen
	}
}

// promptReady is what the line editor writes each time it starts reading a
// line: bracketed paste switched on, then the prompt.
const promptReady = "\x1b[?2004h> "

// waitPrompt waits until the line editor has shown its prompt n times in
// total.
func (p *pty) waitPrompt(t *testing.T, n int) string {
	t.Helper()
	return p.waitFor(t, promptReady, n)
}
