package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/syncbuf"
)

// requestCounts returns orders_http_requests_total by "method code route".
func requestCounts(tb testing.TB, reg *prometheus.Registry) map[string]float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "orders_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out[l["method"]+" "+l["code"]+" "+l["route"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

// TestClientHangUpIs499: a client that gives up while the store is slow is
// counted and logged as 499, never as a 5xx (which pages the on-call).
// The requests go over a real connection that the client closes mid-way:
// net/http cancels the request's context, as in production.
func TestClientHangUpIs499(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ms := memstore.New()
	p := order.Product{ID: "0123456789abcdef01234567", SKU: "P", Name: "P", Currency: "EUR", PriceCents: 1, Stock: 5}
	if err := ms.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	// REQUEST_TIMEOUT is far away: only the client's hang-up ends these requests.
	entered := make(chan struct{}, 1)
	ts := httptest.NewServer(NewServer(logger, order.NewService(signalStore{hangingStore{Store: ms}, entered}), m, Config{RequestTimeout: time.Minute}))
	defer ts.Close()

	// send hangs up once the server is inside the store call.
	send := func(method, path, body string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		answered := make(chan string, 1)
		go func() {
			resp, err := ts.Client().Do(r)
			if err != nil {
				answered <- ""
				return
			}
			resp.Body.Close()
			answered <- resp.Status
		}()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s %s never reached the store", method, path)
		}
		cancel()
		if status := <-answered; status != "" {
			t.Fatalf("%s %s answered %s; want the client to give up first", method, path, status)
		}
	}
	send("GET", "/api/v1/products/"+p.ID, "")
	send("POST", "/api/v1/orders", orderBody("a@example.com", p.ID, 1))

	want := map[string]float64{
		"GET 499 GET /api/v1/products/{id}": 1,
		"POST 499 POST /api/v1/orders":      1,
	}
	var got map[string]float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = requestCounts(t, reg); len(got) == len(want) {
			break
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("orders_http_requests_total{%s} = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	for k := range got {
		if strings.Contains(k, " 5") {
			t.Errorf("a hang-up was counted as a server error: %s", k)
		}
	}
	if l := logs.String(); strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) {
		t.Errorf("a hang-up was logged as a failure:\n%s", l)
	}
	if !strings.Contains(logs.String(), `"status":499`) {
		t.Errorf("access log lacks status 499:\n%s", logs)
	}
}

// TestMethodLabelBounded: made-up methods (a client chooses them freely)
// share one label value, so 200 of them add no series.
func TestMethodLabelBounded(t *testing.T) {
	e := defaultEnv(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	method := func() string {
		b := make([]byte, 1+rnd.IntN(40))
		for i := range b {
			b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rnd.IntN(26)]
		}
		return string(b)
	}
	send := func(m string) {
		for _, path := range []string{"/api/v1/products", "/nowhere"} {
			w := httptest.NewRecorder()
			e.srv.handler.ServeHTTP(w, httptest.NewRequest(m, path, nil))
			if w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound {
				t.Fatalf("%s %s = %d, want 405 or 404", m, path, w.Code)
			}
		}
	}
	send(method())
	before := testutil.CollectAndCount(e.reg, "orders_http_requests_total", "orders_http_request_duration_seconds")
	for range 200 {
		send(method())
	}
	after := testutil.CollectAndCount(e.reg, "orders_http_requests_total", "orders_http_request_duration_seconds")
	if after != before {
		t.Errorf("200 random methods grew the HTTP series from %d to %d; want no growth", before, after)
	}
	for k := range requestCounts(t, e.reg) {
		if m, _, _ := strings.Cut(k, " "); m != "other" {
			t.Errorf("series %q: want method \"other\" for made-up methods", k)
		}
	}
	if got := requestCounts(t, e.reg)[fmt.Sprintf("other %d unmatched", http.StatusNotFound)]; got != 201 {
		t.Errorf("other 404 unmatched = %v, want 201", got)
	}
}

// signalStore tells entered when a GetProduct or CreateOrder call starts.
type signalStore struct {
	hangingStore
	entered chan<- struct{}
}

func (s signalStore) GetProduct(ctx context.Context, id string) (order.Product, error) {
	s.entered <- struct{}{}
	return s.hangingStore.GetProduct(ctx, id)
}

func (s signalStore) CreateOrder(ctx context.Context, o order.Order) error {
	s.entered <- struct{}{}
	return s.hangingStore.CreateOrder(ctx, o)
}

// panicStore panics on any call (its order.Store is nil), which the server
// turns into a 500: an unready server must not touch
// its store.
type panicStore struct{ order.Store }

// TestUnreadyIs503: while Config.Unready reports an error (the store is
// not open yet), /readyz and the API answer 503 unavailable with
// Retry-After without calling the store; /healthz stays 200.
func TestUnreadyIs503(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	why := errorString("mongodb client not created yet")
	unready := func() error { return why }
	h := NewServer(slog.New(slog.DiscardHandler), order.NewService(panicStore{}), m, Config{AdminToken: testToken, Unready: func() error { return unready() }})
	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "/readyz", nil),
		httptest.NewRequest("GET", "/api/v1/products", nil),
		httptest.NewRequest("GET", "/api/v1/orders/0123456789abcdef01234567", nil),
		jsonRequest("POST", "/api/v1/orders", orderBody("a@example.com", "0123456789abcdef01234567", 1), false),
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"unavailable"`) {
			t.Errorf("%s %s while unready = %d %s, want 503 unavailable with Retry-After", r.Method, r.URL.Path, w.Code, w.Body)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("GET /healthz while unready = %d, want 200", w.Code)
	}
}
