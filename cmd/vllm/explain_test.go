package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vllmgo/vllm/vllmtest"
)

// TestBaseURLWithoutV1IsDetected: with the base URL missing /v1 (the most
// common mistake), a 404 names the URL it came from and says where the API
// is; health, whose route is at the root, does not say "ok".
func TestBaseURLWithoutV1IsDetected(t *testing.T) {
	srv := vllmtest.NewServer()
	defer srv.Close()
	root := strings.TrimSuffix(srv.URL, "/v1")
	fix := "; the API is at " + root + "/v1: use --base-url " + root + "/v1 (or set VLLM_BASE_URL to it)\n"
	for _, c := range []struct {
		args []string
		call string
	}{
		{[]string{"models"}, "GET " + root + "/models"},
		{[]string{"chat", "hi"}, "GET " + root + "/models"},
		{[]string{"chat", "--model", "m", "hi"}, "POST " + root + "/chat/completions"},
		{[]string{"chat", "--model", "m", "--json", "hi"}, "POST " + root + "/chat/completions"},
		{[]string{"complete", "--model", "m", "--no-stream", "hi"}, "POST " + root + "/completions"},
		{[]string{"health"}, "GET " + root + "/models"},
	} {
		r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": root}, c.args...)
		prefix := "vllm " + c.args[0] + ": " + c.call + ": HTTP 404 Not Found"
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, prefix) || !strings.HasSuffix(r.stderr, fix) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d %q\nwant %s…%s", c.args, r.code, r.stderr, prefix, fix)
		}
	}
	// A 404 with /v1 in place names its URL and suggests nothing.
	r := runCLI(t, "", serverEnv(srv), "chat", "--model", "zzz", "hi")
	if r.code != exitFailure || !strings.HasPrefix(r.stderr, "vllm chat: POST "+srv.URL+"/chat/completions: HTTP 404 Not Found (NotFoundError): The model `zzz` does not exist.") ||
		strings.Contains(r.stderr, "the API is at") {
		t.Errorf("unknown model: exit %d %q", r.code, r.stderr)
	}
}

// TestTokenizeStringsSaysWhenAbsent: --strings with a server that returns
// no token strings is an error saying so, not a silent list of ids.
func TestTokenizeStringsSaysWhenAbsent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"count":2,"max_model_len":8192,"tokens":[9906,1917],"token_strs":null}`)
	}))
	defer srv.Close()
	r := runCLI(t, "", map[string]string{"VLLM_BASE_URL": srv.URL + "/v1"}, "tokenize", "--strings", "Hello world")
	if r.code != exitFailure || r.stdout != "" ||
		r.stderr != "vllm tokenize: the server returned 2 token ids without their strings (return_token_strs); run without --strings for the ids\n" {
		t.Fatalf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}
