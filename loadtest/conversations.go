package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vllmgo/vllm/internal/sleep"
)

// PrefixConversations is the prefix-routing workload: many multi-turn
// conversations that all start with one system prompt, a share of them also
// with one hot document, each turn adding a question and re-sending the
// whole history (the previous answers included), as a chat application
// does, with a random pause between turns. Over several replicas it shows
// what routing does to vLLM's prefix cache: the history of a conversation is
// cached where its previous turn went. Prompts are numbered words ("s0 s1
// …"), one token each in vllmtest.
type PrefixConversations struct {
	// Conversations is the number of conversations (default 96).
	Conversations int
	// Turns is the number of turns of each (default 6).
	Turns int
	// SystemLen is the length in words of the shared system prompt
	// (default 600).
	SystemLen int
	// DocumentLen is the length in words of the hot shared document
	// (default 1500).
	DocumentLen int
	// DocumentShare is the share of conversations whose system message
	// quotes the document, in [0, 1].
	DocumentShare float64
	// QuestionLen is the length in words of each user turn (default 60).
	QuestionLen int
	// OutputLen is the max_completion_tokens of each turn (default 24).
	OutputLen int
	// MaxPause bounds the pause after each turn, drawn uniformly from
	// [0, MaxPause); 0 sends the next turn at once.
	MaxPause time.Duration
}

// DefaultPrefixConversations is the workload of docs/benchmarks.md,
// "Prefix-cache-aware routing".
func DefaultPrefixConversations() PrefixConversations {
	return PrefixConversations{Conversations: 96, Turns: 6, SystemLen: 600, DocumentLen: 1500, DocumentShare: 0.5,
		QuestionLen: 60, OutputLen: 24, MaxPause: 20 * time.Millisecond}
}

// Conversation is one conversation of a workload: a system message, then
// one user message per turn, each answered before the next is sent.
type Conversation struct {
	// System is the system message.
	System string
	// Questions holds the user message of each turn.
	Questions []string
	// Pauses holds how long to wait after each turn's answer.
	Pauses []time.Duration
	// OutputLen is the max_completion_tokens of each turn; 0 leaves it to
	// the server.
	OutputLen int
	// ID prefixes the x-request-id of each turn (the turn's number
	// follows); empty sends none.
	ID string
}

// Generate returns the conversations. Conversation i draws its document
// share and pauses from its own stream of seed, so that the same seed gives
// the same workload whatever the number of conversations.
func (d PrefixConversations) Generate(o SampleOptions) ([]Conversation, error) {
	switch {
	case d.Conversations < 1 || d.Turns < 1:
		return nil, fmt.Errorf("--conversations-num (%d) and --conversations-turns (%d) must be at least 1", d.Conversations, d.Turns)
	case d.SystemLen < 0 || d.DocumentLen < 0 || d.QuestionLen < 0 || d.OutputLen < 0:
		return nil, errors.New("--conversations-system-len, -document-len, -question-len and -output-len must not be negative")
	case !(d.DocumentShare >= 0 && d.DocumentShare <= 1):
		return nil, fmt.Errorf("--conversations-document-share must be in [0, 1], got %g", d.DocumentShare)
	case d.MaxPause < 0:
		return nil, fmt.Errorf("--conversations-max-pause must not be negative, got %s", d.MaxPause)
	}
	system := "Policy: " + numberedWords("s", d.SystemLen)
	withDocument := system + "\nDocument: " + numberedWords("d", d.DocumentLen)
	out := make([]Conversation, d.Conversations)
	for id := range out {
		rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(id)))
		c := Conversation{System: system, OutputLen: d.OutputLen}
		if rng.Float64() < d.DocumentShare {
			c.System = withDocument
		}
		if o.RequestIDPrefix != "" {
			c.ID = o.RequestIDPrefix + strconv.Itoa(id) + "-"
		}
		for turn := range d.Turns {
			c.Questions = append(c.Questions, fmt.Sprintf("c%d t%d ", id, turn)+numberedWords(fmt.Sprintf("q%d.%d.", id, turn), d.QuestionLen))
			var pause time.Duration
			if d.MaxPause > 0 {
				pause = time.Duration(rng.Int64N(int64(d.MaxPause)))
			}
			c.Pauses = append(c.Pauses, pause)
		}
		out[id] = c
	}
	return out, nil
}

// numberedWords returns n words "tag0 tag1 …".
func numberedWords(tag string, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tag)
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// chatMessage is one message of a conversation's request body, role first.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// turnBody encodes the chat request of a conversation's turn, given the
// messages so far (the last one the turn's question).
func (s *sender) turnBody(c *Conversation, msgs []chatMessage) ([]byte, error) {
	p := map[string]any{
		"model":          s.cfg.Model,
		"messages":       msgs,
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	if c.OutputLen > 0 {
		p["max_completion_tokens"] = c.OutputLen
	}
	return s.encode(p)
}

// firstTurn is the first turn of c as a request (for the ready check and
// the warm-ups).
func (s *sender) firstTurn(c *Conversation) (item, error) {
	msgs := []chatMessage{{"system", c.System}, {"user", c.Questions[0]}}
	b, err := s.turnBody(c, msgs)
	return item{body: b, promptLen: estimateTokens(c.System + c.Questions[0])}, err
}

// conversationStarts returns the index in the outputs of each
// conversation's first turn.
func conversationStarts(convs []Conversation) (starts []int, total int) {
	starts = make([]int, len(convs))
	for i := range convs {
		starts[i] = total
		total += len(convs[i].Questions)
	}
	return starts, total
}

// converse runs conversation c, its turns measured into outs (one each),
// with times relative to start; arrival is when the conversation arrived.
// A failed turn ends the conversation: its later turns are failed unsent.
func (s *sender) converse(ctx context.Context, c *Conversation, outs []Output, start, arrival time.Time) {
	msgs := []chatMessage{{"system", c.System}}
	for turn, q := range c.Questions {
		msgs = append(msgs, chatMessage{"user", q})
		o := &outs[turn]
		body, err := s.turnBody(c, msgs)
		if err != nil {
			o.Error = err.Error()
		} else {
			id := ""
			if c.ID != "" {
				id = c.ID + strconv.Itoa(turn)
			}
			ready := time.Now()
			s.send(ctx, item{body: body, id: id, promptLen: estimateTokens(c.System) + estimateTokens(q)}, o, start)
			if turn == 0 {
				o.QueueTime = o.StartTime - arrival.Sub(start).Seconds()
			} else {
				o.QueueTime = o.StartTime - ready.Sub(start).Seconds()
			}
		}
		if !o.Success {
			for i := turn + 1; i < len(outs); i++ {
				outs[i] = Output{Error: "not sent: turn " + strconv.Itoa(turn) + " of the conversation failed"}
			}
			return
		}
		msgs = append(msgs, chatMessage{"assistant", o.GeneratedText})
		sleep.For(ctx, c.Pauses[turn]) // when ctx ends first, the next turn fails
	}
}
