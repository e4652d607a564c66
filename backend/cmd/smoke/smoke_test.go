package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/httpapi"
	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
)

const testAdminToken = "smoke-test-admin-token"

// service is the real order service (httpapi on order.Service) on the
// in-memory store, served on a loopback port.
type service struct {
	store *memstore.Store
	svc   *order.Service
	url   string
}

// startService starts the service; wrap, if non-nil, sits in front of its
// handler to simulate a load balancer or a broken release.
func startService(tb testing.TB, wrap func(http.Handler) http.Handler) *service {
	tb.Helper()
	store := memstore.New()
	svc := order.NewService(store)
	metrics, err := httpapi.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		tb.Fatalf("NewMetrics: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := httpapi.NewServer(logger, svc, metrics, httpapi.Config{AdminToken: testAdminToken})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &service{store: store, svc: svc, url: srv.URL}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runSmoke(tb testing.TB, getenv func(string) string, args ...string) (string, error) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	tb.Logf("smoke %s\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String(), err
}

func wantLines(tb testing.TB, out string, prefixes ...string) {
	tb.Helper()
	for _, p := range prefixes {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, p) {
				found = true
				break
			}
		}
		if !found {
			tb.Errorf("output has no line starting with %q", p)
		}
	}
}

func TestSmokeWithAdminTokenPassesAndCleansUp(t *testing.T) {
	s := startService(t, nil)
	out, err := runSmoke(t, env(map[string]string{"SMOKE_ADMIN_TOKEN": testAdminToken}), "-base-url", s.url+"/", "-timeout", "30s")
	if err != nil {
		t.Fatalf("run() = %v, want nil", err)
	}
	wantLines(t, out,
		"ok   wait for the API", "ok   choose product", "ok   place order", "ok   replay order",
		"ok   read order back", "ok   stock reserved", "ok   cancel order", "ok   stock restored",
		"ok   delete product", "PASSED in ")

	ctx := context.Background()
	products, err := s.svc.ListProducts(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(products) != 0 {
		t.Errorf("products left after the smoke test = %+v, want none", products)
	}
	orders, err := s.svc.ListOrders(ctx, order.OrderFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].Status != order.StatusCancelled {
		t.Errorf("orders after the smoke test = %+v, want exactly one, cancelled", orders)
	}
}

// TestSmokeAgainstRunningService runs the whole service as
// `orders-local -store=memory` does (app.Run: listeners, timeouts,
// middleware, recovery loop, graceful shutdown) on a loopback port and
// smoke-tests it, then shuts it down cleanly.
func TestSmokeAgainstRunningService(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.Host, cfg.Port, cfg.MetricsPort = "127.0.0.1", 0, 0
	cfg.AdminToken = testAdminToken
	cfg.ShutdownDrainDelay = 10 * time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan app.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, cfg, app.Deps{Store: memstore.New(), Version: "smoke-test", Ready: ready})
	}()
	var addrs app.Addrs
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("app.Run() = %v before it was ready", err)
	case <-time.After(30 * time.Second):
		t.Fatal("app.Run() not ready after 30s")
	}

	out, err := runSmoke(t, env(map[string]string{"SMOKE_ADMIN_TOKEN": testAdminToken}), "-base-url", "http://"+addrs.API, "-timeout", "1m")
	if err != nil {
		t.Errorf("run() = %v, want nil", err)
	}
	wantLines(t, out, "ok   place order", "ok   stock restored", "ok   delete product", "PASSED in ")

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("app.Run() after shutdown = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("app.Run() did not shut down within 30s")
	}
}

func TestSmokeWithoutAdminTokenUsesExistingProduct(t *testing.T) {
	s := startService(t, nil)
	ctx := context.Background()
	p, err := s.svc.CreateProduct(ctx, order.Product{SKU: "mug-1", Name: "Mug", PriceCents: 900, Currency: "EUR", Stock: 3})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-timeout", "30s")
	if err != nil {
		t.Fatalf("run() = %v, want nil", err)
	}
	wantLines(t, out, "ok   choose product", "ok   stock restored", "PASSED")
	if strings.Contains(out, "delete product") {
		t.Errorf("smoke deleted a product it did not create:\n%s", out)
	}
	got, err := s.svc.GetProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stock != 3 {
		t.Errorf("stock of the existing product after the smoke test = %d, want 3", got.Stock)
	}
}

func TestSmokeWithProductID(t *testing.T) {
	s := startService(t, nil)
	ctx := context.Background()
	first, err := s.svc.CreateProduct(ctx, order.Product{SKU: "pen-1", Name: "Pen", PriceCents: 150, Currency: "USD", Stock: 9})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := s.svc.CreateProduct(ctx, order.Product{SKU: "cup-0", Name: "Cup", PriceCents: 700, Currency: "USD", Stock: 0})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-product-id", first.ID, "-timeout", "30s")
	if err != nil {
		t.Fatalf("run(-product-id %s) = %v, want nil", first.ID, err)
	}
	if !strings.Contains(out, "using existing "+first.ID) {
		t.Errorf("smoke did not use the product it was given:\n%s", out)
	}
	if _, err := runSmoke(t, env(nil), "-base-url", s.url, "-product-id", empty.ID, "-timeout", "30s"); err == nil || !strings.Contains(err.Error(), "has no stock") {
		t.Errorf("run(-product-id <no stock>) = %v, want a no-stock error", err)
	}
	_, err = runSmoke(t, env(nil), "-base-url", s.url, "-product-id", "0123456789abcdef01234567", "-timeout", "30s")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Errorf("run(-product-id <unknown>) = %v, want a 404 *apiError", err)
	}
}

func TestSmokeWithoutAdminTokenNeedsAProduct(t *testing.T) {
	s := startService(t, nil)
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-timeout", "30s")
	if err == nil || !strings.Contains(err.Error(), "no product in stock") {
		t.Fatalf("run() = %v, want an error naming the missing product", err)
	}
	wantLines(t, out, "FAIL choose product", "FAILED after ")
}

func TestSmokeWrongAdminTokenFailsAtOnce(t *testing.T) {
	s := startService(t, nil)
	start := time.Now()
	_, err := runSmoke(t, env(nil), "-base-url", s.url, "-admin-token", "wrong", "-timeout", "1m")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Code != "forbidden" {
		t.Fatalf("run() = %v, want a 403 forbidden *apiError", err)
	}
	// A 403 is not retried: the run ends long before the one-minute timeout.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("run() took %s on a 403, want no retries", d)
	}
}

// TestSmokeWaitsForWarmUp puts a "load balancer" in front of the service
// that answers 502 and 404 while it warms up.
func TestSmokeWaitsForWarmUp(t *testing.T) {
	t.Parallel() // it waits for the smoke test's timeout or backoff
	var calls atomic.Int32
	s := startService(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch calls.Add(1) {
			case 1, 2:
				http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			case 3:
				http.NotFound(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	})
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-admin-token", testAdminToken, "-timeout", "30s", "-max-backoff", "50ms")
	if err != nil {
		t.Fatalf("run() = %v, want nil", err)
	}
	wantLines(t, out, "ok   wait for the API")
	if !strings.Contains(out, "after 4 attempt(s)") {
		t.Errorf("output does not report 4 warm-up attempts:\n%s", out)
	}
}

// TestSmokeFailsWithinTimeoutWhenDatabaseDown: the real service with its
// store down answers 503 unavailable forever; the smoke test must give up
// after its timeout with a clear error, not hang.
func TestSmokeFailsWithinTimeoutWhenDatabaseDown(t *testing.T) {
	t.Parallel() // it waits for the smoke test's timeout or backoff
	s := startService(t, nil)
	s.store.SetDown(true)
	const timeout = 2 * time.Second
	start := time.Now()
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-timeout", timeout.String(), "-max-backoff", "200ms")
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("run() = nil, want an error")
	}
	for _, want := range []string{"wait for the API", "HTTP 503 unavailable", "gave up after the 2s timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run() error = %q, want it to contain %q", err, want)
		}
	}
	wantLines(t, out, "FAIL wait for the API", "FAILED after ")
	// Bounded: the timeout plus one request, not forever. The margin is wide
	// because this bounds a hang, it does not measure speed.
	if limit := timeout + 15*time.Second; elapsed > limit {
		t.Errorf("run() returned after %s, want within %s", elapsed, limit)
	}
}

func TestSmokeFailsWhenUnreachable(t *testing.T) {
	t.Parallel() // it waits for the smoke test's timeout or backoff
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, err := runSmoke(t, env(nil), "-base-url", url, "-timeout", "1s", "-max-backoff", "100ms")
	if err == nil || !strings.Contains(err.Error(), "not ready after") {
		t.Fatalf("run() = %v, want a not-ready error", err)
	}
}

// TestSmokeFailsWhenHanging: a server that accepts and never answers ends
// the wait at the deadline with the same not-ready error, not a bare
// context error from the attempt the deadline cut short.
func TestSmokeFailsWhenHanging(t *testing.T) {
	t.Parallel() // it waits for the smoke test's timeout or backoff
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	_, err := runSmoke(t, env(nil), "-base-url", srv.URL, "-timeout", "300ms", "-max-backoff", "100ms")
	if err == nil || !strings.Contains(err.Error(), "not ready after 1 attempts") {
		t.Fatalf("run() = %v, want a not-ready error after the one attempt the deadline cut short", err)
	}
}

// TestSmokeDetectsStockNotRestored: a broken release whose cancel endpoint
// answers "cancelled" without releasing the stock must fail the smoke test.
func TestSmokeDetectsStockNotRestored(t *testing.T) {
	var s *service
	s = startService(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel") {
				id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/orders/"), "/cancel")
				o, err := s.svc.GetOrder(r.Context(), id)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id":"`+o.ID+`","status":"cancelled"}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-admin-token", testAdminToken, "-timeout", "30s")
	if err == nil || !strings.Contains(err.Error(), "stock after cancel = 4, want 5") {
		t.Fatalf("run() = %v, want a stock-not-restored error", err)
	}
	wantLines(t, out, "ok   cancel order", "FAIL stock restored")
}

// TestSmokeFailsWhenCancelFails: a store fault during cancel is a 5xx the
// smoke test reports, naming the step.
func TestSmokeFailsWhenCancelFails(t *testing.T) {
	var s *service
	s = startService(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/cancel") {
				// The database fails from the cancel on.
				s.store.SetFault(func(op string) error {
					if op == "SetOrderStatus" {
						return order.ErrUnavailable
					}
					return nil
				})
			}
			next.ServeHTTP(w, r)
		})
	})
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-admin-token", testAdminToken, "-timeout", "30s")
	if err == nil || !strings.HasPrefix(err.Error(), "cancel order: ") || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("run() = %v, want a cancel order 503 error", err)
	}
	wantLines(t, out, "ok   stock reserved", "FAIL cancel order")
}

// TestSmokeCleansUpAfterFailure: when a step after the order fails, the
// order is cancelled so a shared product gets its stock back.
func TestSmokeCleansUpAfterFailure(t *testing.T) {
	s := startService(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/orders/") {
				http.Error(w, "broken release", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	p, err := s.svc.CreateProduct(ctx, order.Product{SKU: "lamp-1", Name: "Lamp", PriceCents: 4500, Currency: "EUR", Stock: 2})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runSmoke(t, env(nil), "-base-url", s.url, "-timeout", "30s")
	if err == nil || !strings.HasPrefix(err.Error(), "read order back: ") {
		t.Fatalf("run() = %v, want a read order back error", err)
	}
	wantLines(t, out, "FAIL read order back", "     clean-up: cancelled order ")
	got, err := s.svc.GetProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stock != 2 {
		t.Errorf("stock after the failed smoke test = %d, want 2 (the order cancelled)", got.Stock)
	}
	orders, err := s.svc.ListOrders(ctx, order.OrderFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].Status != order.StatusCancelled {
		t.Errorf("orders = %+v, want one, cancelled", orders)
	}
}

func TestSmokeRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no base url", nil, "-base-url is required"},
		{"relative url", []string{"-base-url", "orders.example.com"}, "want an absolute http:// or https:// URL"},
		{"ftp url", []string{"-base-url", "ftp://orders.example.com"}, "want an absolute http:// or https:// URL"},
		{"zero timeout", []string{"-base-url", "http://127.0.0.1:1", "-timeout", "0s"}, "-timeout must be positive"},
		{"stray argument", []string{"-base-url", "http://127.0.0.1:1", "extra"}, "unexpected arguments"},
		{"unknown flag", []string{"-bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, env(nil), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("run(%q) printed %q before validating its arguments", tt.args, stdout.String())
			}
		})
	}
}
