package main

import (
	"io"
	"os"
)

// isTerminal reports whether r or w is a character device (a terminal).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ANSI styles, used only on terminals.
const (
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// styled writes text in a style when the writer is a terminal: begin
// switches the style on, end off, and the text between is written as it is.
type styled struct {
	w     io.Writer
	on    bool
	style string
}

func newStyled(w io.Writer, style string) *styled {
	return &styled{w: w, on: isTerminal(w), style: style}
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
