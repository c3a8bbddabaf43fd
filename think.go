package vllm

import "strings"

// The tags that delimit a model's reasoning in its raw output.
const (
	thinkOpenTag  = "<think>"
	thinkCloseTag = "</think>"
)

// thinkSpace is the whitespace trimmed around reasoning and after the tags.
const thinkSpace = " \t\r\n"

// This file moves the reasoning a model wrote between <think> and </think>
// out of its content (WithThinkSplit), for servers that run without a
// reasoning parser (vLLM's --reasoning-parser) and so return the reasoning
// inside the content.

// splitThink separates the reasoning a model wrote between <think> and
// </think> from the rest of its output.
//
// Text outside think blocks is the content; text inside is the reasoning.
// Whitespace at both ends of the reasoning and right after each tag is
// dropped, as is whitespace before a leading <think>; everything else is kept
// as it is. A think block left open (the generation hit its length limit) is
// reasoning to the end.
//
// Chat templates such as DeepSeek-R1's and Qwen3's thinking templates open
// the think block in the prompt, so the output starts inside it and only
// closes it: "reasoning…</think>answer". splitThink detects this — a
// </think> with no <think> before it — and treats the text before it as
// reasoning. Text without any tag is all content.
//
// splitThink gives exactly the result of a thinkSplitter fed the same text in
// any number of fragments, with startInThink set as detected here (or as
// given: startInThink true makes text without any tag all reasoning).
func splitThink(text string, startInThink bool) (reasoning, content string) {
	sp := thinkSplitter{startInThink: startInThink || opensInsideThink(text)}
	r1, c1 := sp.split(text)
	r2, c2 := sp.flush()
	return r1 + r2, c1 + c2
}

// opensInsideThink reports whether text closes a think block it never opened.
func opensInsideThink(text string) bool {
	end := strings.Index(text, thinkCloseTag)
	return end >= 0 && !strings.Contains(text[:end], thinkOpenTag)
}

// thinkSplitter is the incremental form of splitThink, for streamed content:
// feed each content fragment to split as it arrives, and call flush once the
// stream has ended. Tags split across fragments are recognised; the few bytes
// that may start a tag (and, inside a think block, trailing whitespace) are
// held back until the next fragment decides them.
//
// A stream cannot look ahead to find out whether the output starts inside a
// think block, so say so with startInThink when the chat template opens the
// block in the prompt (DeepSeek-R1, Qwen3 thinking templates); a <think> at
// the very start of the output is accepted either way.
//
// The zero value is ready to use. split returns substrings of its argument
// where it can, so it allocates only when held-back bytes are joined to the
// next fragment or one fragment holds several segments of the same kind. A
// thinkSplitter is not safe for concurrent use; use one per choice.
type thinkSplitter struct {
	// startInThink makes the output start as reasoning, up to the first
	// </think>.
	startInThink bool

	begun  bool   // the start of the output has been decided
	inside bool   // inside a think block
	skipWS bool   // drop whitespace at the start of the next segment
	pend   string // held-back bytes: a possible tag and/or trailing whitespace
}

// split takes the next fragment of content and returns the reasoning and
// content it completes. Either or both may be empty while bytes are held back.
func (sp *thinkSplitter) split(fragment string) (reasoning, content string) {
	s := fragment
	if sp.pend != "" {
		s = sp.pend + fragment
		sp.pend = ""
	}
	if !sp.begun {
		var ok bool
		if s, ok = sp.begin(s); !ok {
			return "", ""
		}
	}
	for s != "" {
		if sp.skipWS {
			s = strings.TrimLeft(s, thinkSpace)
			if s == "" {
				break
			}
			sp.skipWS = false
		}
		tag := thinkOpenTag
		if sp.inside {
			tag = thinkCloseTag
		}
		if i := strings.Index(s, tag); i >= 0 {
			seg := s[:i]
			if sp.inside {
				reasoning = joinSeg(reasoning, strings.TrimRight(seg, thinkSpace))
			} else {
				content = joinSeg(content, seg)
			}
			s = s[i+len(tag):]
			sp.inside = !sp.inside
			sp.skipWS = true
			continue
		}
		keep := len(s) - partialSuffix(s, tag)
		if sp.inside {
			keep = len(strings.TrimRight(s[:keep], thinkSpace))
			reasoning = joinSeg(reasoning, s[:keep])
		} else {
			content = joinSeg(content, s[:keep])
		}
		sp.pend = s[keep:]
		break
	}
	return reasoning, content
}

// begin decides how the output starts: whitespace and a leading <think> are
// consumed. It returns the rest of s, or false when s is too short to decide
// (it is then held back).
func (sp *thinkSplitter) begin(s string) (string, bool) {
	t := strings.TrimLeft(s, thinkSpace)
	switch {
	case strings.HasPrefix(t, thinkOpenTag):
		sp.begun, sp.inside, sp.skipWS = true, true, true
		return t[len(thinkOpenTag):], true
	case strings.HasPrefix(thinkOpenTag, t): // empty, or a prefix of the tag
		sp.pend = s
		return "", false
	}
	sp.begun, sp.inside = true, sp.startInThink
	if sp.inside {
		return t, true // reasoning starts at its first non-space byte
	}
	return s, true
}

// flush returns what is still held back, once the content has ended, and
// resets the splitter for reuse (startInThink is kept).
func (sp *thinkSplitter) flush() (reasoning, content string) {
	s := sp.pend
	inside := sp.inside
	if !sp.begun {
		inside = sp.startInThink
		if inside {
			s = strings.TrimLeft(s, thinkSpace)
		}
	}
	if sp.skipWS {
		s = strings.TrimLeft(s, thinkSpace)
	}
	*sp = thinkSplitter{startInThink: sp.startInThink}
	if inside {
		return strings.TrimRight(s, thinkSpace), ""
	}
	return "", s
}

// partialSuffix returns the length of the longest suffix of s that is a
// proper prefix of tag: bytes that may begin a tag completed by later input.
func partialSuffix(s, tag string) int {
	n := len(tag) - 1
	if n > len(s) {
		n = len(s)
	}
	for ; n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}

// joinSeg appends seg to acc, allocating only when both are non-empty.
func joinSeg(acc, seg string) string {
	if acc == "" {
		return seg
	}
	if seg == "" {
		return acc
	}
	return acc + seg
}

// splitThink moves <think>…</think> reasoning out of every choice's content
// into its reasoning (see the function splitThink), for WithThinkSplit on a
// whole response. Reasoning found in the content is appended to any
// reasoning the server already returned. Choices whose content holds no
// think tag are left as they are, unless startInThink makes it all
// reasoning.
func (r *ChatResponse) splitThink(startInThink bool) {
	if r == nil {
		return
	}
	for i := range r.Choices {
		m := &r.Choices[i].Message
		if !startInThink && !strings.Contains(m.Content, thinkCloseTag) && !strings.Contains(m.Content, thinkOpenTag) {
			continue
		}
		reasoning, content := splitThink(m.Content, startInThink)
		m.Content = content
		if reasoning != "" {
			if m.Reasoning != "" {
				m.Reasoning += "\n"
			}
			m.Reasoning += reasoning
		}
	}
}
