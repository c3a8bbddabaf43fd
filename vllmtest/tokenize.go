package vllmtest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// tokenizeRequest is the body of /tokenize: a prompt, or chat messages.
type tokenizeRequest struct {
	Model               string          `json:"model"`
	Prompt              *string         `json:"prompt"`
	Messages            []ChatMessage   `json:"messages"`
	AddGenerationPrompt *bool           `json:"add_generation_prompt"`
	ReturnTokenStrs     bool            `json:"return_token_strs"`
	Tools               json.RawMessage `json:"tools"`
}

func (s *Server) handleTokenize(w http.ResponseWriter, r *http.Request) {
	var req tokenizeRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	var text string
	switch {
	case req.Prompt != nil:
		text = *req.Prompt
	case req.Messages != nil:
		text = renderPrompt(req.Messages, req.AddGenerationPrompt == nil || *req.AddGenerationPrompt)
	default:
		validationError(w, "1 validation error: Field required: prompt or messages", "prompt")
		return
	}
	pieces := splitTokens(text)
	b := []byte(`{"count":`)
	b = strconv.AppendInt(b, int64(len(pieces)), 10)
	b = append(b, `,"max_model_len":`...)
	b = strconv.AppendInt(b, int64(m.maxModelLen), 10)
	b = append(b, `,"tokens":[`...)
	for i, p := range pieces {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(tokenID(p)), 10)
	}
	b = append(b, `],"token_strs":`...)
	if req.ReturnTokenStrs {
		b = append(b, '[')
		for i, p := range pieces {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.AppendPython(b, p)
		}
		b = append(b, ']')
	} else {
		b = append(b, "null"...)
	}
	s.respond(w, r, append(b, '}'))
}

func (s *Server) handleDetokenize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	var req struct {
		Model  string `json:"model"`
		Tokens []int  `json:"tokens"`
	}
	if !s.decodeBody(w, r, &req) {
		return
	}
	if req.Tokens == nil {
		validationError(w, "1 validation error: Field required: tokens", "tokens")
		return
	}
	if _, ok := s.checkModel(w, req.Model); !ok {
		return
	}
	for _, id := range req.Tokens {
		if _, ok := tokenPiece(id); !ok {
			writeError(w, http.StatusBadRequest, TypeBadRequest, "Token id "+strconv.Itoa(id)+" is out of vocabulary", "")
			return
		}
	}
	b := append([]byte(`{"prompt":`), jsonstr.AppendPython(nil, detokenize(req.Tokens))...)
	s.respond(w, r, append(b, '}'))
}

// embeddingRequest is the body of /v1/embeddings.
type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	Messages       []ChatMessage   `json:"messages"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// DefaultDimensions is the size of the embeddings the server returns when the
// request sets no dimensions.
const DefaultDimensions = 8

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var req embeddingRequest
	if !s.decodePost(w, r, &req) {
		return
	}
	var inputs []string
	switch {
	case req.Messages != nil:
		inputs = []string{renderPrompt(req.Messages, false)}
	case len(req.Input) > 0:
		inputs = (&CompletionRequest{Prompt: req.Input}).Prompts()
		if inputs == nil {
			validationError(w, "1 validation error: input should be a string, a list of strings or token ids", "input")
			return
		}
	default:
		validationError(w, "1 validation error: Field required: input", "input")
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		validationError(w, "1 validation error: encoding_format: Input should be 'float' or 'base64'", "encoding_format")
		return
	}
	dims := DefaultDimensions
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			writeError(w, http.StatusBadRequest, TypeBadRequest, "dimensions must be positive", "dimensions")
			return
		}
		dims = *req.Dimensions
	}
	m, ok := s.checkModel(w, req.Model)
	if !ok {
		return
	}
	name := req.Model
	if name == "" {
		name = m.name
	}
	prompt := 0
	b := []byte(`{"id":"embd-`)
	b = append(b, s.nextID()...)
	b = append(b, `","object":"list","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = jsonstr.AppendPython(b, name)
	b = append(b, `,"data":[`...)
	for i, in := range inputs {
		n := countTokens(in)
		if n > m.maxModelLen {
			writeError(w, http.StatusBadRequest, TypeBadRequest, "This model's maximum context length is "+strconv.Itoa(m.maxModelLen)+
				" tokens. However, you requested "+strconv.Itoa(n)+" tokens in the input for embedding generation. Please reduce the length of the input.", "")
			return
		}
		prompt += n
		b = appendChoiceIndex(b, i)
		b = append(b, `,"object":"embedding","embedding":`...)
		vec := Embedding(in, dims)
		if req.EncodingFormat == "base64" {
			raw := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(f))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range vec {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"usage":`...)
	b = appendUsage(b, prompt, 0, true, 0)
	s.respond(w, r, append(b, '}'))
}

// Embedding returns the unit vector of dims float32 values the server
// returns as the embedding of text: deterministic, derived from the text.
func Embedding(text string, dims int) []float32 {
	r := newRNG(text, 11)
	vec := make([]float32, dims)
	var sum float64
	for i := range vec {
		v := float64(int64(r.next()>>11))/float64(1<<52) - 1
		vec[i] = float32(v)
		sum += v * v
	}
	norm := math.Sqrt(sum)
	if norm == 0 {
		norm = 1
	}
	for i := range vec {
		vec[i] = float32(float64(vec[i]) / norm)
	}
	return vec
}
