// Package storetest is the contract every order.Store must meet. A store's
// tests call Run with a constructor that returns an empty store; each case
// gets its own.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) order.Store { return memstore.New() })
//	}
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Run runs the contract suite. newStore must return an empty store, valid
// until the test ends (clean up with t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) order.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s order.Store)
	}{
		{"Ping", testPing},
		{"ProductCreateGet", testProductCreateGet},
		{"ProductUniqueSKU", testProductUniqueSKU},
		{"ProductUpdate", testProductUpdate},
		{"ProductDelete", testProductDelete},
		{"ProductList", testProductList},
		{"ApplyStock", testApplyStock},
		{"ApplyStockRelease", testApplyStockRelease},
		{"RevertStock", testRevertStock},
		{"ClearMarkers", testClearMarkers},
		{"ApplyStockConcurrent", testApplyStockConcurrent},
		{"OrderCreateGet", testOrderCreateGet},
		{"OrderIdempotencyKey", testOrderIdempotencyKey},
		{"OrderSetStatus", testOrderSetStatus},
		{"OrderClaim", testOrderClaim},
		{"OrderConfirm", testOrderConfirm},
		{"OrderStates", testOrderStates},
		{"OrderDeleteOnlyReserving", testOrderDeleteOnlyReserving},
		{"ListMarkedProducts", testListMarkedProducts},
		{"OrderMarkStockReleasedDelete", testOrderMarkReleasedDelete},
		{"OrderList", testOrderList},
		{"OrderListStale", testOrderListStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// base is a fixed instant; cases derive distinct, increasing times from it
// so that ids made from them sort in creation order.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func newProduct(sku string, stock int64, sec int) order.Product {
	now := at(sec)
	return order.Product{
		ID: order.NewID(now), SKU: sku, Name: "Product " + sku, Description: "A thing",
		PriceCents: 1250, Currency: "EUR", Stock: stock, CreatedAt: now, UpdatedAt: now,
	}
}

func newOrder(email string, status order.Status, sec int) order.Order {
	now := at(sec)
	id := order.NewID(now)
	return order.Order{
		ID:       id,
		Customer: order.Customer{Name: "Ada", Email: email},
		Items: []order.LineItem{
			{ProductID: order.NewID(now), SKU: "A-1", Name: "Apple", Quantity: 2, UnitPriceCents: 150, LineTotalCents: 300},
			{ProductID: order.NewID(now), SKU: "B-2", Name: "Banana", Quantity: 1, UnitPriceCents: 99, LineTotalCents: 99},
		},
		TotalCents: 399, Currency: "EUR", Status: status,
		RequestHash: "hash-" + id, CreatedAt: now, UpdatedAt: now,
	}
}

func mustCreateProduct(t testing.TB, s order.Store, p order.Product) order.Product {
	t.Helper()
	if err := s.CreateProduct(t.Context(), p); err != nil {
		t.Fatalf("CreateProduct(%s) = %v, want nil", p.SKU, err)
	}
	return p
}

func mustCreateOrder(t testing.TB, s order.Store, o order.Order) order.Order {
	t.Helper()
	if err := s.CreateOrder(t.Context(), o); err != nil {
		t.Fatalf("CreateOrder(%s) = %v, want nil", o.ID, err)
	}
	return o
}

func stockOf(t testing.TB, s order.Store, id string) int64 {
	t.Helper()
	p, err := s.GetProduct(t.Context(), id)
	if err != nil {
		t.Fatalf("GetProduct(%s) = %v", id, err)
	}
	return p.Stock
}

func wantStock(t testing.TB, s order.Store, id string, want int64) {
	t.Helper()
	if got := stockOf(t, s, id); got != want {
		t.Errorf("stock of %s = %d, want %d", id, got, want)
	}
}

func wantErrIs(t testing.TB, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", call, err, want)
	}
}

func wantNil(t testing.TB, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", call, err)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func productID(p order.Product) string { return p.ID }
func orderID(o order.Order) string     { return o.ID }

func testPing(t *testing.T, s order.Store) {
	wantNil(t, "Ping", s.Ping(t.Context()))
}

func testProductCreateGet(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("SKU-1", 5, 0))
	got, err := s.GetProduct(ctx, p.ID)
	wantNil(t, "GetProduct", err)
	if d := cmp.Diff(p, got); d != "" {
		t.Errorf("GetProduct mismatch (-want +got):\n%s", d)
	}
	_, err = s.GetProduct(ctx, order.NewID(at(1)))
	wantErrIs(t, "GetProduct(missing)", err, order.ErrNotFound)
}

func testProductUniqueSKU(t *testing.T, s order.Store) {
	ctx := t.Context()
	mustCreateProduct(t, s, newProduct("DUP", 1, 0))
	dup := newProduct("DUP", 2, 1)
	wantErrIs(t, "CreateProduct(same SKU)", s.CreateProduct(ctx, dup), order.ErrConflict)
	_, err := s.GetProduct(ctx, dup.ID)
	wantErrIs(t, "GetProduct(rejected duplicate)", err, order.ErrNotFound)
	mustCreateProduct(t, s, newProduct("OTHER", 1, 2))
}

func testProductUpdate(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("UPD", 5, 0))
	name, price := "Renamed", int64(999)
	now := at(60)
	got, err := s.UpdateProduct(ctx, p.ID, order.ProductPatch{Name: &name, PriceCents: &price}, now)
	wantNil(t, "UpdateProduct", err)
	want := p
	want.Name, want.PriceCents, want.UpdatedAt = name, price, now
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("UpdateProduct result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.GetProduct(ctx, p.ID)
	wantNil(t, "GetProduct", err)
	if d := cmp.Diff(want, stored); d != "" {
		t.Errorf("stored product mismatch (-want +got):\n%s", d)
	}

	desc, stock := "", int64(0)
	got, err = s.UpdateProduct(ctx, p.ID, order.ProductPatch{Description: &desc, Stock: &stock}, at(61))
	wantNil(t, "UpdateProduct(description, stock)", err)
	if got.Description != "" || got.Stock != 0 || got.Name != name {
		t.Errorf("UpdateProduct = %+v, want empty description, stock 0, name kept", got)
	}

	_, err = s.UpdateProduct(ctx, order.NewID(at(2)), order.ProductPatch{Name: &name}, now)
	wantErrIs(t, "UpdateProduct(missing)", err, order.ErrNotFound)
}

func testProductDelete(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("DEL", 5, 0))
	wantNil(t, "DeleteProduct", s.DeleteProduct(ctx, p.ID))
	_, err := s.GetProduct(ctx, p.ID)
	wantErrIs(t, "GetProduct(deleted)", err, order.ErrNotFound)
	wantErrIs(t, "DeleteProduct(again)", s.DeleteProduct(ctx, p.ID), order.ErrNotFound)
	// The SKU is free again.
	mustCreateProduct(t, s, newProduct("DEL", 1, 1))
}

func testProductList(t *testing.T, s order.Store) {
	ctx := t.Context()
	var all []order.Product
	// Created out of id order: the list must sort by id, not insertion.
	for _, sec := range []int{3, 0, 4, 1, 2} {
		all = append(all, mustCreateProduct(t, s, newProduct(fmt.Sprintf("L-%d", sec), 1, sec)))
	}
	want := ids([]order.Product{all[1], all[3], all[4], all[0], all[2]}, productID)

	var got []string
	after := ""
	for page := 0; page < 10; page++ {
		items, err := s.ListProducts(ctx, after, 2)
		wantNil(t, "ListProducts", err)
		if len(items) > 2 {
			t.Fatalf("ListProducts(limit 2) returned %d items", len(items))
		}
		if len(items) == 0 {
			break
		}
		got = append(got, ids(items, productID)...)
		after = items[len(items)-1].ID
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("paged ListProducts ids mismatch (-want +got):\n%s", d)
	}

	items, err := s.ListProducts(ctx, "", 100)
	wantNil(t, "ListProducts(limit 100)", err)
	if d := cmp.Diff(want, ids(items, productID)); d != "" {
		t.Errorf("ListProducts(limit 100) ids mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff(all[1], items[0]); d != "" {
		t.Errorf("listed product mismatch (-want +got):\n%s", d)
	}
}

// apply is ApplyStock that must succeed; it returns the product returned.
func apply(t testing.TB, s order.Store, id, marker string, delta int64) order.Product {
	t.Helper()
	p, err := s.ApplyStock(t.Context(), id, marker, delta)
	if err != nil {
		t.Fatalf("ApplyStock(%s, %+d) = %v, want nil", marker, delta, err)
	}
	return p
}

func testApplyStock(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("STOCK", 10, 0))
	m1, m2 := order.ReservationMarker(order.NewID(at(1)), 3), order.ReservationMarker(order.NewID(at(2)), 8)

	// The product comes back as the update left it: placing prices its
	// lines from it.
	want := p
	want.Stock = 7
	if d := cmp.Diff(want, apply(t, s, p.ID, m1, -3)); d != "" {
		t.Errorf("ApplyStock(m1, -3) product mismatch (-want +got):\n%s", d)
	}
	wantStock(t, s, p.ID, 7)
	// Same marker again: already applied, nothing changes; the product is
	// returned as it is.
	if d := cmp.Diff(want, apply(t, s, p.ID, m1, -3)); d != "" {
		t.Errorf("ApplyStock(m1, -3) again: product mismatch (-want +got):\n%s", d)
	}
	wantStock(t, s, p.ID, 7)

	// A price changed before a reservation is the price it returns.
	price := int64(1999)
	_, err := s.UpdateProduct(ctx, p.ID, order.ProductPatch{PriceCents: &price}, at(5))
	wantNil(t, "UpdateProduct(price)", err)

	_, err = s.ApplyStock(ctx, p.ID, m2, -8)
	var se *order.StockError
	if !errors.As(err, &se) {
		t.Fatalf("ApplyStock(m2, -8) on 7 = %v, want *order.StockError", err)
	}
	if d := cmp.Diff(order.StockError{ProductID: p.ID, Requested: 8, Available: 7}, *se); d != "" {
		t.Errorf("StockError mismatch (-want +got):\n%s", d)
	}
	wantErrIs(t, "ApplyStock(m2, -8)", err, order.ErrInsufficientStock)
	wantStock(t, s, p.ID, 7)

	// The refused marker was not recorded: the same marker can reserve
	// what is available.
	got := apply(t, s, p.ID, m2, -7)
	if got.Stock != 0 || got.PriceCents != price || got.SKU != p.SKU || got.Currency != p.Currency {
		t.Errorf("ApplyStock(m2, -7) = stock %d price %d %s %s, want 0 %d %s %s", got.Stock, got.PriceCents, got.SKU, got.Currency, price, p.SKU, p.Currency)
	}
	wantStock(t, s, p.ID, 0)

	_, err = s.ApplyStock(ctx, order.NewID(at(3)), m1, -1)
	wantErrIs(t, "ApplyStock(missing product)", err, order.ErrNotFound)
}

func testApplyStockRelease(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("REL", 0, 0))
	m := order.ReleaseMarker(order.NewID(at(1)), 4)
	if got := apply(t, s, p.ID, m, 4); got.Stock != 4 {
		t.Errorf("ApplyStock(+4) = stock %d, want 4", got.Stock)
	}
	wantStock(t, s, p.ID, 4)
	apply(t, s, p.ID, m, 4)
	wantStock(t, s, p.ID, 4)
	_, err := s.ApplyStock(ctx, order.NewID(at(2)), m, 4)
	wantErrIs(t, "ApplyStock(+4, missing product)", err, order.ErrNotFound)
}

func testRevertStock(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("REV", 10, 0))
	m := order.ReservationMarker(order.NewID(at(1)), 3)

	// No marker: nothing to undo.
	wantNil(t, "RevertStock(no marker)", s.RevertStock(ctx, p.ID, m, -3))
	wantStock(t, s, p.ID, 10)

	apply(t, s, p.ID, m, -3)
	wantNil(t, "RevertStock(-3)", s.RevertStock(ctx, p.ID, m, -3))
	wantStock(t, s, p.ID, 10)
	wantNil(t, "RevertStock(-3) again", s.RevertStock(ctx, p.ID, m, -3))
	wantStock(t, s, p.ID, 10)

	// The marker is gone, so the same marker applies again.
	apply(t, s, p.ID, m, -3)
	wantStock(t, s, p.ID, 7)

	wantNil(t, "RevertStock(missing product)", s.RevertStock(ctx, order.NewID(at(2)), m, -3))
}

func testClearMarkers(t *testing.T, s order.Store) {
	ctx := t.Context()
	p := mustCreateProduct(t, s, newProduct("CLR", 10, 0))
	m1, m2, m3 := order.ReservationMarker(order.NewID(at(1)), 2), order.ReservationMarker(order.NewID(at(2)), 1), order.ReleaseMarker(order.NewID(at(3)), 1)

	apply(t, s, p.ID, m1, -2)
	apply(t, s, p.ID, m2, -1)
	apply(t, s, p.ID, m3, 1)
	wantNil(t, "ClearMarkers(m1, m3)", s.ClearMarkers(ctx, p.ID, []string{m1, m3}))
	wantStock(t, s, p.ID, 8)
	marked, err := s.ListMarkedProducts(ctx, "", 10)
	wantNil(t, "ListMarkedProducts", err)
	if d := cmp.Diff([]order.ProductMarkers{{ProductID: p.ID, Markers: []string{m2}}}, marked); d != "" {
		t.Errorf("markers after ClearMarkers(m1, m3) mismatch (-want +got):\n%s", d)
	}
	// Cleared: RevertStock has nothing to undo, ApplyStock applies anew.
	wantNil(t, "RevertStock(after clear)", s.RevertStock(ctx, p.ID, m1, -2))
	wantStock(t, s, p.ID, 8)
	apply(t, s, p.ID, m1, -2)
	wantStock(t, s, p.ID, 6)

	wantNil(t, "ClearMarkers(unknown marker)", s.ClearMarkers(ctx, p.ID, []string{"r:nothing"}))
	wantNil(t, "ClearMarkers(none)", s.ClearMarkers(ctx, p.ID, nil))
	wantNil(t, "ClearMarkers(missing product)", s.ClearMarkers(ctx, order.NewID(at(4)), []string{m1}))
	wantStock(t, s, p.ID, 6)
	wantNil(t, "ClearMarkers(m1, m2)", s.ClearMarkers(ctx, p.ID, []string{m1, m2}))
	marked, err = s.ListMarkedProducts(ctx, "", 10)
	wantNil(t, "ListMarkedProducts", err)
	if len(marked) != 0 {
		t.Errorf("markers after clearing all = %v, want none", marked)
	}
}

// testApplyStockConcurrent: 100 buyers race for 10 units, one each.
// Exactly 10 must win and the stock must end at 0, never below.
func testApplyStockConcurrent(t *testing.T, s order.Store) {
	ctx := t.Context()
	const buyers, units = 100, 10
	p := mustCreateProduct(t, s, newProduct("RACE", units, 0))

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		refused int
		other   []error
	)
	start := make(chan struct{})
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.ApplyStock(ctx, p.ID, order.ReservationMarker(order.NewID(at(i+1)), 1), -1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, order.ErrInsufficientStock):
				refused++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("ApplyStock: %d unexpected errors, first: %v", len(other), other[0])
	}
	if won != units || refused != buyers-units {
		t.Errorf("ApplyStock by %d buyers on %d units: %d succeeded, %d refused; want %d, %d",
			buyers, units, won, refused, units, buyers-units)
	}
	wantStock(t, s, p.ID, 0)
}

func testOrderCreateGet(t *testing.T, s order.Store) {
	ctx := t.Context()
	o := newOrder("ada@example.com", order.StatusReserving, 0)
	o.IdempotencyKey = "key-1"
	mustCreateOrder(t, s, o)
	got, err := s.GetOrder(ctx, o.ID)
	wantNil(t, "GetOrder", err)
	if d := cmp.Diff(o, got); d != "" {
		t.Errorf("GetOrder mismatch (-want +got):\n%s", d)
	}
	_, err = s.GetOrder(ctx, order.NewID(at(1)))
	wantErrIs(t, "GetOrder(missing)", err, order.ErrNotFound)
	wantErrIs(t, "CreateOrder(same id)", s.CreateOrder(ctx, o), order.ErrConflict)
}

func testOrderIdempotencyKey(t *testing.T, s order.Store) {
	ctx := t.Context()
	a := newOrder("ada@example.com", order.StatusPending, 0)
	a.IdempotencyKey = "retry-me"
	mustCreateOrder(t, s, a)

	got, err := s.GetOrderByIdempotencyKey(ctx, "retry-me")
	wantNil(t, "GetOrderByIdempotencyKey", err)
	if got.ID != a.ID || got.RequestHash != a.RequestHash {
		t.Errorf("GetOrderByIdempotencyKey = order %s hash %s, want %s %s", got.ID, got.RequestHash, a.ID, a.RequestHash)
	}
	_, err = s.GetOrderByIdempotencyKey(ctx, "never-used")
	wantErrIs(t, "GetOrderByIdempotencyKey(unknown)", err, order.ErrNotFound)

	b := newOrder("bob@example.com", order.StatusReserving, 1)
	b.IdempotencyKey = "retry-me"
	wantErrIs(t, "CreateOrder(taken key)", s.CreateOrder(ctx, b), order.ErrConflict)
	_, err = s.GetOrder(ctx, b.ID)
	wantErrIs(t, "GetOrder(rejected order)", err, order.ErrNotFound)

	// Orders without a key never collide with each other.
	for i := range 3 {
		mustCreateOrder(t, s, newOrder("nokey@example.com", order.StatusPending, 2+i))
	}
	_, err = s.GetOrderByIdempotencyKey(ctx, "")
	wantErrIs(t, "GetOrderByIdempotencyKey(\"\")", err, order.ErrNotFound)
}

func testOrderSetStatus(t *testing.T, s order.Store) {
	ctx := t.Context()
	o := mustCreateOrder(t, s, newOrder("ada@example.com", order.StatusReserving, 0))
	now := at(30)
	got, err := s.SetOrderStatus(ctx, o.ID, order.StatusReserving, order.StatusPending, now)
	wantNil(t, "SetOrderStatus(reserving→pending)", err)
	want := o
	want.Status, want.UpdatedAt = order.StatusPending, now
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("SetOrderStatus result mismatch (-want +got):\n%s", d)
	}
	stored, err := s.GetOrder(ctx, o.ID)
	wantNil(t, "GetOrder", err)
	if d := cmp.Diff(want, stored); d != "" {
		t.Errorf("stored order mismatch (-want +got):\n%s", d)
	}

	// The status is no longer `reserving`: the conditional update refuses.
	_, err = s.SetOrderStatus(ctx, o.ID, order.StatusReserving, order.StatusPending, at(31))
	wantErrIs(t, "SetOrderStatus(stale from)", err, order.ErrConflict)
	stored, _ = s.GetOrder(ctx, o.ID)
	if stored.UpdatedAt != now {
		t.Errorf("UpdatedAt after refused change = %v, want %v", stored.UpdatedAt, now)
	}

	_, err = s.SetOrderStatus(ctx, order.NewID(at(1)), order.StatusPending, order.StatusPaid, now)
	wantErrIs(t, "SetOrderStatus(missing)", err, order.ErrNotFound)
}

func testOrderMarkReleasedDelete(t *testing.T, s order.Store) {
	ctx := t.Context()
	o := mustCreateOrder(t, s, newOrder("ada@example.com", order.StatusCancelled, 0))
	wantNil(t, "MarkStockReleased", s.MarkStockReleased(ctx, o.ID, at(40)))
	wantErrIs(t, "DeleteOrder(cancelled)", s.DeleteOrder(ctx, o.ID), order.ErrConflict)
	_, err := s.ClaimOrder(ctx, o.ID, order.StatusCancelled, at(40), order.StatusReserving, at(41))
	wantNil(t, "ClaimOrder(to reserving)", err)
	got, err := s.GetOrder(ctx, o.ID)
	wantNil(t, "GetOrder", err)
	if !got.StockReleased || !got.UpdatedAt.Equal(at(41)) {
		t.Errorf("after MarkStockReleased and a claim: StockReleased %v UpdatedAt %v, want true %v", got.StockReleased, got.UpdatedAt, at(41))
	}
	wantErrIs(t, "MarkStockReleased(missing)", s.MarkStockReleased(ctx, order.NewID(at(1)), at(40)), order.ErrNotFound)

	wantNil(t, "DeleteOrder", s.DeleteOrder(ctx, o.ID))
	_, err = s.GetOrder(ctx, o.ID)
	wantErrIs(t, "GetOrder(deleted)", err, order.ErrNotFound)
	wantErrIs(t, "DeleteOrder(again)", s.DeleteOrder(ctx, o.ID), order.ErrNotFound)
}

func testOrderClaim(t *testing.T, s order.Store) {
	ctx := t.Context()
	o := mustCreateOrder(t, s, newOrder("ada@example.com", order.StatusReserving, 0))
	// Wrong UpdatedAt, wrong status: refused, nothing changes.
	_, err := s.ClaimOrder(ctx, o.ID, order.StatusReserving, at(1), order.StatusPending, at(10))
	wantErrIs(t, "ClaimOrder(other UpdatedAt)", err, order.ErrConflict)
	_, err = s.ClaimOrder(ctx, o.ID, order.StatusPending, o.UpdatedAt, order.StatusPaid, at(10))
	wantErrIs(t, "ClaimOrder(other status)", err, order.ErrConflict)
	stored, err := s.GetOrder(ctx, o.ID)
	wantNil(t, "GetOrder", err)
	if d := cmp.Diff(o, stored); d != "" {
		t.Errorf("order after refused claims mismatch (-want +got):\n%s", d)
	}

	// The claim that matches wins once; the same claim again is refused.
	got, err := s.ClaimOrder(ctx, o.ID, order.StatusReserving, o.UpdatedAt, order.StatusReserving, at(10))
	wantNil(t, "ClaimOrder(match)", err)
	want := o
	want.UpdatedAt = at(10)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ClaimOrder result mismatch (-want +got):\n%s", d)
	}
	_, err = s.ClaimOrder(ctx, o.ID, order.StatusReserving, o.UpdatedAt, order.StatusPending, at(11))
	wantErrIs(t, "ClaimOrder(stale UpdatedAt)", err, order.ErrConflict)
	got, err = s.ClaimOrder(ctx, o.ID, order.StatusReserving, at(10), order.StatusPending, at(12))
	wantNil(t, "ClaimOrder(reserving→pending)", err)
	if got.Status != order.StatusPending || !got.UpdatedAt.Equal(at(12)) {
		t.Errorf("ClaimOrder = %s at %v, want pending at %v", got.Status, got.UpdatedAt, at(12))
	}

	_, err = s.ClaimOrder(ctx, order.NewID(at(1)), order.StatusReserving, at(0), order.StatusPending, at(12))
	wantErrIs(t, "ClaimOrder(missing)", err, order.ErrNotFound)
}

// testOrderConfirm: the journal holds product ids and quantities only;
// the confirmation writes the priced lines with the move to pending, in
// one compare-and-set.
func testOrderConfirm(t *testing.T, s order.Store) {
	ctx := t.Context()
	priced := newOrder("ada@example.com", order.StatusReserving, 0)
	priced.IdempotencyKey = "confirm-key"
	journal := priced
	journal.Items = []order.LineItem{
		{ProductID: priced.Items[0].ProductID, Quantity: priced.Items[0].Quantity},
		{ProductID: priced.Items[1].ProductID, Quantity: priced.Items[1].Quantity},
	}
	journal.Currency, journal.TotalCents = "", 0
	mustCreateOrder(t, s, journal)

	// Wrong UpdatedAt, or not reserving: refused, nothing changes.
	_, err := s.ConfirmOrder(ctx, priced, at(1), at(10))
	wantErrIs(t, "ConfirmOrder(other UpdatedAt)", err, order.ErrConflict)
	claimed, err := s.ClaimOrder(ctx, journal.ID, order.StatusReserving, journal.UpdatedAt, order.StatusReserving, at(5))
	wantNil(t, "ClaimOrder(fence)", err)
	_, err = s.ConfirmOrder(ctx, priced, journal.UpdatedAt, at(10))
	wantErrIs(t, "ConfirmOrder(fenced)", err, order.ErrConflict)
	stored, err := s.GetOrder(ctx, journal.ID)
	wantNil(t, "GetOrder", err)
	if d := cmp.Diff(claimed, stored); d != "" {
		t.Errorf("order after refused confirmations mismatch (-want +got):\n%s", d)
	}

	got, err := s.ConfirmOrder(ctx, priced, at(5), at(12))
	wantNil(t, "ConfirmOrder(match)", err)
	want := priced
	want.Status, want.UpdatedAt = order.StatusPending, at(12)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ConfirmOrder result mismatch (-want +got):\n%s", d)
	}
	stored, err = s.GetOrder(ctx, journal.ID)
	wantNil(t, "GetOrder", err)
	if d := cmp.Diff(want, stored); d != "" {
		t.Errorf("stored order after ConfirmOrder mismatch (-want +got):\n%s", d)
	}
	_, err = s.ConfirmOrder(ctx, priced, at(5), at(13))
	wantErrIs(t, "ConfirmOrder(again)", err, order.ErrConflict)

	missing := newOrder("ada@example.com", order.StatusReserving, 1)
	_, err = s.ConfirmOrder(ctx, missing, missing.UpdatedAt, at(12))
	wantErrIs(t, "ConfirmOrder(missing)", err, order.ErrNotFound)
}

func testOrderStates(t *testing.T, s order.Store) {
	ctx := t.Context()
	released := newOrder("a@example.com", order.StatusCancelled, 2)
	released.StockReleased = true
	orders := []order.Order{
		newOrder("a@example.com", order.StatusReserving, 0),
		newOrder("a@example.com", order.StatusPending, 1),
		released,
	}
	var ids []string
	for _, o := range orders {
		mustCreateOrder(t, s, o)
		ids = append(ids, o.ID)
	}
	want := []order.OrderState{
		{ID: orders[0].ID, Status: order.StatusReserving, UpdatedAt: orders[0].UpdatedAt},
		{ID: orders[1].ID, Status: order.StatusPending, UpdatedAt: orders[1].UpdatedAt},
		{ID: orders[2].ID, Status: order.StatusCancelled, StockReleased: true, UpdatedAt: orders[2].UpdatedAt},
	}
	// Missing and malformed ids are left out.
	got, err := s.OrderStates(ctx, append([]string{order.NewID(at(9)), "not-an-id"}, ids...))
	wantNil(t, "OrderStates", err)
	byID := cmpopts.SortSlices(func(a, b order.OrderState) bool { return a.ID < b.ID })
	if d := cmp.Diff(want, got, byID); d != "" {
		t.Errorf("OrderStates mismatch (-want +got):\n%s", d)
	}
	got, err = s.OrderStates(ctx, ids[1:2])
	wantNil(t, "OrderStates(one)", err)
	if d := cmp.Diff(want[1:2], got); d != "" {
		t.Errorf("OrderStates(one) mismatch (-want +got):\n%s", d)
	}
	got, err = s.OrderStates(ctx, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("OrderStates(none) = %v, %v; want none", got, err)
	}
}

func testOrderDeleteOnlyReserving(t *testing.T, s order.Store) {
	ctx := t.Context()
	o := mustCreateOrder(t, s, newOrder("ada@example.com", order.StatusPending, 0))
	wantErrIs(t, "DeleteOrder(pending)", s.DeleteOrder(ctx, o.ID), order.ErrConflict)
	if _, err := s.GetOrder(ctx, o.ID); err != nil {
		t.Errorf("GetOrder after refused delete = %v, want the order", err)
	}
	r := mustCreateOrder(t, s, newOrder("ada@example.com", order.StatusReserving, 1))
	wantNil(t, "DeleteOrder(reserving)", s.DeleteOrder(ctx, r.ID))
	wantErrIs(t, "DeleteOrder(deleted)", s.DeleteOrder(ctx, r.ID), order.ErrNotFound)
}

func testListMarkedProducts(t *testing.T, s order.Store) {
	ctx := t.Context()
	var ps []order.Product
	for i, sku := range []string{"M0", "M1", "M2", "M3"} {
		ps = append(ps, mustCreateProduct(t, s, newProduct(sku, 10, i)))
	}
	got, err := s.ListMarkedProducts(ctx, "", 10)
	wantNil(t, "ListMarkedProducts(none)", err)
	if len(got) != 0 {
		t.Errorf("ListMarkedProducts with no markers = %v, want none", got)
	}
	r1, r2 := order.ReservationMarker(order.NewID(at(10)), 2), order.ReservationMarker(order.NewID(at(11)), 1)
	c1 := order.ReleaseMarker(order.NewID(at(12)), 3)
	apply(t, s, ps[3].ID, r1, -2)
	apply(t, s, ps[1].ID, r1, -2)
	apply(t, s, ps[1].ID, c1, 3)
	apply(t, s, ps[2].ID, r2, -1)
	wantNil(t, "ClearMarkers", s.ClearMarkers(ctx, ps[2].ID, []string{r2})) // no marker left on M2

	got, err = s.ListMarkedProducts(ctx, "", 10)
	wantNil(t, "ListMarkedProducts", err)
	want := []order.ProductMarkers{{ProductID: ps[1].ID, Markers: []string{c1, r1}}, {ProductID: ps[3].ID, Markers: []string{r1}}}
	if d := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("ListMarkedProducts mismatch (-want +got):\n%s", d)
	}
	got, err = s.ListMarkedProducts(ctx, ps[1].ID, 10)
	wantNil(t, "ListMarkedProducts(after)", err)
	if d := cmp.Diff([]string{ps[3].ID}, ids(got, markedID)); d != "" {
		t.Errorf("ListMarkedProducts(after M1) mismatch (-want +got):\n%s", d)
	}
	got, err = s.ListMarkedProducts(ctx, "", 1)
	wantNil(t, "ListMarkedProducts(limit 1)", err)
	if d := cmp.Diff([]string{ps[1].ID}, ids(got, markedID)); d != "" {
		t.Errorf("ListMarkedProducts(limit 1) mismatch (-want +got):\n%s", d)
	}
}

func markedID(p order.ProductMarkers) string { return p.ProductID }

func testOrderList(t *testing.T, s order.Store) {
	ctx := t.Context()
	var (
		ada = "ada@example.com"
		bob = "bob@example.com"
	)
	// In id order: sec 0..6.
	orders := []order.Order{
		newOrder(ada, order.StatusPending, 0),
		newOrder(bob, order.StatusReserving, 1),
		newOrder(ada, order.StatusPaid, 2),
		newOrder(bob, order.StatusPending, 3),
		newOrder(ada, order.StatusReserving, 4),
		newOrder(ada, order.StatusPending, 5),
		newOrder(bob, order.StatusCancelled, 6),
	}
	for _, i := range []int{6, 2, 0, 4, 1, 5, 3} { // insert out of order
		mustCreateOrder(t, s, orders[i])
	}
	idsOf := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, orders[i].ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    order.OrderFilter
		want []string
	}{
		{"all public", order.OrderFilter{Limit: 100}, idsOf(0, 2, 3, 5, 6)},
		{"limit", order.OrderFilter{Limit: 2}, idsOf(0, 2)},
		{"after", order.OrderFilter{After: orders[2].ID, Limit: 2}, idsOf(3, 5)},
		{"after a hidden one", order.OrderFilter{After: orders[4].ID, Limit: 100}, idsOf(5, 6)},
		{"status", order.OrderFilter{Status: order.StatusPending, Limit: 100}, idsOf(0, 3, 5)},
		{"email", order.OrderFilter{Email: ada, Limit: 100}, idsOf(0, 2, 5)},
		{"status and email", order.OrderFilter{Status: order.StatusPending, Email: bob, Limit: 100}, idsOf(3)},
		{"reserving is never listed", order.OrderFilter{Status: order.StatusReserving, Limit: 100}, idsOf()},
		{"unknown email", order.OrderFilter{Email: "nobody@example.com", Limit: 100}, idsOf()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListOrders(ctx, tt.f)
			wantNil(t, "ListOrders", err)
			if d := cmp.Diff(tt.want, ids(got, orderID)); d != "" {
				t.Errorf("ListOrders(%+v) ids mismatch (-want +got):\n%s", tt.f, d)
			}
		})
	}
	got, err := s.ListOrders(ctx, order.OrderFilter{Limit: 1})
	wantNil(t, "ListOrders", err)
	if len(got) != 1 || cmp.Diff(orders[0], got[0]) != "" {
		t.Errorf("ListOrders(limit 1) = %+v, want [%+v]", got, orders[0])
	}
}

func testOrderListStale(t *testing.T, s order.Store) {
	ctx := t.Context()
	cutoff := at(100)
	released := newOrder("a@example.com", order.StatusCancelled, 3)
	released.StockReleased = true
	orders := []order.Order{
		newOrder("a@example.com", order.StatusReserving, 0), // stale
		newOrder("a@example.com", order.StatusCancelled, 1), // stale: not released
		newOrder("a@example.com", order.StatusPending, 2),   // placed
		released,
		newOrder("a@example.com", order.StatusReserving, 150), // recent
		newOrder("a@example.com", order.StatusCancelled, 160), // recent
		newOrder("a@example.com", order.StatusReserving, 4),   // stale
	}
	for _, o := range orders {
		mustCreateOrder(t, s, o)
	}
	got, err := s.ListStaleOrders(ctx, cutoff, "", 100)
	wantNil(t, "ListStaleOrders", err)
	want := []string{orders[0].ID, orders[1].ID, orders[6].ID}
	if d := cmp.Diff(want, ids(got, orderID)); d != "" {
		t.Errorf("ListStaleOrders ids mismatch (-want +got):\n%s", d)
	}
	for _, o := range got {
		if o.ID == orders[0].ID {
			if d := cmp.Diff(orders[0], o); d != "" {
				t.Errorf("stale order mismatch (-want +got):\n%s", d)
			}
		}
	}

	got, err = s.ListStaleOrders(ctx, cutoff, "", 2)
	wantNil(t, "ListStaleOrders(limit 2)", err)
	if d := cmp.Diff(want[:2], ids(got, orderID)); d != "" {
		t.Errorf("ListStaleOrders(limit 2) mismatch (-want +got):\n%s", d)
	}
	got, err = s.ListStaleOrders(ctx, cutoff, orders[1].ID, 100)
	wantNil(t, "ListStaleOrders(after)", err)
	if d := cmp.Diff(want[2:], ids(got, orderID)); d != "" {
		t.Errorf("ListStaleOrders(after the second) mismatch (-want +got):\n%s", d)
	}

	// Once handled (moved on, or released) an order is no longer stale.
	_, err = s.SetOrderStatus(ctx, orders[0].ID, order.StatusReserving, order.StatusPending, at(200))
	wantNil(t, "SetOrderStatus", err)
	wantNil(t, "MarkStockReleased", s.MarkStockReleased(ctx, orders[1].ID, at(200)))
	got, err = s.ListStaleOrders(ctx, cutoff, "", 100)
	wantNil(t, "ListStaleOrders", err)
	if d := cmp.Diff([]string{orders[6].ID}, ids(got, orderID)); d != "" {
		t.Errorf("ListStaleOrders after handling ids mismatch (-want +got):\n%s", d)
	}
}
