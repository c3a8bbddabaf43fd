package loadtest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vllmgo/vllm/loadtest"
	"github.com/vllmgo/vllm/vllmtest"
)

// Run a load test from Go and read the typed result.
func Example() {
	srv := vllmtest.NewServer(vllmtest.WithModel("m"), vllmtest.WithTokens(64))
	defer srv.Close()

	reqs, err := loadtest.Random{InputLen: 128, OutputLen: 32}.Sample(50, loadtest.SampleOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	res, err := loadtest.Run(context.Background(), loadtest.Config{
		BaseURL:        srv.RootURL(), // the server's root, without /v1
		Model:          "m",
		Requests:       reqs,
		Arrival:        loadtest.Arrival{Rate: 500}, // Poisson arrivals, 500 requests/s
		MaxConcurrency: 8,
		IgnoreEOS:      true,
		Goodput:        loadtest.SLO{TTFT: 5 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Completed, "completed,", res.Failed, "failed,", res.TotalOutputTokens, "output tokens")
	fmt.Println("peak concurrency within the limit:", res.MaxConcurrentRequests <= 8)
	fmt.Println("TTFT statistics:", res.Stat(loadtest.MetricTTFT) != nil)
	// Output:
	// 50 completed, 0 failed, 1600 output tokens
	// peak concurrency within the limit: true
	// TTFT statistics: true
}
