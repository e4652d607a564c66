package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// testConfig listens on loopback, on free ports.
func testConfig() Config {
	c := DefaultConfig()
	c.Host, c.Port, c.MetricsPort = "127.0.0.1", 0, 0
	c.ShutdownDrainDelay = 300 * time.Millisecond
	c.ShutdownTimeout = 5 * time.Second
	return c
}

// startRun runs Run in the background and returns its addresses, a cancel
// func and the channel Run's result arrives on.
func startRun(tb testing.TB, cfg Config, store order.Store) (Addrs, context.CancelFunc, <-chan error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Addrs, 1)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		done <- Run(ctx, cfg, Deps{Store: store, Version: "test", Ready: ready})
		close(stopped)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			tb.Error("Run() did not return within 10s of cancel")
		}
	})
	select {
	case a := <-ready:
		return a, cancel, done
	case err := <-done:
		tb.Fatalf("Run() = %v before listening", err)
	case <-time.After(10 * time.Second):
		tb.Fatal("Run() did not start listening")
	}
	return Addrs{}, nil, nil
}

func get(url string) (int, string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// gateStore blocks GetProduct until release is closed.
type gateStore struct {
	order.Store
	entered chan struct{}
	release chan struct{}
}

func (g *gateStore) GetProduct(ctx context.Context, id string) (order.Product, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Store.GetProduct(ctx, id)
}

// TestGracefulShutdown: on cancel, /readyz turns 503 for the drain delay,
// then new connections are refused, and a request in flight all along
// still completes with 200 before Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel() // it waits out the drain delay
	mem := memstore.New()
	p := order.Product{ID: order.NewID(time.Now()), SKU: "S", Name: "S", PriceCents: 1, Currency: "EUR", Stock: 1}
	if err := mem.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	gate := &gateStore{Store: mem, entered: make(chan struct{}, 1), release: make(chan struct{})}
	cfg := testConfig()
	cfg.ShutdownDrainDelay = time.Second
	addrs, cancel, done := startRun(t, cfg, gate)
	api := "http://" + addrs.API

	if code, _, err := get(api + "/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz before shutdown = %d %v, want 200", code, err)
	}
	type result struct {
		code int
		body string
		err  error
	}
	inFlight := make(chan result, 1)
	go func() {
		code, body, err := get(api + "/api/v1/products/" + p.ID)
		inFlight <- result{code, body, err}
	}()
	<-gate.entered // the request is inside the handler
	cancel()

	// Draining: readiness fails but the listener still answers.
	sawDrain := false
	for stop := time.Now().Add(3 * time.Second); time.Now().Before(stop); time.Sleep(5 * time.Millisecond) {
		code, _, err := get(api + "/readyz")
		if err != nil {
			break // the listener closed: the drain is over
		}
		if code == http.StatusServiceUnavailable {
			sawDrain = true
			break
		}
	}
	if !sawDrain {
		t.Error("GET /readyz during the drain delay never answered 503")
	}
	// After the drain the listeners close: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addrs.API, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the API still accepts connections 5s after shutdown began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c, err := net.DialTimeout("tcp", addrs.Metrics, time.Second); err == nil {
		c.Close()
		t.Error("the metrics listener still accepts connections")
	}
	select {
	case err := <-done:
		t.Fatalf("Run() = %v while a request was still in flight", err)
	default:
	}

	close(gate.release)
	r := <-inFlight
	if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, p.ID) {
		t.Errorf("in-flight request = %d %q %v, want 200 with the product", r.code, r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run() did not return after the last request finished")
	}
}

// TestShutdownTimeout: a request that outlives SHUTDOWN_TIMEOUT makes Run
// return an error instead of hanging.
func TestShutdownTimeout(t *testing.T) {
	mem := memstore.New()
	gate := &gateStore{Store: mem, entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(gate.release)
	cfg := testConfig()
	cfg.ShutdownDrainDelay = 0
	cfg.ShutdownTimeout = 200 * time.Millisecond
	addrs, cancel, done := startRun(t, cfg, gate)
	go get("http://" + addrs.API + "/api/v1/products/0123456789abcdef01234567")
	<-gate.entered
	cancel()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run() = %v, want a shutdown deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run() hung past SHUTDOWN_TIMEOUT")
	}
}

func TestMetricsListener(t *testing.T) {
	addrs, _, _ := startRun(t, testConfig(), memstore.New())
	if code, _, _ := get("http://" + addrs.API + "/healthz"); code != http.StatusOK {
		t.Fatalf("GET /healthz = %d", code)
	}
	code, body, err := get("http://" + addrs.Metrics + "/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %v", code, err)
	}
	for _, want := range []string{`orders_build_info{version="test"} 1`, "orders_http_requests_total", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The API port does not serve metrics, and the metrics port serves nothing else.
	if code, _, _ := get("http://" + addrs.API + "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the API port = %d, want 404", code)
	}
	if code, _, _ := get("http://" + addrs.Metrics + "/api/v1/products"); code != http.StatusNotFound {
		t.Errorf("GET /api/v1/products on the metrics port = %d, want 404", code)
	}
}

// TestRecoverAtStart: an order a crash left reserving is rolled back when
// Run starts.
func TestRecoverAtStart(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New()
	old := time.Now().Add(-time.Hour).UTC()
	p := order.Product{ID: order.NewID(old), SKU: "S", Name: "S", PriceCents: 100, Currency: "EUR", Stock: 10, CreatedAt: old, UpdatedAt: old}
	o := order.Order{ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"}, Status: order.StatusReserving,
		Items: []order.LineItem{{ProductID: p.ID, Quantity: 4, UnitPriceCents: 100, LineTotalCents: 400}}, TotalCents: 400,
		Currency: "EUR", CreatedAt: old, UpdatedAt: old}
	if err := mem.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := mem.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.ApplyStock(ctx, p.ID, order.ReservationMarker(o.ID, 4), -4); err != nil {
		t.Fatal(err)
	}
	startRun(t, testConfig(), mem)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := mem.GetProduct(ctx, p.ID)
		_, err := mem.GetOrder(ctx, o.ID)
		if got.Stock == 10 && errors.Is(err, order.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after start: stock %d, order err %v; want 10 and not found", got.Stock, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig()
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	err = Run(context.Background(), cfg, Deps{Store: memstore.New()})
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("Run() on a taken port = %v, want an error naming PORT", err)
	}
}

func TestRunNeedsStore(t *testing.T) {
	if err := Run(context.Background(), testConfig(), Deps{}); err == nil {
		t.Error("Run() without a store = nil, want an error")
	}
}
