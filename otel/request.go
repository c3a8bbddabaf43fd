package vllmotel

import (
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"
)

// requestBody holds the fields of a chat, completion, embeddings or
// Responses API request that the conventions record.
type requestBody struct {
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *float64        `json:"top_k"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	MaxOutputTokens     *int64          `json:"max_output_tokens"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	N                   *int64          `json:"n"`
	EncodingFormat      string          `json:"encoding_format"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	// Text.Format is the Responses API's response format.
	Text *struct {
		Format *struct {
			Type string `json:"type"`
		} `json:"format"`
	} `json:"text"`
	// StructuredOutputs is vLLM's structured_outputs.
	StructuredOutputs *struct {
		JSON json.RawMessage `json:"json"`
	} `json:"structured_outputs"`

	// Content, decoded only with WithMessageContent.
	Messages     json.RawMessage `json:"messages"`
	Prompt       json.RawMessage `json:"prompt"`
	Input        json.RawMessage `json:"input"`
	Instructions string          `json:"instructions"`
}

// requestAttrs returns the span attributes of a request body.
func (i *Instrumentation) requestAttrs(body []byte) []attribute.KeyValue {
	var r requestBody
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var attrs []attribute.KeyValue
	f64 := func(k attribute.Key, v *float64) {
		if v != nil {
			attrs = append(attrs, k.Float64(*v))
		}
	}
	f64(attrTemperature, r.Temperature)
	f64(attrTopP, r.TopP)
	f64(attrFrequencyPenalty, r.FrequencyPenalty)
	f64(attrPresencePenalty, r.PresencePenalty)
	if r.TopK != nil {
		// A double in v1.41.0, an int in the conventions' repository.
		if i.conventions == ConventionsInference {
			attrs = append(attrs, attrTopK.Int64(int64(*r.TopK)))
		} else {
			attrs = append(attrs, attrTopK.Float64(*r.TopK))
		}
	}
	for _, m := range []*int64{r.MaxTokens, r.MaxCompletionTokens, r.MaxOutputTokens} {
		if m != nil {
			attrs = append(attrs, attrMaxTokens.Int64(*m))
			break
		}
	}
	if r.Seed != nil {
		attrs = append(attrs, attrSeed.Int64(*r.Seed))
	}
	if r.N != nil && *r.N != 1 {
		attrs = append(attrs, attrChoiceCount.Int64(*r.N))
	}
	if stops := stringOrList(r.Stop); len(stops) > 0 {
		attrs = append(attrs, attrStopSequences.StringSlice(stops))
	}
	if r.EncodingFormat != "" {
		attrs = append(attrs, attrEncodingFormats.StringSlice([]string{r.EncodingFormat}))
	}
	if t := outputType(&r); t != "" {
		attrs = append(attrs, attrOutputType.String(t))
	}
	if i.content {
		attrs = append(attrs, contentAttrs(&r)...)
	}
	return attrs
}

// outputType returns gen_ai.output.type for the output format the request
// asks for, or "" when it names none.
func outputType(r *requestBody) string {
	format := ""
	switch {
	case r.ResponseFormat != nil:
		format = r.ResponseFormat.Type
	case r.Text != nil && r.Text.Format != nil:
		format = r.Text.Format.Type
	case r.StructuredOutputs != nil && len(r.StructuredOutputs.JSON) > 0:
		return "json"
	}
	switch format {
	case "":
		return ""
	case "json_object", "json_schema", "structural_tag":
		return "json"
	}
	return "text"
}

// stringOrList reads a JSON string or list of strings.
func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	return nil
}
