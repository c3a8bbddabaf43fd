package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/vllmgo/vllm"
)

// baseRoute is the URL of an API route under the base URL, e.g. "/models".
func baseRoute(c *vllm.Client, path string) string { return c.BaseURL() + path }

// rootRoute is the URL of a route at the server's root, e.g. "/tokenize".
func rootRoute(c *vllm.Client, path string) string {
	return strings.TrimSuffix(c.BaseURL(), "/v1") + path
}

// explain makes the error of a call to method url say what to do about it:
// a server that cannot be reached is said so, with how to get one; an HTTP
// error names the URL it came from and, for a 404 from a base URL without
// /v1 when the server answers at /v1, says so. Other errors are returned as
// they are.
func explain(c *vllm.Client, method, url string, err error) error {
	if err == nil {
		return nil
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &unreachableError{baseURL: c.BaseURL(), err: err, cause: op.Err}
	}
	var ae *vllm.APIError
	if !errors.As(err, &ae) {
		return err
	}
	ce := &callError{method: method, url: url, err: err}
	base := c.BaseURL()
	if ae.StatusCode == http.StatusNotFound && !strings.HasSuffix(base, "/v1") && answersAt(base+"/v1/models") {
		ce.fix = fmt.Sprintf("the API is at %s/v1: use --base-url %s/v1 (or set %s to it)", base, base, envBaseURL)
	}
	return ce
}

// answersAt reports whether a GET of url gets anything but a 404 (a 401 of
// a server that wants a key counts: the route exists). No key is sent.
func answersAt(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound
}

// callError is an HTTP error with the request it answered.
type callError struct {
	method, url string
	err         error  // the library's *vllm.APIError
	fix         string // what to do, when known
}

func (e *callError) Error() string {
	msg := e.method + " " + e.url + ": " + strings.TrimPrefix(e.err.Error(), "vllm: ")
	if e.fix != "" {
		msg += "; " + e.fix
	}
	return msg
}

func (e *callError) Unwrap() error { return e.err }

// unreachableError is a server that could not be connected to.
type unreachableError struct {
	baseURL string
	err     error // the library's error
	cause   error // why the connection failed, e.g. "connection refused"
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach the server at %s (%v); start one (\"vllm mock\" serves a fake vLLM) or point %s or --base-url at yours",
		e.baseURL, e.cause, envBaseURL)
}

func (e *unreachableError) Unwrap() error { return e.err }
