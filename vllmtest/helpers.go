package vllmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vllmgo/vllm/internal/jsonstr"
)

// Error types vLLM puts in its error bodies.
const (
	// TypeBadRequest is the type of a request vLLM rejects while serving it
	// (context too long, bad tool choice, …).
	TypeBadRequest = "BadRequestError"
	// TypeValidation is the type of a body that fails vLLM's schema
	// validation (wrong JSON, wrong field type): FastAPI's handler names it
	// after the HTTP status phrase.
	TypeValidation = "Bad Request"
	// TypeNotFound is the type of an unknown model.
	TypeNotFound = "NotFoundError"
	// TypeRateLimit is the type of a 429: current vLLM's admission control
	// names it after the HTTP status phrase.
	TypeRateLimit = "Too Many Requests"
	// TypeInternal is the type of a 500.
	TypeInternal = "InternalServerError"
	// TypeUnavailable is the type of a 503 (overloaded, starting,
	// sleeping): the HTTP status phrase, as vLLM's admission control sends.
	TypeUnavailable = "Service Unavailable"
)

// errorType returns the type vLLM's handlers use for status.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return TypeBadRequest
	case http.StatusNotFound:
		return TypeNotFound
	case http.StatusTooManyRequests:
		return TypeRateLimit
	case http.StatusInternalServerError:
		return TypeInternal
	case http.StatusServiceUnavailable:
		return TypeUnavailable
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// ErrorBody returns vLLM's error body for an HTTP error:
// {"error":{"message":…,"type":…,"param":…,"code":status}}, compact, fields in
// vLLM's order. An empty typ is derived from status; an empty param is null.
func ErrorBody(status int, typ, message, param string) []byte {
	if typ == "" {
		typ = errorType(status)
	}
	b := make([]byte, 0, 64+len(message))
	b = append(b, `{"error":{"message":`...)
	b = jsonstr.AppendPython(b, message)
	b = append(b, `,"type":`...)
	b = jsonstr.AppendPython(b, typ)
	b = append(b, `,"param":`...)
	if param == "" {
		b = append(b, "null"...)
	} else {
		b = jsonstr.AppendPython(b, param)
	}
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	return append(b, "}}"...)
}

// writeError answers with status and vLLM's error body (see ErrorBody).
func writeError(w http.ResponseWriter, status int, typ, message, param string) {
	writeJSONBytes(w, status, ErrorBody(status, typ, message, param))
}

// writeJSONBytes answers with status and the JSON body b.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeJSON answers 200 with v encoded as compact JSON. Types whose field
// order matters build their bytes themselves or use ordered structs.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", err.Error(), "")
		return
	}
	writeJSONBytes(w, http.StatusOK, b)
}

// marshal encodes v like Python's json (no HTML escaping of <, >, &).
func marshal(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

// decodePost answers 405 to anything but a POST, then decodes the body as
// decodeBody does; false means the answer is written.
func (s *Server) decodePost(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		methodNotAllowed(w)
		return false
	}
	return s.decodeBody(w, r, v)
}

// decodeBody decodes the request body into v (a pointer to a struct). On
// failure it answers 400 with a validation error body, as vLLM does for a
// body that is not JSON or has a field of the wrong type, and returns false.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	x := exchangeOf(r)
	var body []byte
	if x != nil {
		body = x.rec.Body
	}
	if err := json.Unmarshal(body, v); err != nil {
		msg := "JSON decode error: " + err.Error()
		if ute, ok := err.(*json.UnmarshalTypeError); ok {
			msg = fmt.Sprintf("1 validation error: field %q: input should be a valid %s", ute.Field, pyType(ute.Type.Kind().String()))
			writeError(w, http.StatusBadRequest, TypeValidation, msg, ute.Field)
			return false
		}
		writeError(w, http.StatusBadRequest, TypeValidation, msg, "")
		return false
	}
	return true
}

func pyType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int64", "int32":
		return "integer"
	case "float64", "float32":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	}
	return "dictionary"
}

// lookupModel returns the served model (or LoRA adapter) named name; an
// empty name means the default (first) model, as in vLLM.
func (s *Server) lookupModel(name string) (*model, bool) {
	if m, ok := s.lookupStatic(name); ok {
		return m, true
	}
	for _, m := range s.runtimeAdapters() {
		if m.name == name {
			return &m, true
		}
	}
	return nil, false
}

// lookupStatic is lookupModel without the adapters loaded at run time.
func (s *Server) lookupStatic(name string) (*model, bool) {
	if name == "" {
		return &s.cfg.models[0], true
	}
	for i := range s.cfg.models {
		if s.cfg.models[i].name == name {
			return &s.cfg.models[i], true
		}
	}
	return nil, false
}

// checkModel answers 404 with current vLLM's message (type NotFoundError,
// param "model") when name is not served and returns false; it returns the
// model otherwise.
func (s *Server) checkModel(w http.ResponseWriter, name string) (*model, bool) {
	m, ok := s.lookupModel(name)
	if !ok {
		writeError(w, http.StatusNotFound, TypeNotFound, "The model `"+name+"` does not exist.", "model")
		return nil, false
	}
	return m, true
}
