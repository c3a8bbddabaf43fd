package vllm

import (
	"encoding/json"
	"math"
	"testing"
)

func FuzzEmbeddingJSON(f *testing.F) {
	f.Add([]byte(`{"index":0,"object":"embedding","embedding":[0.1,-2,3e-5]}`))
	f.Add([]byte(`{"index":1,"object":"embedding","embedding":"AACAPwAAIMDNzMw9"}`))
	f.Add([]byte(`{"index":1,"embedding":"AACAPwAA"}`))
	f.Add([]byte(`{"index":1,"embedding":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Embedding
		if err := json.Unmarshal(data, &e); err != nil {
			return
		}
		if e.Base64 != "" && e.Embedding != nil {
			v, err := float32LE.decode(e.Base64)
			if err != nil || len(v) != len(e.Embedding) {
				t.Fatalf("base64 %q decoded twice differently: %v", e.Base64, err)
			}
		}
		for _, codec := range []vectorCodec{float32LE, mustCodec("float16", "big"), mustCodec("bfloat16", "little")} {
			_, _ = codec.decode(e.Base64)
		}
		var p PoolingData
		p.Data = json.RawMessage(data)
		_, _ = p.Vector()
		_, _ = p.Matrix()
	})
}

func mustCodec(dtype, order string) vectorCodec {
	c, err := embedCodec(dtype, order)
	if err != nil {
		panic(err)
	}
	return c
}

func FuzzStreamEvents(f *testing.F) {
	f.Add([]byte(`{"id":"trsc-1","object":"transcription.chunk","created":1,"model":"w","choices":[{"delta":{"content":"hi"},"finish_reason":null,"stop_reason":null}]}`))
	f.Add([]byte(`{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"He","logprobs":[]}`))
	f.Add([]byte(`{"type":"response.failed","response":{"id":"r","status":"failed","error":{"code":"server_error","message":"boom"}}}`))
	f.Add([]byte(`{"type":"error","code":"invalid_request","message":"bad","param":null}`))
	f.Add([]byte(`{"error":{"message":"x","type":"InternalServerError","param":null,"code":500}}`))
	f.Add([]byte(`[DONE]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = decodeAudioEvent("", data)
		rs := &ResponseStream{}
		_, _, _ = rs.decode("response.output_text.delta", data)
		var tr Transcription
		_ = json.Unmarshal(data, &tr)
		if ae := errorEventPayload(data); ae != nil && ae.StatusCode != 0 && (ae.StatusCode < 100 || ae.StatusCode > 599) {
			t.Fatalf("status %d", ae.StatusCode)
		}
	})
}

func TestFloat16AllValues(t *testing.T) {
	// Every half-precision value converts to the float32 that rounds back to
	// it; compare against a direct formula.
	for h := uint32(0); h < 1<<16; h++ {
		got := float16bits(h)
		sign := 1.0
		if h>>15 == 1 {
			sign = -1
		}
		exp, frac := int((h>>10)&0x1f), float64(h&0x3ff)
		var want float64
		switch {
		case exp == 0x1f && frac == 0:
			want = math.Inf(int(sign))
		case exp == 0x1f:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%#04x: %v, want NaN", h, got)
			}
			continue
		case exp == 0:
			want = sign * frac * math.Ldexp(1, -24)
		default:
			want = sign * (1 + frac/1024) * math.Ldexp(1, exp-15)
		}
		if float64(got) != want || math.Signbit(float64(got)) != (sign < 0) {
			t.Fatalf("%#04x: %v, want %v", h, got, want)
		}
	}
}
