package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f (a reader or writer) is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// colorOK reports whether w may be written ANSI styles: a terminal, and
// NO_COLOR (https://no-color.org) not set.
func colorOK(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && isTerminal(w)
}

// ANSI styles, used only where colorOK.
const (
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// styled writes text in a style when the writer takes styles: begin
// switches the style on, end off, and the text between is written as it is.
type styled struct {
	w     io.Writer
	on    bool
	style string
}

func newStyled(w io.Writer, style string) *styled {
	return &styled{w: w, on: colorOK(w), style: style}
}

func (s *styled) begin() {
	if s.on {
		io.WriteString(s.w, s.style)
	}
}

func (s *styled) end() {
	if s.on {
		io.WriteString(s.w, ansiReset)
	}
}

func (s *styled) WriteString(text string) { io.WriteString(s.w, text) }
