package vllm_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vllmgo/vllm"
)

// Every test here runs in a synctest bubble, which fails the test when a
// goroutine it started (a connection, a body reader) is still blocked when
// it ends: the leak check.

// roundTrip sends body to path through rt and returns the response with its
// body read whole.
func roundTrip(t *testing.T, rt http.RoundTripper, path, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://ignored.invalid"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// Under PrefixAffinity each conversation's later turns go where its first
// went; the request reaches that endpoint as sent (path under its base URL,
// query, headers, body), with the client's API key, and resp.Request names
// the endpoint.
func TestRoundTripperRoutesByPrefix(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		var srvs [2]*vllm.MemServer
		for i := range srvs {
			srvs[i] = vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) {
				io.WriteString(w, "served")
			}))
			defer srvs[i].Close()
		}
		c := newClient(t, srvs[0].URL+"/v1", vllm.WithEndpoints(srvs[1].URL+"/v1"),
			vllm.WithBalance(vllm.PrefixAffinity), vllm.WithAPIKey("sk-test"))
		defer c.Close()
		rt := c.RoundTripper()

		x := `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 1000)
		y := `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("y", 1000)
		turns := []struct {
			body string
			want int // the server it must reach
		}{
			{x + `1"}]}`, 1}, // nothing known: the rotation's first, the second endpoint
			{y + `1"}]}`, 0}, // nothing known: the least loaded in turn
			{x + `1"},{"role":"user","content":"2"}]}`, 1},
			{x + `1"},{"role":"user","content":"2"},{"role":"user","content":"3"}]}`, 1},
			{y + `1"},{"role":"user","content":"2"}]}`, 0},
		}
		for i, tc := range turns {
			resp, got := roundTrip(t, rt, "/v1/chat/completions?trace=1", tc.body, http.Header{"X-Test": {"v"}, "Content-Type": {"application/json"}})
			if resp.StatusCode != 200 || got != "served" {
				t.Fatalf("turn %d: %d %q", i, resp.StatusCode, got)
			}
			if want := srvs[tc.want].URL + "/v1/chat/completions?trace=1"; resp.Request.URL.String() != want {
				t.Fatalf("turn %d: resp.Request.URL %s, want %s", i, resp.Request.URL, want)
			}
			reqs := srvs[tc.want].Requests()
			last := reqs[len(reqs)-1]
			if string(last.Body) != tc.body || last.Path != "/v1/chat/completions" || last.Method != "POST" ||
				last.Header.Get("X-Test") != "v" || last.Header.Get("Authorization") != "Bearer sk-test" ||
				last.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("turn %d: server %d got %+v", i, tc.want, last)
			}
		}
		if n0, n1 := srvs[0].Count(), srvs[1].Count(); n0 != 2 || n1 != 3 {
			t.Fatalf("requests per server %d, %d; want 2, 3", n0, n1)
		}
	})
}

// A path outside the base URL's path is sent relative to the chosen
// endpoint's server root.
func TestRoundTripperRootPath(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		srv := vllm.NewMemServer(t, byIndex(func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, "ok") }))
		c := srv.Client(t)
		resp, _ := roundTrip(t, c.RoundTripper(), "/metrics", "", nil)
		if got := srv.Requests()[0].Path; got != "/metrics" || resp.Request.URL.String() != srv.URL+"/metrics" {
			t.Fatalf("path %s, resp.Request.URL %s", got, resp.Request.URL)
		}
	})
}

// The endpoint counts the request in flight until its body is read to EOF
// (without Close) or closed (without reading it).
func TestRoundTripperReleasesEndpoint(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		more := make(chan struct{})
		h := func(w http.ResponseWriter, r *http.Request, n int) {
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			select {
			case <-more:
				io.WriteString(w, "last\n")
			case <-r.Context().Done():
			}
		}
		s0, s1 := vllm.NewMemServer(t, byIndex(h)), vllm.NewMemServer(t, byIndex(h))
		defer s0.Close()
		defer s1.Close()
		c := s0.Client(t, vllm.WithEndpoints(s1.URL+"/v1"), vllm.WithBalance(vllm.LeastOutstanding))
		rt := c.RoundTripper()
		outstanding := func() (n int) {
			for _, e := range c.Endpoints() {
				n += e.Outstanding
			}
			return n
		}
		send := func() *http.Response {
			req, _ := http.NewRequest(http.MethodPost, "http://x/v1/completions", strings.NewReader(`{"prompt":"p","stream":true}`))
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}

		resp := send()
		buf := make([]byte, 6)
		if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
			t.Fatalf("read %q %v", buf, err)
		}
		if n := outstanding(); n != 1 {
			t.Fatalf("outstanding while the body is read: %d", n)
		}
		close(more)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "last\n" {
			t.Fatalf("rest %q %v", rest, err)
		}
		if n := outstanding(); n != 0 {
			t.Fatalf("outstanding after EOF, before Close: %d", n)
		}
		resp.Body.Close()
		if n := outstanding(); n != 0 {
			t.Fatalf("outstanding after EOF and Close: %d", n)
		}

		more = make(chan struct{}) // the handler waits until the client goes
		resp = send()
		if n := outstanding(); n != 1 {
			t.Fatalf("outstanding with the body unread: %d", n)
		}
		resp.Body.Close()
		if n := outstanding(); n != 0 {
			t.Fatalf("outstanding after Close without reading: %d", n)
		}
	})
}

// An error status, once the client's retries gave up, is a response with
// that status and body, and the endpoint is released.
func TestRoundTripperErrorStatusIsAResponse(t *testing.T) {
	parallelBubble(t, func(t *testing.T) {
		overloaded := failWithHeader(503, "Retry-After", "3")
		s0, s1 := vllm.NewMemServer(t, overloaded), vllm.NewMemServer(t, overloaded)
		defer s0.Close()
		defer s1.Close()
		c := s0.Client(t, vllm.WithEndpoints(s1.URL+"/v1"))
		resp, body := roundTrip(t, c.RoundTripper(), "/v1/chat/completions", `{"model":"m"}`, nil)
		want := `{"error":{"message":"failure 503","type":"InternalServerError","param":null,"code":503}}`
		if resp.StatusCode != 503 || resp.Status != "503 Service Unavailable" || body != want || resp.Header.Get("Retry-After") != "3" {
			t.Fatalf("%s %q %v", resp.Status, body, resp.Header)
		}
		served := s0.Count() + s1.Count()
		if served != 1 || (resp.Request.URL.String() != s0.URL+"/v1/chat/completions" && resp.Request.URL.String() != s1.URL+"/v1/chat/completions") {
			t.Fatalf("served %d, resp.Request.URL %s", served, resp.Request.URL)
		}
		for _, e := range c.Endpoints() {
			if e.Outstanding != 0 {
				t.Fatalf("endpoint %s still counts %d in flight", e.URL, e.Outstanding)
			}
		}
	})
}
