package vllm

import "bytes"

// Think tags as models emit them in content when the server runs without a
// reasoning parser.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// thinkSplitter splits a choice's streamed content into reasoning (text
// between <think> and </think>) and content, incrementally: a tag split
// across chunks is recognised, because a chunk's tail that could start a
// tag is held back until the next chunk (or the end) decides.
type thinkSplitter struct {
	inside  bool
	pending []byte
}

// feed splits in, calling emit with each piece and whether it is
// reasoning. The pieces borrow in or a fresh buffer, never the splitter's
// own storage, so they stay valid after later calls. final flushes what
// was held back.
func (t *thinkSplitter) feed(in []byte, final bool, emit func(text []byte, reasoning bool)) {
	work := in
	if len(t.pending) > 0 {
		work = make([]byte, 0, len(t.pending)+len(in))
		work = append(append(work, t.pending...), in...)
		t.pending = t.pending[:0]
	}
	for len(work) > 0 {
		tag := thinkOpen
		if t.inside {
			tag = thinkClose
		}
		if i := bytes.Index(work, []byte(tag)); i >= 0 {
			emit(work[:i], t.inside)
			work = work[i+len(tag):]
			t.inside = !t.inside
			continue
		}
		keep := 0
		if !final {
			keep = partialTagSuffix(work, tag)
		}
		emit(work[:len(work)-keep], t.inside)
		t.pending = append(t.pending, work[len(work)-keep:]...)
		return
	}
}

// partialTagSuffix returns the length of the longest proper prefix of tag
// that ends b.
func partialTagSuffix(b []byte, tag string) int {
	for k := min(len(tag)-1, len(b)); k > 0; k-- {
		if string(b[len(b)-k:]) == tag[:k] {
			return k
		}
	}
	return 0
}
