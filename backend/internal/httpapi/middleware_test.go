package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
)

func TestRequestID(t *testing.T) {
	e := defaultEnv(t)
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"valid is kept", "abc-123_X.y:z", true},
		{"none gets one", "", false},
		{"spaces replaced", "a b", false},
		{"newline replaced", "a\nb", false},
		{"too long replaced", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/healthz", nil)
			if tt.sent != "" {
				r.Header["X-Request-Id"] = []string{tt.sent}
			}
			w := httptest.NewRecorder()
			e.srv.handler.ServeHTTP(w, r)
			got := w.Header().Get("X-Request-ID")
			if tt.kept && got != tt.sent {
				t.Errorf("X-Request-ID = %q, want %q", got, tt.sent)
			}
			if !tt.kept && (got == tt.sent || !validRequestID(got) || len(got) != 32) {
				t.Errorf("X-Request-ID = %q, want a new 32-hex id", got)
			}
		})
	}
}

// accessLines returns the access-log lines written so far.
func accessLines(tb testing.TB, e *testEnv) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tb.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func TestAccessLog(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 1, 1)
	e.do(t, req{method: "GET", path: "/api/v1/products/" + p.ID, header: map[string]string{"X-Request-ID": "trace-42"}})
	e.do(t, req{method: "GET", path: "/no/such/" + p.ID})
	lines := accessLines(t, e)
	if len(lines) != 3 {
		t.Fatalf("access lines = %d, want 3 (one per request):\n%s", len(lines), e.logs)
	}
	get := lines[1]
	for k, want := range map[string]any{"method": "GET", "route": "GET /api/v1/products/{id}", "status": float64(200), "request_id": "trace-42"} {
		if get[k] != want {
			t.Errorf("access line %s = %v, want %v (line %v)", k, get[k], want, get)
		}
	}
	if d, ok := get["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("access line has no duration_ms: %v", get)
	}
	if got := lines[2]["route"]; got != "unmatched" {
		t.Errorf("route of an unknown path = %v, want unmatched", got)
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Error("the admin token appears in the logs")
	}
}

func TestMetricsLabels(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 250, 1)
	e.do(t, req{method: "GET", path: "/api/v1/products/" + p.ID})
	e.do(t, req{method: "GET", path: "/api/v1/products/0123456789abcdef01234567"})
	e.do(t, req{method: "GET", path: "/random/" + p.ID})
	mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders", body: orderBody("a@example.com", p.ID, 1)}, http.StatusCreated)
	e.do(t, req{method: "POST", path: "/api/v1/orders", body: orderBody("a@example.com", p.ID, 1)}) // out of stock

	m, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range m {
		if mf.GetName() != "orders_http_requests_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "route" && strings.Contains(l.GetValue(), p.ID) {
					t.Errorf("route label %q carries a raw path", l.GetValue())
				}
			}
		}
	}
	const want = `
# HELP orders_http_requests_total HTTP requests answered, by method, route pattern and status code.
# TYPE orders_http_requests_total counter
orders_http_requests_total{code="200",method="GET",route="GET /api/v1/products/{id}"} 1
orders_http_requests_total{code="201",method="POST",route="POST /api/v1/orders"} 1
orders_http_requests_total{code="201",method="POST",route="POST /api/v1/products"} 1
orders_http_requests_total{code="404",method="GET",route="GET /api/v1/products/{id}"} 1
orders_http_requests_total{code="404",method="GET",route="unmatched"} 1
orders_http_requests_total{code="409",method="POST",route="POST /api/v1/orders"} 1
# HELP orders_orders_created_total Orders placed (idempotent replays not counted).
# TYPE orders_orders_created_total counter
orders_orders_created_total 1
# HELP orders_stock_conflicts_total Orders refused because a product had too few units.
# TYPE orders_stock_conflicts_total counter
orders_stock_conflicts_total 1
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(want),
		"orders_http_requests_total", "orders_orders_created_total", "orders_stock_conflicts_total"); err != nil {
		t.Error(err)
	}
	if got := testutil.CollectAndCount(e.reg, "orders_order_value_cents"); got != 1 {
		t.Errorf("orders_order_value_cents series = %d, want 1 (EUR)", got)
	}
	if got := testutil.ToFloat64(e.srv.inFlightGauge()); got != 0 {
		t.Errorf("in-flight after all requests = %v, want 0", got)
	}
}

func TestPanicBecomes500(t *testing.T) {
	e := defaultEnv(t)
	e.srv.handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	w := e.do(t, req{method: "GET", path: "/boom", header: map[string]string{"X-Request-ID": "panic-1"}})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("GET /boom = %d, want 500", w.Code)
	}
	if got := errorOf(t, w); got.Code != "internal" || strings.Contains(got.Message, "kaboom") {
		t.Errorf("error = %+v, want code internal and a message without the panic value", got)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "kaboom") || !strings.Contains(logs, "panic-1") {
		t.Errorf("logs do not record the panic with its request id:\n%s", logs)
	}
	lines := accessLines(t, e)
	if len(lines) != 1 || lines[0]["status"] != float64(500) {
		t.Errorf("access lines = %v, want one with status 500", lines)
	}
}

func TestStoreDownIs503(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 1, 1)
	e.store.SetDown(true)
	for _, r := range []req{
		{method: "GET", path: "/readyz"},
		{method: "GET", path: "/api/v1/products/" + p.ID},
		{method: "GET", path: "/api/v1/products"},
		{method: "POST", path: "/api/v1/orders", body: orderBody("a@example.com", p.ID, 1)},
	} {
		w := e.do(t, r)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || errorOf(t, w).Code != "unavailable" {
			t.Errorf("%s %s with store down = %d %s (Retry-After %q), want 503 unavailable with Retry-After",
				r.method, r.path, w.Code, w.Body, w.Header().Get("Retry-After"))
		}
	}
	if w := e.do(t, req{method: "GET", path: "/healthz"}); w.Code != http.StatusOK {
		t.Errorf("GET /healthz with store down = %d, want 200 (liveness has no dependencies)", w.Code)
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("store down logged at ERROR; want WARN:\n%s", e.logs)
	}
	e.store.SetDown(false)
	mustDo[map[string]string](t, e, req{method: "GET", path: "/readyz"}, http.StatusOK)
	mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders", body: orderBody("a@example.com", p.ID, 1)}, http.StatusCreated)
}

func TestInternalErrorIsGeneric(t *testing.T) {
	e := defaultEnv(t)
	e.store.SetFault(func(op string) error {
		if op == "ListProducts" {
			return errorString("mongo: secret internal detail")
		}
		return nil
	})
	w := e.do(t, req{method: "GET", path: "/api/v1/products", header: map[string]string{"X-Request-ID": "req-500"}})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("GET /products with an unknown store error = %d, want 500", w.Code)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Errorf("500 body leaks the cause: %s", w.Body)
	}
	var logged bool
	for line := range strings.Lines(e.logs.String()) {
		if strings.Contains(line, `"msg":"request failed"`) {
			logged = strings.Contains(line, "secret internal detail") && strings.Contains(line, `"request_id":"req-500"`)
		}
	}
	if !logged {
		t.Errorf("500 not logged with cause and request id:\n%s", e.logs.String())
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// hangingStore never answers until the caller's context ends, like a
// database behind a dropped network.
type hangingStore struct {
	order.Store
	seen *[2]time.Time // if set, GetProduct records when it was called and its context's deadline
}

func (hangingStore) Ping(ctx context.Context) error {
	<-ctx.Done()
	return fmt.Errorf("ping: %w", ctx.Err())
}

func (h hangingStore) GetProduct(ctx context.Context, id string) (order.Product, error) {
	if h.seen != nil {
		h.seen[0] = time.Now()
		h.seen[1], _ = ctx.Deadline()
	}
	<-ctx.Done()
	return order.Product{}, fmt.Errorf("get product: %w", ctx.Err())
}

func (hangingStore) CreateOrder(ctx context.Context, o order.Order) error {
	<-ctx.Done()
	return fmt.Errorf("insert order: %w", ctx.Err())
}

// TestHangingStoreIs503: a store that hangs makes /readyz and the API
// answer 503 when READY_TIMEOUT and REQUEST_TIMEOUT run out, not hang.
func TestHangingStoreIs503(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 50 * time.Millisecond
	var seen [2]time.Time // called, deadline
	h := NewServer(slog.New(slog.DiscardHandler), order.NewService(hangingStore{memstore.New(), &seen}), m,
		Config{ReadyTimeout: timeout, RequestTimeout: timeout})
	for _, path := range []string{"/readyz", "/api/v1/products/0123456789abcdef01234567"} {
		w := httptest.NewRecorder()
		began := time.Now()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("GET %s on a hanging store = %d %s, want 503 with Retry-After", path, w.Code, w.Body)
		}
		// The store's deadline is REQUEST_TIMEOUT from a moment between the
		// request's start and the store call, not later.
		if called, deadline := seen[0], seen[1]; strings.HasPrefix(path, "/api/") &&
			(deadline.Before(began.Add(timeout)) || deadline.After(called.Add(timeout))) {
			t.Errorf("GET %s: the store's deadline is %v after the request began (%v after the call), want %v",
				path, deadline.Sub(began), deadline.Sub(called), timeout)
		}
	}
}
