package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/syncbuf"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

func testEnv(extra map[string]string) func(string) string {
	env := map[string]string{"PORT": "0", "METRICS_PORT": "0", "LOG_LEVEL": "warn"}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

var (
	apiLine   = regexp.MustCompile(`API:\s+(http://\S+)/api/v1`)
	tokenLine = regexp.MustCompile(`Admin token:\s+([0-9a-f]{32,})`)
)

// started is a service run by startRun: its base URL and admin token as
// printed in its banner.
type started struct {
	url, token string
	out        *syncbuf.Buffer
}

// startRun calls run with args in the background, waits for its banner
// and stops it when the test ends, failing the test if run fails.
func startRun(t *testing.T, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, testEnv(nil), out, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v, want nil after shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("run did not return 30s after cancel")
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		s := out.String()
		if a, tok := apiLine.FindStringSubmatch(s), tokenLine.FindStringSubmatch(s); a != nil && tok != nil {
			return started{url: a[1], token: tok[1], out: out}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v\noutput:\n%s", err, s)
		case <-deadline:
			t.Fatalf("no banner after 60s; output:\n%s", s)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

var client = &http.Client{Timeout: 10 * time.Second}

// call sends a JSON request and decodes the JSON answer into out (if not
// nil), returning the status and headers.
func call(t testing.TB, method, url, token string, body any, header map[string]string, out any) (int, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Errorf("%s %s: decode %q: %v", method, url, b, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type product struct {
	ID    string `json:"id"`
	SKU   string `json:"sku"`
	Stock int64  `json:"stock"`
}

type orderResp struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type errorResp struct {
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

func createProduct(t testing.TB, s started, sku string, stock int64) product {
	t.Helper()
	var p product
	code, _ := call(t, "POST", s.url+"/api/v1/products", s.token, map[string]any{
		"sku": sku, "name": "Product " + sku, "priceCents": 500, "currency": "EUR", "stock": stock,
	}, nil, &p)
	if code != http.StatusCreated {
		t.Fatalf("POST /products %s = %d, want 201", sku, code)
	}
	return p
}

func orderBody(productID string, qty int) map[string]any {
	return map[string]any{
		"customer": map[string]any{"name": "Ada", "email": "ada@example.com"},
		"items":    []map[string]any{{"productId": productID, "quantity": qty}},
	}
}

// TestRunConcurrentBuyers: 100 buyers at once for 10 units through the
// real HTTP server on the embedded store: exactly 10 orders, stock 0.
func TestRunConcurrentBuyers(t *testing.T) {
	s := startRun(t, "-data", t.TempDir())
	const buyers, units = 100, 10
	p := createProduct(t, s, "RACE", units)

	codes := make(chan int, buyers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var e errorResp
			code, _ := call(t, "POST", s.url+"/api/v1/orders", "", orderBody(p.ID, 1), nil, &e)
			if code == http.StatusConflict && e.Error.Code != "insufficient_stock" {
				t.Errorf("409 with code %q, want insufficient_stock", e.Error.Code)
			}
			codes <- code
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	t.Logf("%d concurrent orders on the embedded store took %v: %v", buyers, time.Since(began).Round(time.Millisecond), count)
	if count[http.StatusCreated] != units || count[http.StatusConflict] != buyers-units {
		t.Errorf("answers = %v, want %d × 201 and %d × 409", count, units, buyers-units)
	}
	var got product
	call(t, "GET", s.url+"/api/v1/products/"+p.ID, "", nil, nil, &got)
	if got.Stock != 0 {
		t.Errorf("stock after the rush = %d, want 0", got.Stock)
	}
}

// TestRunIdempotentRetries: concurrent retries with one Idempotency-Key
// place one order and reserve its stock once.
func TestRunIdempotentRetries(t *testing.T) {
	s := startRun(t, "-data", t.TempDir())
	p := createProduct(t, s, "ONCE", 5)
	const retries = 10
	type answer struct {
		code     int
		id       string
		replayed string
	}
	answers := make(chan answer, retries)
	var wg sync.WaitGroup
	for range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o orderResp
			code, h := call(t, "POST", s.url+"/api/v1/orders", "", orderBody(p.ID, 2), map[string]string{"Idempotency-Key": "checkout-42"}, &o)
			answers <- answer{code, o.ID, h.Get("Idempotent-Replayed")}
		}()
	}
	wg.Wait()
	close(answers)
	ids := map[string]bool{}
	created, replayed := 0, 0
	for a := range answers {
		switch a.code {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			replayed++
			if a.replayed != "true" {
				t.Errorf("200 replay without Idempotent-Replayed: true (got %q)", a.replayed)
			}
		default:
			t.Errorf("retry answered %d, want 201 or 200", a.code)
		}
		ids[a.id] = true
	}
	if created != 1 || replayed != retries-1 || len(ids) != 1 {
		t.Errorf("%d retries: %d created, %d replayed, %d distinct orders; want 1, %d, 1", retries, created, replayed, len(ids), retries-1)
	}
	var got product
	call(t, "GET", s.url+"/api/v1/products/"+p.ID, "", nil, nil, &got)
	if got.Stock != 3 {
		t.Errorf("stock after %d retries of one order of 2 = %d, want 3", retries, got.Stock)
	}
}

// TestRunSeedMemory: -seed adds the demo products, -store=memory works,
// and a generated admin token is enforced.
func TestRunSeedMemory(t *testing.T) {
	s := startRun(t, "-store", "memory", "-seed")
	var list struct {
		Items []product `json:"items"`
	}
	code, _ := call(t, "GET", s.url+"/api/v1/products?limit=100", "", nil, nil, &list)
	if code != http.StatusOK || len(list.Items) != len(demoProducts) {
		t.Errorf("GET /products = %d with %d items, want 200 with %d", code, len(list.Items), len(demoProducts))
	}
	code, _ = call(t, "POST", s.url+"/api/v1/products", "wrong-token", map[string]any{"sku": "X"}, nil, nil)
	if code != http.StatusForbidden {
		t.Errorf("POST /products with a wrong token = %d, want 403", code)
	}
	if !strings.Contains(s.out.String(), "store:       memory") {
		t.Errorf("banner does not name the memory store:\n%s", s.out.String())
	}
}

// TestRunSeedTwice: seeding is idempotent and data survives a restart on
// the same directory.
func TestRunSeedTwice(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncbuf.Buffer{}
		ready := make(chan app.Addrs, 1)
		done := make(chan error, 1)
		cfg := app.DefaultConfig()
		cfg.Port, cfg.MetricsPort, cfg.ShutdownDrainDelay, cfg.LogLevel = 0, 0, 0, slog.LevelWarn
		go func() {
			done <- serve(ctx, options{dataDir: dir, seed: true, store: "ferretdb", dbAddr: "127.0.0.1:0"}, cfg, out, hooks{ready: ready})
		}()
		var a app.Addrs
		select {
		case a = <-ready:
		case err := <-done:
			t.Fatalf("run %d: serve = %v\n%s", i, err, out.String())
		}
		var list struct {
			Items []product `json:"items"`
		}
		call(t, "GET", localURL(a.API)+"/api/v1/products?limit=100", "", nil, nil, &list)
		if len(list.Items) != len(demoProducts) {
			t.Errorf("run %d: %d products, want %d", i, len(list.Items), len(demoProducts))
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: serve = %v", i, err)
		}
	}
}

func TestRunBadArgs(t *testing.T) {
	for _, args := range [][]string{{"-store", "postgres"}, {"-nope"}, {"extra"}} {
		err := run(t.Context(), args, testEnv(nil), io.Discard, io.Discard)
		if err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	err := run(t.Context(), nil, testEnv(map[string]string{"PORT": "http"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("run with PORT=http = %v, want an error naming PORT", err)
	}
}

// TestRunDatabaseOutage stops the embedded database under the running
// service: /readyz and the API answer 503 promptly (no hang), and once the
// database is back on the same port the service recovers by itself.
func TestRunDatabaseOutage(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	ready := make(chan app.Addrs, 1)
	dbs := make(chan *localdb.Server, 1)
	done := make(chan error, 1)
	cfg := app.DefaultConfig()
	cfg.Port, cfg.MetricsPort, cfg.ShutdownDrainDelay, cfg.LogLevel = 0, 0, 0, slog.LevelWarn
	cfg.AdminToken = "test-token"
	go func() {
		done <- serve(ctx, options{dataDir: dir, store: "ferretdb", dbAddr: "127.0.0.1:0"}, cfg, out,
			hooks{ready: ready, db: func(s *localdb.Server) { dbs <- s }})
	}()
	var restarted *localdb.Server
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("serve after the outage returned %v", err)
		}
		if restarted != nil {
			_ = restarted.Close()
		}
	})
	var a app.Addrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("serve = %v\n%s", err, out.String())
	}
	srv := <-dbs
	s := started{url: localURL(a.API), token: "test-token", out: out}
	p := createProduct(t, s, "OUTAGE", 7)
	if code, _ := call(t, "GET", s.url+"/readyz", "", nil, nil, nil); code != http.StatusOK {
		t.Fatalf("/readyz before the outage = %d, want 200", code)
	}

	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Fatalf("stop database: %v", err)
	}
	for _, path := range []string{"/readyz", "/api/v1/products/" + p.ID, "/readyz"} {
		began := time.Now()
		var e errorResp
		code, h := call(t, "GET", s.url+path, "", nil, nil, &e)
		took := time.Since(began)
		t.Logf("GET %s with the database down: %d %q after %v", path, code, e.Error.Code, took.Round(time.Millisecond))
		if code != http.StatusServiceUnavailable {
			t.Errorf("GET %s with the database down = %d, want 503", path, code)
		}
		if strings.HasPrefix(path, "/api/") && (e.Error.Code != "unavailable" || h.Get("Retry-After") == "") {
			t.Errorf("GET %s: code %q, Retry-After %q; want unavailable and a Retry-After", path, e.Error.Code, h.Get("Retry-After"))
		}
		// A bound that proves no hang, not a speed assertion.
		if took > 2*time.Second {
			t.Errorf("GET %s with the database down took %v, want under 2s", path, took)
		}
	}

	var err error
	restarted, err = localdb.Start(t.Context(), localdb.Config{Dir: dir, Addr: addr})
	if err != nil {
		t.Fatalf("restart database on %s: %v", addr, err)
	}
	began := time.Now()
	deadline := began.Add(30 * time.Second)
	for {
		code, _ := call(t, "GET", s.url+"/readyz", "", nil, nil, nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 30s after the database came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("ready again %v after the database restarted", time.Since(began).Round(time.Millisecond))
	var got product
	if code, _ := call(t, "GET", s.url+"/api/v1/products/"+p.ID, "", nil, nil, &got); code != http.StatusOK || got.Stock != 7 {
		t.Errorf("GET product after recovery = %d stock %d, want 200 stock 7", code, got.Stock)
	}
	var o orderResp
	if code, _ := call(t, "POST", s.url+"/api/v1/orders", "", orderBody(p.ID, 2), nil, &o); code != http.StatusCreated {
		t.Errorf("POST /orders after recovery = %d, want 201", code)
	}
}
