package metrics

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 3\na_sum 4\na_count 3\n"))
	f.Add([]byte("# HELP vllm:num_requests_running x\n# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{engine=\"0\"} 1.0\n"))
	f.Add([]byte("# TYPE vllm:prompt_tokens_total counter\nvllm:prompt_tokens_total{a=\"\\\"\"} 1e3 17\n"))
	f.Add([]byte("x{a=\"b\",} NaN\r\ny -Inf\n#\n# TYPE\n"))
	f.Add([]byte("# TYPE vllm:e2e_request_latency_seconds histogram\nvllm:e2e_request_latency_seconds_bucket{le=\"x\"} 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fams, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v of type %T", err, err)
			}
			return
		}
		for name, f := range fams {
			if name != f.Name || name == "" {
				t.Fatalf("family %q named %q", name, f.Name)
			}
			for _, s := range f.Samples {
				if s.Name == "" {
					t.Fatal("sample without name")
				}
			}
			if h := f.Histogram(); h != nil {
				for i := 1; i < len(h.Buckets); i++ {
					if !(h.Buckets[i-1].UpperBound < h.Buckets[i].UpperBound) {
						t.Fatalf("buckets not sorted: %+v", h.Buckets)
					}
				}
				for _, q := range []float64{0, 0.5, 0.99, 1} {
					_ = h.Quantile(q)
				}
			}
		}
		m := summarize(fams)
		_ = m.PrefixCacheHitRate()
	})
}
