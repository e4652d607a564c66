package httpapi

import (
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/order"
)

func TestProductLifecycle(t *testing.T) {
	e := defaultEnv(t)
	w := e.do(t, req{method: "POST", path: "/api/v1/products", admin: true,
		body: `{"sku":"TEA-1","name":"Green tea","description":"Sencha","priceCents":450,"currency":"EUR","stock":7}`})
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /products = %d %s, want 201", w.Code, w.Body)
	}
	created := mustDo[productJSON](t, e, req{method: "GET", path: w.Header().Get("Location")}, http.StatusOK)
	want := productJSON{SKU: "TEA-1", Name: "Green tea", Description: "Sencha", PriceCents: 450, Currency: "EUR", Stock: 7}
	ignore := cmpopts.IgnoreFields(productJSON{}, "ID", "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(want, created, ignore); diff != "" {
		t.Errorf("GET Location (-want +got):\n%s", diff)
	}
	if len(created.ID) != 24 || created.CreatedAt.IsZero() || created.CreatedAt.Location() != time.UTC {
		t.Errorf("created product id %q createdAt %v: want a 24-hex id and a UTC time", created.ID, created.CreatedAt)
	}

	patched := mustDo[productJSON](t, e, req{method: "PATCH", path: "/api/v1/products/" + created.ID, admin: true,
		body: `{"priceCents":500,"stock":3}`}, http.StatusOK)
	want.PriceCents, want.Stock = 500, 3
	if diff := cmp.Diff(want, patched, ignore); diff != "" {
		t.Errorf("PATCH (-want +got):\n%s", diff)
	}

	if w := e.do(t, req{method: "DELETE", path: "/api/v1/products/" + created.ID, admin: true}); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Errorf("DELETE = %d %q, want 204 and no body", w.Code, w.Body)
	}
	if w := e.do(t, req{method: "GET", path: "/api/v1/products/" + created.ID}); w.Code != http.StatusNotFound {
		t.Errorf("GET after DELETE = %d, want 404", w.Code)
	}
}

func TestProductListPagination(t *testing.T) {
	e := defaultEnv(t)
	var want []string
	for _, sku := range []string{"A", "B", "C", "D", "E"} {
		want = append(want, e.createProduct(t, sku, 100, 1).ID)
	}
	slices.Sort(want) // ids sort by creation second, then at random
	var got []string
	path := "/api/v1/products?limit=2"
	pages := 0
	for {
		p := mustDo[page[productJSON]](t, e, req{method: "GET", path: path}, http.StatusOK)
		pages++
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		if p.NextCursor == "" {
			break
		}
		path = "/api/v1/products?limit=2&cursor=" + p.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
	// Default limit, one page, no cursor; an empty store gives items: [].
	p := mustDo[map[string]any](t, e, req{method: "GET", path: "/api/v1/products"}, http.StatusOK)
	if _, ok := p["nextCursor"]; ok || len(p["items"].([]any)) != 5 {
		t.Errorf("GET /products = %v, want 5 items and no nextCursor", p)
	}
	empty := defaultEnv(t)
	w := empty.do(t, req{method: "GET", path: "/api/v1/products"})
	if got, want := w.Body.String(), "{\"items\":[]}\n"; got != want {
		t.Errorf("GET /products on empty store = %q, want %q", got, want)
	}
}

func TestOrderLifecycle(t *testing.T) {
	e := defaultEnv(t)
	tea := e.createProduct(t, "TEA", 450, 10)
	cup := e.createProduct(t, "CUP", 1200, 2)

	w := e.do(t, req{method: "POST", path: "/api/v1/orders", body: orderBody("ada@example.com", tea.ID, 3, cup.ID, 2)})
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /orders = %d %s, want 201", w.Code, w.Body)
	}
	o := mustDo[orderJSON](t, e, req{method: "GET", path: w.Header().Get("Location")}, http.StatusOK)
	want := orderJSON{
		ID:       o.ID,
		Customer: customerJSON{Name: "Ada", Email: "ada@example.com"},
		Items: []lineItemJSON{
			{ProductID: tea.ID, SKU: "TEA", Name: "Product TEA", Quantity: 3, UnitPriceCents: 450, LineTotalCents: 1350},
			{ProductID: cup.ID, SKU: "CUP", Name: "Product CUP", Quantity: 2, UnitPriceCents: 1200, LineTotalCents: 2400},
		},
		TotalCents: 3750, Currency: "EUR", Status: "pending",
	}
	if diff := cmp.Diff(want, o, cmpopts.IgnoreFields(orderJSON{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	stockOf := func(id string) int64 {
		return mustDo[productJSON](t, e, req{method: "GET", path: "/api/v1/products/" + id}, http.StatusOK).Stock
	}
	if got := stockOf(tea.ID); got != 7 {
		t.Errorf("tea stock after order = %d, want 7", got)
	}

	// Insufficient stock: nothing is reserved.
	w = e.do(t, req{method: "POST", path: "/api/v1/orders", body: orderBody("bob@example.com", tea.ID, 1, cup.ID, 1)})
	if w.Code != http.StatusConflict || errorOf(t, w).Code != "insufficient_stock" {
		t.Errorf("order beyond stock = %d %s, want 409 insufficient_stock", w.Code, w.Body)
	}
	if got := stockOf(tea.ID); got != 7 {
		t.Errorf("tea stock after refused order = %d, want 7 (rolled back)", got)
	}

	// Admin moves it to paid; then the customer cancels; stock comes back.
	paid := mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders/" + o.ID + "/status", admin: true, body: `{"status":"paid"}`}, http.StatusOK)
	if paid.Status != "paid" {
		t.Errorf("status after paid = %q", paid.Status)
	}
	cancelled := mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders/" + o.ID + "/cancel"}, http.StatusOK)
	if cancelled.Status != "cancelled" {
		t.Errorf("status after cancel = %q", cancelled.Status)
	}
	if got := stockOf(tea.ID); got != 10 {
		t.Errorf("tea stock after cancel = %d, want 10", got)
	}
	if got := stockOf(cup.ID); got != 2 {
		t.Errorf("cup stock after cancel = %d, want 2", got)
	}
	// Cancelling twice is an invalid transition, and stock is not released twice.
	w = e.do(t, req{method: "POST", path: "/api/v1/orders/" + o.ID + "/cancel"})
	if w.Code != http.StatusConflict || errorOf(t, w).Code != "invalid_transition" {
		t.Errorf("second cancel = %d %s, want 409 invalid_transition", w.Code, w.Body)
	}
	if got := stockOf(tea.ID); got != 10 {
		t.Errorf("tea stock after second cancel = %d, want 10", got)
	}
	w = e.do(t, req{method: "POST", path: "/api/v1/orders/" + o.ID + "/status", admin: true, body: `{"status":"shipped"}`})
	if w.Code != http.StatusConflict || errorOf(t, w).Code != "invalid_transition" {
		t.Errorf("cancelled → shipped = %d %s, want 409 invalid_transition", w.Code, w.Body)
	}
}

func TestOrderListFilters(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 100, 100)
	var adaIDs []string
	for i, email := range []string{"ada@example.com", "bob@example.com", "ada@example.com", "ada@example.com"} {
		o := mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders", body: orderBody(email, p.ID, i+1)}, http.StatusCreated)
		if email == "ada@example.com" {
			adaIDs = append(adaIDs, o.ID)
		}
	}
	slices.Sort(adaIDs)
	mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders/" + adaIDs[0] + "/status", admin: true, body: `{"status":"paid"}`}, http.StatusOK)

	ids := func(path string) (out []string, next string) {
		pg := mustDo[page[orderJSON]](t, e, req{method: "GET", path: path, admin: true}, http.StatusOK)
		for _, o := range pg.Items {
			out = append(out, o.ID)
		}
		return out, pg.NextCursor
	}
	got, next := ids("/api/v1/orders?email=ada@example.com&limit=2")
	if diff := cmp.Diff(adaIDs[:2], got); diff != "" || next == "" {
		t.Errorf("first page of ada's orders (-want +got):\n%s next=%q", diff, next)
	}
	got, next = ids("/api/v1/orders?email=ada@example.com&limit=2&cursor=" + next)
	if diff := cmp.Diff(adaIDs[2:], got); diff != "" || next != "" {
		t.Errorf("second page of ada's orders (-want +got):\n%s next=%q", diff, next)
	}
	got, _ = ids("/api/v1/orders?status=paid")
	if diff := cmp.Diff(adaIDs[:1], got); diff != "" {
		t.Errorf("paid orders (-want +got):\n%s", diff)
	}
	got, _ = ids("/api/v1/orders?status=pending&email=bob@example.com")
	if len(got) != 1 {
		t.Errorf("bob's pending orders = %v, want 1", got)
	}
}

func TestIdempotentReplay(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 100, 10)
	body := orderBody("ada@example.com", p.ID, 2)
	key := map[string]string{"Idempotency-Key": "retry-me-1"}
	first := e.do(t, req{method: "POST", path: "/api/v1/orders", body: body, header: key})
	if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first POST = %d (replayed %q), want 201 and no replay header", first.Code, first.Header().Get("Idempotent-Replayed"))
	}
	second := e.do(t, req{method: "POST", path: "/api/v1/orders", body: body, header: key})
	if second.Code != http.StatusOK || second.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry = %d (replayed %q), want 200 and Idempotent-Replayed: true", second.Code, second.Header().Get("Idempotent-Replayed"))
	}
	if first.Body.String() != second.Body.String() {
		t.Errorf("retry body = %s, want the first order %s", second.Body, first.Body)
	}
	if got := mustDo[productJSON](t, e, req{method: "GET", path: "/api/v1/products/" + p.ID}, http.StatusOK).Stock; got != 8 {
		t.Errorf("stock after order and retry = %d, want 8 (reserved once)", got)
	}
	w := e.do(t, req{method: "POST", path: "/api/v1/orders", body: orderBody("ada@example.com", p.ID, 3), header: key})
	if w.Code != http.StatusUnprocessableEntity || errorOf(t, w).Code != "idempotency_mismatch" {
		t.Errorf("same key, other body = %d %s, want 422 idempotency_mismatch", w.Code, w.Body)
	}
}

func TestProbes(t *testing.T) {
	draining := false
	e := newTestEnv(t, Config{Draining: func() bool { return draining }})
	for _, path := range []string{"/healthz", "/readyz"} {
		if w := e.do(t, req{method: "GET", path: path}); w.Code != http.StatusOK || w.Body.String() != "{\"status\":\"ok\"}\n" {
			t.Errorf("GET %s = %d %q, want 200 {\"status\":\"ok\"}", path, w.Code, w.Body)
		}
	}
	draining = true
	w := e.do(t, req{method: "GET", path: "/readyz"})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("GET /readyz while draining = %d (Retry-After %q), want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := e.do(t, req{method: "GET", path: "/healthz"}); w.Code != http.StatusOK {
		t.Errorf("GET /healthz while draining = %d, want 200", w.Code)
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := defaultEnv(t)
	w := e.do(t, req{method: "GET", path: "/api/v1/openapi.yaml"})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/yaml" || w.Body.String() != string(openAPIDoc) {
		t.Errorf("GET /api/v1/openapi.yaml = %d %q, want 200 application/yaml with the document", w.Code, w.Header().Get("Content-Type"))
	}
}

// TestIdempotencyKeyInProgress: while the order of an Idempotency-Key is
// still being placed (here: left reserving), a retry answers 409 conflict
// with Retry-After instead of placing a second order.
func TestIdempotencyKeyInProgress(t *testing.T) {
	e := defaultEnv(t)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	e.srv = newServer(slog.New(slog.DiscardHandler), order.NewService(e.store, order.WithIdempotencyWait(50*time.Millisecond)), m,
		Config{AdminToken: testToken, MaxBodyBytes: 4096})
	p := e.createProduct(t, "P", 100, 10)
	now := time.Now().UTC()
	req0 := order.PlaceOrder{Customer: order.Customer{Name: "Ada", Email: "ada@example.com"}, Lines: []order.OrderLine{{ProductID: p.ID, Quantity: 2}}}
	if err := e.store.CreateOrder(t.Context(), order.Order{ID: order.NewID(now), Status: order.StatusReserving,
		IdempotencyKey: "busy-1", RequestHash: req0.Hash(), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	w := e.do(t, req{method: "POST", path: "/api/v1/orders", body: orderBody("ada@example.com", p.ID, 2), header: map[string]string{"Idempotency-Key": "busy-1"}})
	if w.Code != http.StatusConflict || errorOf(t, w).Code != "conflict" || w.Header().Get("Retry-After") != "1" {
		t.Errorf("POST with a key in progress = %d %s (Retry-After %q), want 409 conflict with Retry-After: 1", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
}
