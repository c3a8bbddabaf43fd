package vllm

import (
	"encoding/json"
	"reflect"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// Message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one message of a chat conversation, as sent in a request and as
// returned in a response.
//
// Content is sent as a JSON string unless Parts is non-nil, in which case the
// parts are sent as a list. An assistant message with tool calls and no
// content sends "content": null, as vLLM itself returns it.
type Message struct {
	// Role is one of RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool.
	Role string
	// Content is the text of the message.
	Content string
	// Parts, when non-nil, is the multi-part content (text, images, audio,
	// video) sent instead of Content.
	Parts []ContentPart
	// Name is the optional participant name.
	Name string
	// Reasoning is an assistant message's reasoning ("thinking"). In a
	// response it is read from "reasoning" or, from older vLLM versions,
	// "reasoning_content". In a request it is sent as "reasoning" only when
	// set, for models that expect their earlier reasoning back (interleaved
	// thinking); see ChatResponse.AssistantMessage.
	Reasoning string
	// Refusal is an assistant's refusal message, when the server sent one.
	Refusal string
	// ToolCalls are the tool calls of an assistant message.
	ToolCalls []ToolCall
	// ToolCallID is the id of the call a tool message answers.
	ToolCallID string
	// contentNull records a response message whose content was null.
	contentNull bool
}

// System returns a system message.
func System(text string) Message { return Message{Role: RoleSystem, Content: text} }

// Developer returns a developer message (the newer name for system
// instructions in OpenAI's API; vLLM's chat templates treat it like system).
func Developer(text string) Message { return Message{Role: RoleDeveloper, Content: text} }

// User returns a user message with text content.
func User(text string) Message { return Message{Role: RoleUser, Content: text} }

// UserParts returns a user message whose content is a list of parts, e.g.
// text and images: vllm.UserParts(vllm.TextPart("What is this?"), img).
func UserParts(parts ...ContentPart) Message {
	if parts == nil {
		parts = []ContentPart{}
	}
	return Message{Role: RoleUser, Parts: parts}
}

// Assistant returns an assistant message with text content, for replaying a
// conversation's history.
func Assistant(text string) Message { return Message{Role: RoleAssistant, Content: text} }

// messageWire is the encoding form of a Message. Content is a string, the
// parts, or nil for null, encoded in place (not as pre-encoded bytes that
// encoding/json would scan again).
type messageWire struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"`
	Name       string     `json:"name,omitempty"`
	Reasoning  string     `json:"reasoning,omitempty"`
	Refusal    string     `json:"refusal,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// MarshalJSON encodes the message in the chat API's form.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.Parts == nil && len(m.ToolCalls) == 0 {
		// Text messages (nearly all of a conversation) are written directly,
		// byte for byte as encoding/json writes messageWire, without its
		// reflection and one allocation fewer per message.
		return m.appendText(make([]byte, 0, 32+len(m.Role)+len(m.Content)+len(m.Name)+len(m.Reasoning)+len(m.Refusal)+len(m.ToolCallID))), nil
	}
	w := messageWire{
		Role:       m.Role,
		Name:       m.Name,
		Reasoning:  m.Reasoning,
		Refusal:    m.Refusal,
		ToolCalls:  m.ToolCalls,
		ToolCallID: m.ToolCallID,
	}
	switch {
	case m.Parts != nil:
		w.Content = m.Parts
	case m.Content == "" && (len(m.ToolCalls) > 0 || m.contentNull):
		w.Content = nil // null
	default:
		w.Content = m.Content
	}
	return json.Marshal(&w)
}

// appendText appends a message without parts or tool calls in the form of
// messageWire.
func (m *Message) appendText(b []byte) []byte {
	b = append(b, `{"role":`...)
	b = jsonstr.AppendGo(b, m.Role)
	b = append(b, `,"content":`...)
	if m.Content == "" && m.contentNull {
		b = append(b, "null"...)
	} else {
		b = jsonstr.AppendGo(b, m.Content)
	}
	for _, f := range [...]struct{ key, val string }{
		{`,"name":`, m.Name}, {`,"reasoning":`, m.Reasoning}, {`,"refusal":`, m.Refusal}, {`,"tool_call_id":`, m.ToolCallID},
	} {
		if f.val != "" {
			b = append(b, f.key...)
			b = jsonstr.AppendGo(b, f.val)
		}
	}
	return append(b, '}')
}

// UnmarshalJSON decodes a message: content as a string, null or a list of
// parts, and reasoning from "reasoning" or "reasoning_content". A null
// message leaves m as it is, as encoding/json does for other types.
func (m *Message) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var w messageIn
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*m = w.message()
	return nil
}

// messageIn is the decoding form of a Message. Response decoding uses it
// directly inside its own wire types, so that a message's bytes are not
// scanned again by a nested json.Unmarshal.
type messageIn struct {
	Role             string         `json:"role"`
	Content          messageContent `json:"content"`
	Name             string         `json:"name"`
	Reasoning        string         `json:"reasoning"`
	ReasoningContent string         `json:"reasoning_content"`
	Refusal          string         `json:"refusal"`
	ToolCalls        []ToolCall     `json:"tool_calls"`
	ToolCallID       string         `json:"tool_call_id"`
}

func (w *messageIn) message() Message {
	m := Message{
		Role:        w.Role,
		Content:     w.Content.text,
		Parts:       w.Content.parts,
		Name:        w.Name,
		Reasoning:   w.Reasoning,
		Refusal:     w.Refusal,
		ToolCalls:   w.ToolCalls,
		ToolCallID:  w.ToolCallID,
		contentNull: !w.Content.set,
	}
	if m.Reasoning == "" {
		m.Reasoning = w.ReasoningContent
	}
	return m
}

// messageContent decodes a message's content: a string, a list of parts,
// or null (absent and null leave set false).
type messageContent struct {
	text  string
	parts []ContentPart
	set   bool
}

// UnmarshalJSON decodes a string in one pass over the bytes the enclosing
// decoder has validated (see unquoteJSON).
func (c *messageContent) UnmarshalJSON(b []byte) error {
	*c = messageContent{}
	switch {
	case len(b) == 0 || b[0] == 'n':
		return nil
	case b[0] == '"':
		c.text, c.set = unquoteJSON(b), true
		return nil
	case b[0] == '[':
		c.set = true
		return json.Unmarshal(b, &c.parts)
	}
	return &json.UnmarshalTypeError{Value: "content " + string(b[:min(len(b), 16)]), Type: reflect.TypeFor[string]()}
}

// Content part types (ContentPart.Type).
const (
	partText       = "text"
	partImageURL   = "image_url"
	partInputAudio = "input_audio"
	partAudioURL   = "audio_url"
	partVideoURL   = "video_url"
)

// ContentPart is one part of a multi-part message: text, an image, audio or
// video. Build parts with TextPart, ImagePart, AudioPart and VideoPart (media
// bytes or files become URLs with DataURL); any other part type vLLM accepts
// (image_embeds, audio_embeds, prompt_embeds, a part with a uuid, …) is sent
// by setting Raw: vllm.ContentPart{Raw: json.RawMessage(`{"type":"image_embeds",…}`)}.
type ContentPart struct {
	// Type is "text", "image_url", "input_audio", "audio_url" or
	// "video_url" (a part of another type is given in Raw).
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`        // for "text"
	ImageURL   *MediaURL   `json:"image_url,omitempty"`   // for "image_url"
	InputAudio *InputAudio `json:"input_audio,omitempty"` // for "input_audio" (OpenAI's shape; see AudioPart)
	AudioURL   *MediaURL   `json:"audio_url,omitempty"`   // for "audio_url"
	VideoURL   *MediaURL   `json:"video_url,omitempty"`   // for "video_url"
	// Raw, when set, is sent as the whole part instead of the fields
	// above: a JSON object such as {"type":"image_embeds","image_embeds":"…"}.
	// Parts of types this package does not model decode into Raw.
	Raw json.RawMessage `json:"-"`
}

type contentPartFields ContentPart

// MarshalJSON encodes the part, or its Raw form when set.
func (p ContentPart) MarshalJSON() ([]byte, error) {
	if p.Raw != nil {
		return p.Raw, nil
	}
	return json.Marshal(contentPartFields(p))
}

// UnmarshalJSON decodes a part; one of a type not modelled here keeps its
// JSON in Raw, so that it is sent back unchanged.
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	var f contentPartFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*p = ContentPart(f)
	switch p.Type {
	case partText, partImageURL, partInputAudio, partAudioURL, partVideoURL:
	default:
		p.Raw = append(json.RawMessage(nil), data...)
	}
	return nil
}

// validate checks that the part carries what its type needs; field returns
// the part's name, e.g. "messages[0].content[1]" (built only for an error).
func (p *ContentPart) validate(field func() string) error {
	if p.Raw != nil {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p.Raw, &obj); err != nil {
			return invalid(field(), "is not a JSON object: %v", err)
		}
		return nil
	}
	url := func(name, kind string, u *MediaURL) error {
		if u == nil {
			return missing(field() + "." + name)
		}
		if u.URL == "" {
			return missing(field() + "." + name + ".url")
		}
		return checkMediaKind(func() string { return field() + "." + name + ".url" }, kind, u.URL)
	}
	switch p.Type {
	case "":
		return missing(field() + ".type")
	case partImageURL:
		if p.ImageURL == nil {
			return missing(field() + ".image_url")
		}
		if p.ImageURL.URL == "" {
			return missing(field() + ".image_url.url")
		}
		return checkMediaKind(func() string { return field() + ".image_url.url" }, "image", p.ImageURL.URL)
	case partInputAudio:
		switch {
		case p.InputAudio == nil:
			return missing(field() + ".input_audio")
		case p.InputAudio.Data == "":
			return missing(field() + ".input_audio.data")
		case p.InputAudio.Format == "":
			return missing(field() + ".input_audio.format")
		}
	case partAudioURL:
		return url("audio_url", "audio", p.AudioURL)
	case partVideoURL:
		return url("video_url", "video", p.VideoURL)
	}
	return nil
}

// InputAudio is the content of an input_audio part, OpenAI's shape of
// inline audio: base64 data and its format. vLLM reads it as the data URL
// data:audio/<format>;base64,<data>, exactly what AudioPart sends in its
// own audio_url shape; this type is for sending the OpenAI shape as it is
// and for decoding messages that carry it.
type InputAudio struct {
	// Data is the base64-encoded audio.
	Data string `json:"data"`
	// Format is "wav" or "mp3".
	Format string `json:"format"`
}

// MediaURL is an image, audio or video given by URL: http(s), which the
// server fetches, or a data URL.
type MediaURL struct {
	// URL is the http(s) URL or data URL.
	URL string `json:"url"`
	// Detail is an image's detail, "auto", "low" or "high" (images only);
	// empty sends nothing.
	Detail string `json:"detail,omitempty"`
}

// TextPart returns a text content part.
func TextPart(text string) ContentPart { return ContentPart{Type: partText, Text: text} }

// ImagePart returns an image part, {"type":"image_url","image_url":{…}}, for
// an http(s) URL, which the server fetches, or a data URL (DataURL turns
// bytes or a file into one). An optional detail ("auto", "low", "high") may
// be given.
func ImagePart(url string, detail ...string) ContentPart {
	iu := &MediaURL{URL: url}
	if len(detail) > 0 {
		iu.Detail = detail[0]
	}
	return ContentPart{Type: partImageURL, ImageURL: iu}
}

// AudioPart returns an audio part, {"type":"audio_url","audio_url":{…}}, for
// an http(s) URL or a data URL (see DataURL).
//
// vLLM accepts audio in two wire shapes, audio_url (its own) and OpenAI's
// input_audio ({"data":…,"format":…}); it turns input_audio into the same
// data URL before loading it, so the two reach the model identically. This
// constructor builds audio_url, which carries every format vLLM reads and
// http(s) URLs too; the input_audio shape is ContentPart.InputAudio, which
// also decodes and re-sends it.
func AudioPart(url string) ContentPart {
	return ContentPart{Type: partAudioURL, AudioURL: &MediaURL{URL: url}}
}

// VideoPart returns a video part, {"type":"video_url","video_url":{…}}, for
// an http(s) URL or a data URL (see DataURL).
func VideoPart(url string) ContentPart {
	return ContentPart{Type: partVideoURL, VideoURL: &MediaURL{URL: url}}
}
