package vllm

import (
	"errors"
	"net/http"
	"net/url"
)

// maxRedirects is how many redirects the Client follows, as Go's default.
const maxRedirects = 10

// credentialHeaders are the request headers that carry credentials.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "Api-Key"}

// checkRedirect is the redirect policy of the http.Client the library
// creates. Go's own policy drops the Authorization header only when the
// redirect leaves the host name, so a redirect to another port of the same
// host (another service, another origin) would receive the API key; this one
// drops every credential header whenever the scheme, host or port differs
// from the original request's.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	if !sameOrigin(via[0].URL, req.URL) {
		for _, h := range credentialHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Hostname() == b.Hostname() && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
