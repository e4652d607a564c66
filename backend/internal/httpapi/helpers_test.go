package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/syncbuf"
)

const testToken = "s3cret-admin-token"

// testEnv is a server on a fresh memstore.
type testEnv struct {
	srv   *server
	store *memstore.Store
	reg   *prometheus.Registry
	logs  *syncbuf.Buffer
}

func newTestEnv(tb testing.TB, cfg Config) *testEnv {
	tb.Helper()
	env := &testEnv{store: memstore.New(), reg: prometheus.NewRegistry(), logs: &syncbuf.Buffer{}}
	m, err := NewMetrics(env.reg)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.srv = newServer(logger, order.NewService(env.store), m, cfg)
	return env
}

func defaultEnv(tb testing.TB) *testEnv {
	tb.Helper()
	return newTestEnv(tb, Config{AdminToken: testToken, MaxBodyBytes: 4096})
}

// req describes a request; json bodies get Content-Type application/json
// unless header sets another.
type req struct {
	method, path, body string
	admin              bool
	header             map[string]string
}

func (e *testEnv) do(tb testing.TB, r req) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.admin {
		hr.Header.Set("Authorization", "Bearer "+testToken)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
			continue
		}
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.handler.ServeHTTP(w, hr)
	if _, pattern := e.srv.mux.Handler(hr); pattern != "" {
		checkResponse(tb, hr, []byte(r.body), w)
	}
	return w
}

// mustDo sends r and fails unless the status is want; it decodes the body
// into a value of type T.
func mustDo[T any](tb testing.TB, e *testEnv, r req, want int) T {
	tb.Helper()
	w := e.do(tb, r)
	if w.Code != want {
		tb.Fatalf("%s %s = %d %s, want %d", r.method, r.path, w.Code, w.Body, want)
	}
	var v T
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", r.method, r.path, w.Body, err)
		}
	}
	return v
}

func (e *testEnv) createProduct(tb testing.TB, sku string, price, stock int64) productJSON {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"sku": sku, "name": "Product " + sku, "description": "d", "priceCents": price, "currency": "EUR", "stock": stock,
	})
	return mustDo[productJSON](tb, e, req{method: "POST", path: "/api/v1/products", body: string(body), admin: true}, http.StatusCreated)
}

func orderBody(email string, lines ...any) string {
	var items []map[string]any
	for i := 0; i+1 < len(lines); i += 2 {
		items = append(items, map[string]any{"productId": lines[i], "quantity": lines[i+1]})
	}
	b, _ := json.Marshal(map[string]any{"customer": map[string]string{"name": "Ada", "email": email}, "items": items})
	return string(b)
}

// errorOf decodes an error body.
func errorOf(tb testing.TB, w *httptest.ResponseRecorder) errorDetail {
	tb.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var b errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		tb.Fatalf("decode error body %q: %v", w.Body, err)
	}
	return b.Error
}
