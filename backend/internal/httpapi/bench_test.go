package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Hot-path benchmarks. Run: go test -run '^$' -bench . -benchmem ./internal/httpapi/

func BenchmarkDecodeValid(b *testing.B) {
	body := orderBody("ada@example.com", "0123456789abcdef01234567", 2, "0123456789abcdef01234568", 1)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/orders", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if _, err := decodeValid[orderCreateRequest](nil, r, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrderCreate(b *testing.B) {
	quiet := newTestEnvQuiet(b)
	p := quiet.createProduct(b, "BENCH", 199, order.MaxStock)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		// A distinct customer per request keeps the requests independent.
		r := httptest.NewRequest("POST", "/api/v1/orders", strings.NewReader(orderBody(fmt.Sprintf("c%d@example.com", i), p.ID, 1)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		quiet.srv.handler.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("POST /orders = %d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkProductGet(b *testing.B) {
	e := newTestEnvQuiet(b)
	p := e.createProduct(b, "BENCH", 199, 1)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", "/api/v1/products/"+p.ID, nil)
		w := httptest.NewRecorder()
		e.srv.handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET = %d", w.Code)
		}
	}
}

func BenchmarkWriteError(b *testing.B) {
	logger := slog.New(slog.DiscardHandler)
	err := fmt.Errorf("place order: %w", &order.ValidationError{Fields: map[string]string{"items[0].quantity": "must be between 1 and 10000"}})
	r := httptest.NewRequest("POST", "/api/v1/orders", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		writeError(w, r, logger, err)
	}
}

// newTestEnvQuiet is newTestEnv with a logger that drops everything, so
// benchmarks measure the handler, not the log buffer.
func newTestEnvQuiet(tb testing.TB) *testEnv {
	tb.Helper()
	e := newTestEnv(tb, Config{AdminToken: testToken})
	e.srv = newServer(slog.New(slog.DiscardHandler), order.NewService(e.store), e.srv.metrics, Config{AdminToken: testToken})
	return e
}
