package order_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// fixture is a Service on a memstore with two EUR products and one USD.
type fixture struct {
	svc           *order.Service
	store         *memstore.Store
	tea, cup, usd order.Product
	ctx           context.Context
}

func newFixture(tb testing.TB, opts ...order.Option) *fixture {
	tb.Helper()
	f := &fixture{store: memstore.New(), ctx: context.Background()}
	f.svc = order.NewService(f.store, opts...)
	mk := func(sku, cur string, price, stock int64) order.Product {
		p, err := f.svc.CreateProduct(f.ctx, order.Product{SKU: sku, Name: sku, PriceCents: price, Currency: cur, Stock: stock})
		if err != nil {
			tb.Fatalf("CreateProduct(%s) = %v", sku, err)
		}
		return p
	}
	f.tea, f.cup, f.usd = mk("TEA", "EUR", 450, 10), mk("CUP", "EUR", 1200, 2), mk("USD", "USD", 100, 5)
	return f
}

func (f *fixture) stock(tb testing.TB, id string) int64 {
	tb.Helper()
	p, err := f.store.GetProduct(f.ctx, id)
	if err != nil {
		tb.Fatalf("GetProduct(%s) = %v", id, err)
	}
	return p.Stock
}

func (f *fixture) place(lines ...order.OrderLine) order.PlaceOrder {
	return order.PlaceOrder{Customer: order.Customer{Name: "Ada", Email: "ada@example.com"}, Lines: lines}
}

func line(p order.Product, q int64) order.OrderLine {
	return order.OrderLine{ProductID: p.ID, Quantity: q}
}

func TestPlaceOrder(t *testing.T) {
	f := newFixture(t)
	o, created, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 3), line(f.cup, 2)))
	if err != nil || !created {
		t.Fatalf("PlaceOrder = %v, created %v", err, created)
	}
	want := []order.LineItem{
		{ProductID: f.tea.ID, SKU: "TEA", Name: "TEA", Quantity: 3, UnitPriceCents: 450, LineTotalCents: 1350},
		{ProductID: f.cup.ID, SKU: "CUP", Name: "CUP", Quantity: 2, UnitPriceCents: 1200, LineTotalCents: 2400},
	}
	if diff := cmp.Diff(want, o.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if o.TotalCents != 3750 || o.Currency != "EUR" || o.Status != order.StatusPending {
		t.Errorf("order = total %d %s %s, want 3750 EUR pending", o.TotalCents, o.Currency, o.Status)
	}
	if got := f.stock(t, f.tea.ID); got != 7 {
		t.Errorf("tea stock = %d, want 7", got)
	}
	stored, err := f.store.GetOrder(f.ctx, o.ID)
	if err != nil || !cmp.Equal(o, stored) {
		t.Errorf("stored order = %+v, %v; want the order returned, priced", stored, err)
	}
	// The reservation markers are cleared in the background, not by the
	// request.
	f.svc.Wait()
	for _, p := range []order.Product{f.tea, f.cup} {
		if m := f.store.Markers(p.ID); len(m) != 0 {
			t.Errorf("markers of %s after the sweep = %v, want none", p.SKU, m)
		}
	}
}

// TestMarkerSweepFails: a sweep whose update fails stops there (the store
// is likely down), is not retried, and the order stands; Recover clears the
// markers a lease later.
func TestMarkerSweepFails(t *testing.T) {
	f := newFixture(t)
	var clears atomic.Int32
	f.store.SetFault(func(op string) error {
		if op == "ClearMarkers" {
			clears.Add(1)
			return order.ErrUnavailable
		}
		return nil
	})
	o, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 3), line(f.cup, 1)))
	must(t, err)
	f.svc.Wait()
	f.store.SetFault(nil)
	if n := clears.Load(); n != 1 {
		t.Errorf("ClearMarkers attempts = %d, want 1 (the sweep stops at the first failure)", n)
	}
	for _, p := range []order.Product{f.tea, f.cup} {
		if m := f.store.Markers(p.ID); len(m) != 1 {
			t.Errorf("markers of %s after a failed sweep = %v, want its one", p.SKU, m)
		}
	}
	if rep, err := f.svc.Recover(f.ctx, o.CreatedAt.Add(time.Minute)); err != nil || !cmp.Equal(rep, order.RecoverReport{Cleared: 2}) {
		t.Errorf("Recover = %+v, %v; want the 2 markers cleared", rep, err)
	}
	if tea, cup := f.stock(t, f.tea.ID), f.stock(t, f.cup.ID); tea != 7 || cup != 1 || len(f.store.Markers(f.tea.ID))+len(f.store.Markers(f.cup.ID)) != 0 {
		t.Errorf("after Recover: stock tea %d cup %d, markers left; want 7, 1, none", tea, cup)
	}
	if got, err := f.svc.GetOrder(f.ctx, o.ID); err != nil || got.Status != order.StatusPending {
		t.Errorf("GetOrder = %s, %v; want the order pending", got.Status, err)
	}
}

// TestRecoverClearsMarkersAfterLease: markers a placed order left behind
// (its process died before the sweep) stay until Recover clears them, a
// lease after the order was made.
func TestRecoverClearsMarkersAfterLease(t *testing.T) {
	f := newFixture(t, order.WithMarkerSweep(-1))
	o, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 3), line(f.cup, 2)))
	must(t, err)
	wantMarkers := map[string][]string{f.tea.ID: {order.ReservationMarker(o.ID, 3)}, f.cup.ID: {order.ReservationMarker(o.ID, 2)}}
	for id, want := range wantMarkers {
		if d := cmp.Diff(want, f.store.Markers(id)); d != "" {
			t.Errorf("markers of %s after placing without a sweep (-want +got):\n%s", id, d)
		}
	}
	if rep, err := f.svc.Recover(f.ctx, o.CreatedAt.Add(-time.Minute)); err != nil || !cmp.Equal(rep, order.RecoverReport{}) {
		t.Errorf("Recover(cutoff before the order) = %+v, %v; want nothing done", rep, err)
	}
	for id, want := range wantMarkers {
		if d := cmp.Diff(want, f.store.Markers(id)); d != "" {
			t.Errorf("markers of %s within the lease (-want +got):\n%s", id, d)
		}
	}
	if rep, err := f.svc.Recover(f.ctx, o.CreatedAt.Add(time.Minute)); err != nil || !cmp.Equal(rep, order.RecoverReport{Cleared: 2}) {
		t.Errorf("Recover(cutoff a lease later) = %+v, %v; want 2 markers cleared", rep, err)
	}
	for id := range wantMarkers {
		if m := f.store.Markers(id); len(m) != 0 {
			t.Errorf("markers of %s after Recover = %v, want none", id, m)
		}
	}
	if tea, cup := f.stock(t, f.tea.ID), f.stock(t, f.cup.ID); tea != 7 || cup != 0 {
		t.Errorf("stock after clearing markers: tea %d cup %d, want 7 and 0", tea, cup)
	}
}

// TestRecoverClearsMarkersCheaply: the markers placing leaves cost Recover
// one read per MaxOrderStates orders (not one per marker or order) and one
// update per product (not per marker).
func TestRecoverClearsMarkersCheaply(t *testing.T) {
	for _, tc := range []struct {
		orders, lines int
		want          map[string]int
	}{
		{20, 5, map[string]int{"ListStaleOrders": 1, "ListMarkedProducts": 2, "OrderStates": 1, "ClearMarkers": 5}},
		{order.MaxOrderStates + 1, 1, map[string]int{"ListStaleOrders": 1, "ListMarkedProducts": 2, "OrderStates": 2, "ClearMarkers": 1}},
	} {
		mem := memstore.New()
		faulty := storetest.NewFaulty(mem)
		old := time.Now().Add(-time.Hour).UTC()
		// Placed by a process that died before its marker sweep.
		then := order.NewService(mem, order.WithClock(func() time.Time { return old }), order.WithMarkerSweep(-1))
		var req order.PlaceOrder
		req.Customer = order.Customer{Name: "Ada", Email: "ada@example.com"}
		for i := range tc.lines {
			p, err := then.CreateProduct(context.Background(), order.Product{SKU: fmt.Sprint("P", i), Name: "P", PriceCents: 1, Currency: "EUR", Stock: 1000})
			must(t, err)
			req.Lines = append(req.Lines, line(p, 1))
		}
		for range tc.orders {
			_, _, err := then.PlaceOrder(context.Background(), req)
			must(t, err)
		}
		rep, err := order.NewService(faulty).Recover(context.Background(), time.Now().Add(-time.Minute))
		if err != nil || rep.Cleared != tc.orders*tc.lines {
			t.Fatalf("Recover = %+v, %v; want %d markers cleared", rep, err, tc.orders*tc.lines)
		}
		count := map[string]int{}
		for _, c := range faulty.Calls() {
			count[c.Op]++
		}
		if d := cmp.Diff(tc.want, count); d != "" {
			t.Errorf("Recover's store calls for %d orders of %d lines on %d products (-want +got):\n%s", tc.orders, tc.lines, tc.lines, d)
		}
		for _, l := range req.Lines {
			if m := mem.Markers(l.ProductID); len(m) != 0 {
				t.Errorf("markers of %s after Recover = %v, want none", l.ProductID, m)
			}
		}
	}
}

// TestPlaceOrderCalls: placing costs N+2 store calls for N lines, with or
// without an Idempotency-Key, and never reads a product: each line is
// priced from the product its reservation returned. A price changed just
// before the reservation is the price of the order.
func TestPlaceOrderCalls(t *testing.T) {
	f := newFixture(t)
	faulty := storetest.NewFaulty(f.store)
	svc := order.NewService(faulty)
	newPrice := int64(499)
	faulty.SetPlan(func(c storetest.Call) storetest.Fault {
		if c == (storetest.Call{Op: "ApplyStock", N: 0}) {
			if _, err := f.store.UpdateProduct(f.ctx, f.tea.ID, order.ProductPatch{PriceCents: &newPrice}, time.Now().UTC()); err != nil {
				t.Errorf("UpdateProduct = %v", err)
			}
		}
		return storetest.NoFault
	})
	req := f.place(line(f.tea, 3), line(f.cup, 2))
	req.IdempotencyKey = "calls-1"
	o, created, err := svc.PlaceOrder(f.ctx, req)
	if err != nil || !created {
		t.Fatalf("PlaceOrder = %v, created %v", err, created)
	}
	want := []storetest.Call{{Op: "CreateOrder"}, {Op: "ApplyStock"}, {Op: "ApplyStock", N: 1}, {Op: "ConfirmOrder"}}
	if d := cmp.Diff(want, requestCalls(faulty)); d != "" {
		t.Errorf("store calls of a 2-line keyed order (-want +got):\n%s", d)
	}
	if o.Items[0].UnitPriceCents != newPrice || o.Items[0].LineTotalCents != 3*newPrice || o.TotalCents != 3*newPrice+2*1200 {
		t.Errorf("order = %+v, want tea at the price of its reservation, %d", o, newPrice)
	}

	// The retry inserts, finds the key taken, and reads the order.
	faulty.SetPlan(nil)
	again, created, err := svc.PlaceOrder(f.ctx, req)
	if err != nil || created || again.ID != o.ID || !cmp.Equal(again.Items, o.Items) {
		t.Fatalf("retry = %+v created %v, %v; want the order %s", again, created, err, o.ID)
	}
	want = []storetest.Call{{Op: "CreateOrder"}, {Op: "GetOrderByIdempotencyKey"}}
	if d := cmp.Diff(want, requestCalls(faulty)); d != "" {
		t.Errorf("store calls of the retry (-want +got):\n%s", d)
	}
}

// requestCalls are the calls but the marker sweep's (ClearMarkers), which
// runs in the background.
func requestCalls(f *storetest.Faulty) []storetest.Call {
	var out []storetest.Call
	for _, c := range f.Calls() {
		if c.Op != "ClearMarkers" {
			out = append(out, c)
		}
	}
	return out
}

// TestMarkerSweep: the markers of the orders placed within the sweep delay
// are cleared together, one update per product, after the requests.
func TestMarkerSweep(t *testing.T) {
	t.Parallel() // it waits a second for the sweep
	f := newFixture(t)
	faulty := storetest.NewFaulty(f.store)
	svc := order.NewService(faulty, order.WithMarkerSweep(time.Second))
	for range 2 { // the cup's whole stock
		_, _, err := svc.PlaceOrder(f.ctx, f.place(line(f.tea, 1), line(f.cup, 1)))
		must(t, err)
	}
	if n := len(f.store.Markers(f.tea.ID)); n == 0 {
		t.Errorf("tea markers right after placing = %d, want them there until the sweep", n)
	}
	svc.Wait()
	var clears []storetest.Call
	for _, c := range faulty.Calls() {
		if c.Op == "ClearMarkers" {
			clears = append(clears, c)
		}
	}
	if len(clears) != 2 {
		t.Errorf("ClearMarkers calls = %v, want 2 (one per product, for all the orders)", clears)
	}
	for _, p := range []order.Product{f.tea, f.cup} {
		if m := f.store.Markers(p.ID); len(m) != 0 {
			t.Errorf("markers of %s after the sweep = %v, want none", p.SKU, m)
		}
	}
}

// TestPlaceOrderRollsBackOnLaterLine: when line 2 lacks stock, line 1's
// reservation is undone and the order document removed.
func TestPlaceOrderRollsBackOnLaterLine(t *testing.T) {
	f := newFixture(t)
	req := f.place(line(f.tea, 4), line(f.cup, 3)) // only 2 cups
	req.IdempotencyKey = "k-1"
	_, _, err := f.svc.PlaceOrder(f.ctx, req)
	var se *order.StockError
	if !errors.As(err, &se) || se.ProductID != f.cup.ID || se.Requested != 3 || se.Available != 2 {
		t.Fatalf("PlaceOrder = %v, want a StockError for the cup (3 asked, 2 left)", err)
	}
	if got := f.stock(t, f.tea.ID); got != 10 {
		t.Errorf("tea stock after rollback = %d, want 10", got)
	}
	if m := f.store.Markers(f.tea.ID); len(m) != 0 {
		t.Errorf("tea markers after rollback = %v, want none", m)
	}
	if _, err := f.store.GetOrderByIdempotencyKey(f.ctx, "k-1"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order document after rollback: %v, want it deleted", err)
	}
	// The key is free again: after a restock the same request succeeds.
	st := int64(5)
	if _, err := f.svc.UpdateProduct(f.ctx, f.cup.ID, order.ProductPatch{Stock: &st}); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.svc.PlaceOrder(f.ctx, req); err != nil || !created {
		t.Errorf("retry after restock = %v, created %v; want a new order", err, created)
	}
}

// TestPlaceOrderRollsBackOnStoreFailure: the second reservation fails with
// the store unavailable; the first is undone.
func TestPlaceOrderRollsBackOnStoreFailure(t *testing.T) {
	f := newFixture(t)
	var applies atomic.Int32
	f.store.SetFault(func(op string) error {
		if op == "ApplyStock" && applies.Add(1) == 2 {
			return order.ErrUnavailable
		}
		return nil
	})
	_, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 4), line(f.cup, 1)))
	if !errors.Is(err, order.ErrUnavailable) {
		t.Fatalf("PlaceOrder = %v, want ErrUnavailable", err)
	}
	if got := f.stock(t, f.tea.ID); got != 10 {
		t.Errorf("tea stock = %d, want 10", got)
	}
}

// TestRecoverAfterFailedRollback: the store goes down mid-order, so even the
// rollback fails; Recover later puts everything back, exactly once.
func TestRecoverAfterFailedRollback(t *testing.T) {
	f := newFixture(t)
	var applies atomic.Int32
	f.store.SetFault(func(op string) error {
		if op == "ApplyStock" && applies.Add(1) >= 2 || op == "RevertStock" || op == "DeleteOrder" {
			return order.ErrUnavailable
		}
		return nil
	})
	_, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 4), line(f.cup, 1)))
	if !errors.Is(err, order.ErrUnavailable) {
		t.Fatalf("PlaceOrder = %v, want ErrUnavailable", err)
	}
	if got := f.stock(t, f.tea.ID); got != 6 {
		t.Fatalf("tea stock with the rollback failed = %d, want 6 (still reserved)", got)
	}
	f.store.SetFault(nil)

	// Too recent for the cutoff: untouched.
	rep, err := f.svc.Recover(f.ctx, time.Now().Add(-time.Hour))
	if err != nil || !cmp.Equal(rep, order.RecoverReport{}) {
		t.Fatalf("Recover(old cutoff) = %+v, %v; want nothing done", rep, err)
	}
	for i, want := range []order.RecoverReport{{RolledBack: 1}, {}} {
		rep, err := f.svc.Recover(f.ctx, time.Now().Add(time.Hour))
		if err != nil || !cmp.Equal(rep, want) {
			t.Errorf("Recover #%d = %+v, %v; want %+v", i+1, rep, err, want)
		}
	}
	if got := f.stock(t, f.tea.ID); got != 10 {
		t.Errorf("tea stock after Recover = %d, want 10", got)
	}
	orders, _ := f.store.ListStaleOrders(f.ctx, time.Now().Add(time.Hour), "", 10)
	if len(orders) != 0 {
		t.Errorf("stale orders after Recover = %d, want 0", len(orders))
	}
}

// TestRecoverHalfReserved: a crash left an order reserving with only its
// first line applied. Recover releases that line and deletes the order.
func TestRecoverHalfReserved(t *testing.T) {
	f := newFixture(t)
	old := time.Now().Add(-time.Hour).UTC()
	o := order.Order{
		ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"}, Status: order.StatusReserving,
		Items: []order.LineItem{
			{ProductID: f.tea.ID, Quantity: 3, UnitPriceCents: 450, LineTotalCents: 1350},
			{ProductID: f.cup.ID, Quantity: 1, UnitPriceCents: 1200, LineTotalCents: 1200},
		},
		TotalCents: 2550, Currency: "EUR", CreatedAt: old, UpdatedAt: old,
	}
	if err := f.store.CreateOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyStock(f.ctx, f.tea.ID, order.ReservationMarker(o.ID, 3), -3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetOrder(f.ctx, o.ID); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("GetOrder(reserving) = %v, want ErrNotFound (never shown)", err)
	}
	rep, err := f.svc.Recover(f.ctx, time.Now().Add(-time.Minute))
	if err != nil || rep.RolledBack != 1 {
		t.Fatalf("Recover = %+v, %v; want 1 rolled back", rep, err)
	}
	if tea, cup := f.stock(t, f.tea.ID), f.stock(t, f.cup.ID); tea != 10 || cup != 2 {
		t.Errorf("stock after Recover: tea %d cup %d, want 10 and 2", tea, cup)
	}
	if _, err := f.store.GetOrder(f.ctx, o.ID); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order after Recover: %v, want deleted", err)
	}
}

// TestCancelReleaseFinishedByRecover: the cancel stands though the stock
// release fails half-way; Recover finishes it without releasing twice.
func TestCancelReleaseFinishedByRecover(t *testing.T) {
	f := newFixture(t)
	o, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 3), line(f.cup, 2)))
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Wait() // the reservation markers swept
	var applies atomic.Int32
	f.store.SetFault(func(op string) error {
		if op == "ApplyStock" && applies.Add(1) == 2 { // the cup's release
			return order.ErrUnavailable
		}
		return nil
	})
	got, err := f.svc.CancelOrder(f.ctx, o.ID)
	if err != nil || got.Status != order.StatusCancelled || got.StockReleased {
		t.Fatalf("CancelOrder = %s released=%v, %v; want cancelled, not yet released, nil", got.Status, got.StockReleased, err)
	}
	if tea, cup := f.stock(t, f.tea.ID), f.stock(t, f.cup.ID); tea != 10 || cup != 0 {
		t.Fatalf("stock after half release: tea %d cup %d, want 10 and 0", tea, cup)
	}
	f.store.SetFault(nil)
	// With a cutoff after the release, the release markers are cleared too.
	for i, want := range []order.RecoverReport{{Released: 1, Cleared: 2}, {}} {
		rep, err := f.svc.Recover(f.ctx, time.Now().Add(time.Hour))
		if err != nil || !cmp.Equal(rep, want) {
			t.Errorf("Recover #%d = %+v, %v; want %+v", i+1, rep, err, want)
		}
	}
	if tea, cup := f.stock(t, f.tea.ID), f.stock(t, f.cup.ID); tea != 10 || cup != 2 {
		t.Errorf("stock after Recover: tea %d cup %d, want 10 and 2 (each released once)", tea, cup)
	}
	stored, _ := f.store.GetOrder(f.ctx, o.ID)
	if !stored.StockReleased {
		t.Error("order not marked released after Recover")
	}
}

func TestPlaceOrderInputErrors(t *testing.T) {
	f := newFixture(t)
	missing := order.NewID(time.Now())
	tests := []struct {
		name  string
		req   order.PlaceOrder
		field string
	}{
		{"unknown product", f.place(line(f.tea, 1), order.OrderLine{ProductID: missing, Quantity: 1}), "items[1].productId"},
		{"mixed currencies", f.place(line(f.tea, 1), line(f.usd, 1)), "items"},
		{"invalid", f.place(line(f.tea, 0)), "items[0].quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.PlaceOrder(f.ctx, tt.req)
			var ve *order.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tt.field] == "" {
				t.Errorf("PlaceOrder = %v, want a ValidationError on %s", err, tt.field)
			}
			f.svc.Wait()
			if tea, usd := f.stock(t, f.tea.ID), f.stock(t, f.usd.ID); tea != 10 || usd != 5 {
				t.Errorf("stock = tea %d usd %d, want 10 and 5 (reservations rolled back)", tea, usd)
			}
			for _, p := range []order.Product{f.tea, f.usd} {
				if m := f.store.Markers(p.ID); len(m) != 0 {
					t.Errorf("markers of %s = %v, want none", p.SKU, m)
				}
			}
			if stale, _ := f.store.ListStaleOrders(f.ctx, time.Now().Add(time.Hour), "", 10); len(stale) != 0 {
				t.Errorf("journals left = %d, want 0", len(stale))
			}
		})
	}
	// Validation comes before the store: a down store is not even asked.
	f.store.SetDown(true)
	if _, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 0))); !errors.As(err, new(*order.ValidationError)) {
		t.Errorf("PlaceOrder(invalid, store down) = %v, want a ValidationError", err)
	}
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t, order.WithIdempotencyWait(100*time.Millisecond))
	req := f.place(line(f.tea, 1))
	req.IdempotencyKey = "key-1"
	first, created, err := f.svc.PlaceOrder(f.ctx, req)
	if err != nil || !created {
		t.Fatalf("first = %v, created %v", err, created)
	}
	again, created, err := f.svc.PlaceOrder(f.ctx, req)
	if err != nil || created || again.ID != first.ID {
		t.Errorf("retry = %s created %v %v; want %s, not created", again.ID, created, err, first.ID)
	}
	if got := f.stock(t, f.tea.ID); got != 9 {
		t.Errorf("stock = %d, want 9 (one reservation)", got)
	}
	other := f.place(line(f.tea, 2))
	other.IdempotencyKey = "key-1"
	if _, _, err := f.svc.PlaceOrder(f.ctx, other); !errors.Is(err, order.ErrIdempotencyMismatch) {
		t.Errorf("same key, other request = %v, want ErrIdempotencyMismatch", err)
	}

	// A request with the key still reserving elsewhere: wait, then conflict.
	stuck := f.place(line(f.cup, 1))
	stuck.IdempotencyKey = "key-2"
	now := time.Now().UTC()
	if err := f.store.CreateOrder(f.ctx, order.Order{ID: order.NewID(now), Status: order.StatusReserving,
		IdempotencyKey: "key-2", RequestHash: stuck.Hash(), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.PlaceOrder(f.ctx, stuck); !errors.Is(err, order.ErrConflict) {
		t.Errorf("key still reserving = %v, want ErrConflict after the wait", err)
	}
}

func TestSetStatus(t *testing.T) {
	f := newFixture(t)
	o, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 1)))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		to      order.Status
		wantErr error
	}{
		{order.StatusShipped, order.ErrInvalidTransition},
		{order.StatusPaid, nil},
		{order.StatusPaid, order.ErrInvalidTransition},
		{order.StatusShipped, nil},
		{order.StatusCancelled, order.ErrInvalidTransition},
		{order.StatusDelivered, nil},
		{order.StatusPending, order.ErrInvalidTransition},
	}
	for _, s := range steps {
		got, err := f.svc.SetStatus(f.ctx, o.ID, s.to)
		if !errors.Is(err, s.wantErr) || (err == nil && got.Status != s.to) {
			t.Errorf("SetStatus(%s) = %s, %v; want err %v", s.to, got.Status, err, s.wantErr)
		}
	}
	if _, err := f.svc.SetStatus(f.ctx, o.ID, "reserving"); !errors.As(err, new(*order.ValidationError)) {
		t.Errorf("SetStatus(reserving) = %v, want a ValidationError", err)
	}
	if _, err := f.svc.SetStatus(f.ctx, "nope", order.StatusPaid); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("SetStatus(bad id) = %v, want ErrNotFound", err)
	}
	if got := f.stock(t, f.tea.ID); got != 9 {
		t.Errorf("stock of a delivered order = %d, want 9", got)
	}
}

func TestProductCRUD(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.CreateProduct(f.ctx, order.Product{SKU: "TEA", Name: "x", Currency: "EUR"}); !errors.Is(err, order.ErrConflict) {
		t.Errorf("CreateProduct(taken SKU) = %v, want ErrConflict", err)
	}
	name := "Black tea"
	p, err := f.svc.UpdateProduct(f.ctx, f.tea.ID, order.ProductPatch{Name: &name})
	if err != nil || p.Name != name || p.Stock != 10 || !p.UpdatedAt.After(f.tea.UpdatedAt.Add(-time.Millisecond)) {
		t.Errorf("UpdateProduct = %+v, %v", p, err)
	}
	if err := f.svc.DeleteProduct(f.ctx, f.tea.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetProduct(f.ctx, f.tea.ID); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("GetProduct(deleted) = %v, want ErrNotFound", err)
	}
	if err := f.svc.DeleteProduct(f.ctx, "bad"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("DeleteProduct(bad id) = %v, want ErrNotFound", err)
	}
}

// TestCancelRacingPaid: a cancel whose conditional update loses to `paid`
// retries from the status now stored, where cancelling is still allowed;
// it never answers invalid_transition.
func TestCancelRacingPaid(t *testing.T) {
	t.Run("interleaved", func(t *testing.T) {
		mem := memstore.New()
		faulty := storetest.NewFaulty(mem)
		svc := order.NewService(faulty)
		f := &fixture{store: mem, ctx: context.Background(), svc: svc}
		p, err := svc.CreateProduct(f.ctx, order.Product{SKU: "T", Name: "T", PriceCents: 1, Currency: "EUR", Stock: 5})
		must(t, err)
		o, _, err := svc.PlaceOrder(f.ctx, f.place(line(p, 2)))
		must(t, err)
		// Just before the cancel's conditional update, `paid` lands.
		faulty.SetPlan(func(c storetest.Call) storetest.Fault {
			if c == (storetest.Call{Op: "SetOrderStatus", N: 0}) {
				if _, err := mem.SetOrderStatus(f.ctx, o.ID, order.StatusPending, order.StatusPaid, time.Now().UTC()); err != nil {
					t.Errorf("paid = %v", err)
				}
			}
			return storetest.NoFault
		})
		got, err := svc.CancelOrder(f.ctx, o.ID)
		if err != nil || got.Status != order.StatusCancelled || !got.StockReleased {
			t.Fatalf("CancelOrder racing paid = %s released %v, %v; want cancelled and released", got.Status, got.StockReleased, err)
		}
		if s := f.stock(t, p.ID); s != 5 {
			t.Errorf("stock = %d, want 5", s)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		f := newFixture(t)
		for i := range 200 {
			o, _, err := f.svc.PlaceOrder(f.ctx, f.place(line(f.tea, 1)))
			must(t, err)
			start := make(chan struct{})
			var cancelErr error
			var wg sync.WaitGroup
			wg.Go(func() { <-start; _, cancelErr = f.svc.CancelOrder(f.ctx, o.ID) })
			wg.Go(func() { <-start; _, _ = f.svc.SetStatus(f.ctx, o.ID, order.StatusPaid) })
			close(start)
			wg.Wait()
			if cancelErr != nil {
				t.Fatalf("race %d: CancelOrder = %v, want it to win from pending or paid", i, cancelErr)
			}
		}
		if got := f.stock(t, f.tea.ID); got != 10 {
			t.Errorf("tea stock after 200 cancelled orders = %d, want 10", got)
		}
	})
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// passOfN lets a Recover pass get through n reverts; the next one ends the
// pass (cancels its context), as a pass runs out of time on a slow
// database. Counting reverts instead of timing them keeps the test's
// outcome off the machine's load.
type passOfN struct {
	order.Store
	n, done    int
	cancelPass context.CancelFunc
}

func (s *passOfN) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	if s.done == s.n {
		s.cancelPass()
		<-ctx.Done()
		return fmt.Errorf("%w: %w", order.ErrUnavailable, ctx.Err())
	}
	s.done++
	return s.Store.RevertStock(ctx, productID, marker, delta)
}

// TestRecoverMakesProgress: a 50-line order left reserving, and Recover
// passes that each get through 16 reverts before their time runs out:
// each pass goes on where the last one stopped, reports the order stuck
// meanwhile, and the fourth rolls it back. A rollback that starts over
// each pass never ends.
func TestRecoverMakesProgress(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New()
	old := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	o := order.Order{ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"},
		Status: order.StatusReserving, Currency: "EUR", CreatedAt: old, UpdatedAt: old}
	for i := range order.MaxLines {
		p := order.Product{ID: order.NewID(old.Add(time.Duration(i+1) * time.Second)), SKU: fmt.Sprint("P", i), Name: "P",
			Currency: "EUR", Stock: 10, CreatedAt: old, UpdatedAt: old}
		must(t, mem.CreateProduct(ctx, p))
		o.Items = append(o.Items, order.LineItem{ProductID: p.ID, Quantity: 1})
	}
	must(t, mem.CreateOrder(ctx, o))
	for _, it := range o.Items {
		_, err := mem.ApplyStock(ctx, it.ProductID, order.ReservationMarker(o.ID, 1), -1)
		must(t, err)
	}
	const perPass = 16
	store := &passOfN{Store: mem, n: perPass}
	svc := order.NewService(store)
	want := (order.MaxLines + perPass - 1) / perPass // 4
	var passes int
	for passes = 1; passes <= 2*want; passes++ {
		pctx, cancel := context.WithCancel(ctx)
		store.done, store.cancelPass = 0, cancel
		rep, _ := svc.Recover(pctx, time.Now().Add(time.Hour))
		cancel()
		if rep.RolledBack == 1 {
			if len(rep.Stuck) != 0 {
				t.Errorf("pass %d rolled the order back but reports %v stuck", passes, rep.Stuck)
			}
			break
		}
		if len(rep.Stuck) != 1 || rep.Stuck[0].OrderID != o.ID {
			t.Errorf("pass %d: stuck = %v, want the order %s", passes, rep.Stuck, o.ID)
		}
	}
	if passes > 2*want {
		t.Fatalf("not rolled back after %d passes of %d reverts (%d lines): progress is not kept", passes-1, perPass, order.MaxLines)
	}
	if passes != want {
		t.Errorf("rolled back in pass %d, want %d (%d lines, %d reverts a pass)", passes, want, order.MaxLines, perPass)
	}
	if _, err := mem.GetOrder(ctx, o.ID); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order after Recover: %v, want deleted", err)
	}
	for _, it := range o.Items {
		if p, _ := mem.GetProduct(ctx, it.ProductID); p.Stock != 10 {
			t.Fatalf("product %s stock = %d, want 10", it.ProductID, p.Stock)
		}
	}
}
