package vllm

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
)

// CompletionEvent is one event of a legacy completion stream: EventContent
// (a text fragment in Text), EventFinish, EventUsage or EventDone.
type CompletionEvent struct {
	Type EventType // EventContent, EventFinish, EventUsage or EventDone
	// Choice is the index of the choice (several prompts, or n > 1); -1
	// for EventUsage and EventDone.
	Choice int
	// Text is the text fragment of an EventContent.
	Text string
	// Usage is set for EventUsage.
	Usage *Usage
	// FinishReason and StopReason are set for EventFinish.
	FinishReason string
	StopReason   *StopReason // the stop string or token (vLLM), for EventFinish
	// Raw is the chunk's JSON, borrowed until the next call of Next.
	Raw json.RawMessage
}

// CompletionStream is a streaming legacy completion. It reads like a
// ChatStream: Events, or Next, Event and Err; Close; Response.
type CompletionStream struct {
	r   eventReader
	acc completionAccumulator
}

// Stream sends a streaming completion request ("stream": true). Unless
// req.StreamOptions is set, it asks for the usage at the end. req is not
// modified. Errors are reported as for ChatService.Stream.
func (s *CompletionsService) Stream(ctx context.Context, req *CompletionRequest, opts ...Option) (*CompletionStream, error) {
	if req == nil {
		return nil, missing("request")
	}
	r := *req
	if r.StreamOptions == nil {
		r.StreamOptions = defaultStreamOptions
	}
	ar, err := s.request(&r, true, opts)
	if err != nil {
		return nil, err
	}
	st := &CompletionStream{}
	st.r.acc, st.r.what = &st.acc, "completion stream chunk"
	if _, err := s.c.openStream(ctx, ar, &st.r.core); err != nil {
		return nil, err
	}
	st.r.core.summarize, st.r.core.model = st.acc.summarize, st.acc.modelName
	return st, nil
}

// Next advances to the next event; see ChatStream.Next.
func (s *CompletionStream) Next() bool { return s.r.next() }

// Event returns the current event, or a zero event when there is none.
func (s *CompletionStream) Event() CompletionEvent {
	q := s.r.currentBuilt()
	if q == nil {
		return CompletionEvent{}
	}
	e := &q.ev
	return CompletionEvent{Type: e.Type, Choice: e.Choice, Text: e.Text, Usage: e.Usage, FinishReason: e.FinishReason, StopReason: e.StopReason, Raw: e.Raw}
}

// Err returns the error that ended the stream; see ChatStream.Err.
func (s *CompletionStream) Err() error { return s.r.core.failure() }

// Close releases the stream's connection; see ChatStream.Close.
func (s *CompletionStream) Close() error { return s.r.core.close() }

// Events returns an iterator over the stream's events; see
// ChatStream.Events.
func (s *CompletionStream) Events() iter.Seq2[CompletionEvent, error] {
	return events(s.Next, s.Event, s.Err, s.Close)
}

// Collect reads the rest of the stream, closes it and returns the
// accumulated response, the one a non-streaming request would have returned
// (with the error, if the stream failed). After an Events loop or Next
// returned false, it reads nothing more.
func (s *CompletionStream) Collect() (*CompletionResponse, error) {
	readAll(s.Next, s.Close)
	return s.acc.response(), s.Err()
}

// completionAccumulator builds the final response of a completion stream.
type completionAccumulator struct {
	id, model, fingerprint, tier string
	created                      int64
	choices                      []accCompletionChoice
	usage                        *Usage
	kvTransferParams             json.RawMessage
}

type accCompletionChoice struct {
	seen           bool
	text           []byte
	logprobs       *CompletionLogprobs
	finish         string
	stop           *StopReason
	tokenIDs       []int
	promptTokenIDs []int
	promptLogprobs json.RawMessage
}

func (a *completionAccumulator) finalUsage() *Usage { return a.usage }

// modelName is the model the chunks have named so far.
func (a *completionAccumulator) modelName() string { return a.model }

// summarize reports the response id, model and finish reasons read so far.
func (a *completionAccumulator) summarize(res *CallResult) {
	res.ResponseID, res.ResponseModel = a.id, a.model
	size := 0
	for i := range a.choices {
		if f := a.choices[i].finish; f != "" {
			res.FinishReasons = append(res.FinishReasons, f)
		}
		size += len(a.choices[i].text)
	}
	if size <= maxCapture {
		res.Body = capturedBody(a.response())
	}
}

func (a *completionAccumulator) finishAll(*[]queuedEvent) {}

func (a *completionAccumulator) apply(c *chunk, raw []byte, q *[]queuedEvent) error {
	applyHeader(c, &a.id, &a.model, &a.fingerprint, &a.tier, &a.created)
	if c.hasKVTransferParams {
		a.kvTransferParams = bytes.Clone(c.kvTransferParams)
	}
	for i := range c.choices {
		ch := &c.choices[i]
		for len(a.choices) <= ch.index {
			a.choices = append(a.choices, accCompletionChoice{})
		}
		ac := &a.choices[ch.index]
		ac.seen = true
		if ch.hasText && len(ch.text) > 0 {
			ac.text = append(ac.text, ch.text...)
			queueText(q, EventContent, ch.index, ch.text, raw)
		}
		if ch.logprobs != nil {
			var lp CompletionLogprobs
			if err := json.Unmarshal(ch.logprobs, &lp); err != nil {
				return err
			}
			if ac.logprobs == nil {
				ac.logprobs = &CompletionLogprobs{}
			}
			l := ac.logprobs
			l.TextOffset = append(l.TextOffset, lp.TextOffset...)
			l.TokenLogprobs = append(l.TokenLogprobs, lp.TokenLogprobs...)
			l.Tokens = append(l.Tokens, lp.Tokens...)
			l.TopLogprobs = append(l.TopLogprobs, lp.TopLogprobs...)
		}
		for _, f := range []struct {
			raw []byte
			dst *[]int
		}{{ch.tokenIDs, &ac.tokenIDs}, {ch.promptTokenIDs, &ac.promptTokenIDs}} {
			if f.raw != nil {
				var ids []int
				if err := json.Unmarshal(f.raw, &ids); err != nil {
					return err
				}
				*f.dst = append(*f.dst, ids...)
			}
		}
		if ch.promptLogprobs != nil {
			ac.promptLogprobs = bytes.Clone(ch.promptLogprobs)
		}
		if ch.stop != nil {
			sr, err := decodeStopReason(ch.stop)
			if err != nil {
				return err
			}
			ac.stop = sr
		}
		if ch.hasFinish {
			ac.finish = finishReason(ch.finish)
			*q = append(*q, queuedEvent{ev: ChatEvent{Type: EventFinish, Choice: ch.index, FinishReason: ac.finish, StopReason: ac.stop, Raw: raw}})
		}
	}
	return applyUsage(c, raw, &a.usage, q)
}

func (a *completionAccumulator) response() *CompletionResponse {
	r := &CompletionResponse{
		ID: a.id, Object: "text_completion", Created: a.created, Model: a.model, Usage: a.usage,
		SystemFingerprint: a.fingerprint, ServiceTier: a.tier, KVTransferParams: a.kvTransferParams,
		Choices: make([]CompletionChoice, 0, len(a.choices)),
	}
	for i := range a.choices {
		ac := &a.choices[i]
		if !ac.seen {
			continue
		}
		r.Choices = append(r.Choices, CompletionChoice{
			Index: i, Text: string(ac.text), Logprobs: ac.logprobs, FinishReason: ac.finish, StopReason: ac.stop,
			TokenIDs: ac.tokenIDs, PromptTokenIDs: ac.promptTokenIDs, PromptLogprobs: ac.promptLogprobs,
		})
	}
	return r
}
