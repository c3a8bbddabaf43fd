package vllm

import (
	"context"
	"net/http"
	"slices"
)

// route names where a request goes: a path relative to the base URL (the
// /v1 routes) or, with root set, to the server root (/tokenize, /health, …).
type route struct {
	method string
	path   string
	root   bool
	op     string
}

// newRequest builds the request of rt with no body.
func (rt route) newRequest(model string, opts []RequestOption) *apiRequest {
	return &apiRequest{method: rt.method, path: rt.path, root: rt.root, op: rt.op, model: model, opts: opts}
}

// jsonBody builds the request of rt with in encoded as JSON, merging extra
// into the top-level object (extra wins over typed fields of the same name).
// in must be a struct without a MarshalJSON method of its own.
func (rt route) jsonBody(model string, in any, extra map[string]any, opts []RequestOption) (*apiRequest, error) {
	body, err := marshalWithExtra(in, extra)
	if err != nil {
		if _, ok := err.(*ParamError); ok {
			return nil, err
		}
		return nil, &ParamError{Field: rt.op + " request", Reason: "cannot be encoded as JSON: " + err.Error()}
	}
	r := rt.newRequest(model, opts)
	r.body = body
	r.contentType = "application/json"
	return r, nil
}

// callJSON sends in (nil for no body) to rt and decodes the JSON answer into
// out (nil to discard it).
func (c *Client) callJSON(ctx context.Context, rt route, model string, in any, extra map[string]any, out any, opts []RequestOption) error {
	r := rt.newRequest(model, opts)
	if in != nil {
		var err error
		if r, err = rt.jsonBody(model, in, extra, opts); err != nil {
			return err
		}
	}
	return c.doJSON(ctx, r, out)
}

// callFor is callJSON decoding into a new T, for the many calls that return
// their response as it is.
func callFor[T any](ctx context.Context, c *Client, rt route, model string, in any, extra map[string]any, opts []RequestOption) (*T, error) {
	var out T
	if err := c.callJSON(ctx, rt, model, in, extra, &out, opts); err != nil {
		return nil, err
	}
	return &out, nil
}

// doRaw sends r and returns the whole response body with its Content-Type.
func (c *Client) doRaw(ctx context.Context, r *apiRequest) ([]byte, string, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := c.responseBytes(resp, r)
	if err != nil {
		return nil, "", err
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// get and post shorten route literals.
func get(path, op string, root bool) route  { return route{http.MethodGet, path, root, op} }
func post(path, op string, root bool) route { return route{http.MethodPost, path, root, op} }

// sortStrings sorts ss in place.
func sortStrings(ss []string) { slices.Sort(ss) }
