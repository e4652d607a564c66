package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// The mux's own answers: 404 and 405 are JSON, counted as the unmatched
// route; a redirect to the cleaned path of a registered route goes out as
// net/http wrote it, counted under that route's pattern; a registered
// route writes through and is recorded by its pattern. Each has its
// X-Request-ID.
func TestRouteAnswers(t *testing.T) {
	e := newTestEnv(t, Config{AdminToken: testToken})
	for _, c := range []struct {
		method, path string
		code         int
		header       string // header: want
		jsonBody     bool
	}{
		{"GET", "/api/v1//products", http.StatusTemporaryRedirect, "Location: /api/v1/products", false},
		{"GET", "/api/v1/openapi.yaml/", http.StatusNotFound, "", true},
		{"GET", "/api/v1/nothing", http.StatusNotFound, "", true},
		{"PUT", "/api/v1/orders", http.StatusMethodNotAllowed, "Allow: GET, HEAD, POST", true},
		{"GET", "/api/v1/products", http.StatusOK, "", true},
	} {
		w := e.do(t, req{method: c.method, path: c.path})
		if w.Code != c.code {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, w.Code, c.code)
		}
		if c.header != "" {
			k, v, _ := strings.Cut(c.header, ": ")
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", c.method, c.path, k, got, v)
			}
		}
		ct := w.Header().Get("Content-Type")
		if c.jsonBody != (ct == "application/json") || strings.Contains(ct, "text/plain") {
			if !c.jsonBody && ct == "text/html; charset=utf-8" && strings.Contains(w.Body.String(), "/api/v1/products") {
				continue // net/http's redirect note, passed on as before
			}
			t.Errorf("%s %s: Content-Type %q (body %q), want JSON: %v", c.method, c.path, ct, w.Body, c.jsonBody)
		}
		if c.jsonBody && !strings.HasPrefix(w.Body.String(), "{") {
			t.Errorf("%s %s: body %q, want a JSON object", c.method, c.path, w.Body)
		}
		if w.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s %s: no X-Request-ID", c.method, c.path)
		}
	}
	counts := requestCounts(t, e.reg)
	for k, want := range map[string]float64{"GET 307 GET /api/v1/products": 1, "GET 404 unmatched": 2, "PUT 405 unmatched": 1, "GET 200 GET /api/v1/products": 1} {
		if counts[k] != want {
			t.Errorf("orders_http_requests_total{%s} = %v, want %v (all: %v)", k, counts[k], want, counts)
		}
	}
}
