package order_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// protocolCase is one use case of the reservation protocol, run with one
// fault on one of its store calls.
type protocolCase struct {
	name string
	// setup prepares the store (without faults) and returns what run acts on.
	setup func(tb testing.TB, f *protoFixture) string
	// run is the client's call; it returns the answer, as HTTP would.
	run func(ctx context.Context, f *protoFixture, id string) (string, error)
}

type protoFixture struct {
	mem      *memstore.Store
	faulty   *storetest.Faulty
	svc      *order.Service
	tea, cup order.Product
	initial  map[string]int64
}

const (
	protoLease       = time.Minute
	protoCallTimeout = 50 * time.Millisecond
)

func newProtoFixture(tb testing.TB) *protoFixture {
	tb.Helper()
	f := &protoFixture{mem: memstore.New(), initial: map[string]int64{}}
	f.faulty = storetest.NewFaulty(f.mem)
	f.faulty.LateDelay = 5 * time.Millisecond
	f.svc = order.NewService(f.faulty, order.WithLease(protoLease), order.WithCallTimeout(protoCallTimeout),
		order.WithIdempotencyWait(20*time.Millisecond))
	ctx := context.Background()
	for _, p := range []*order.Product{&f.tea, &f.cup} {
		sku := map[*order.Product]string{&f.tea: "TEA", &f.cup: "CUP"}[p]
		var err error
		*p, err = f.svc.CreateProduct(ctx, order.Product{SKU: sku, Name: sku, PriceCents: 100, Currency: "EUR", Stock: 10})
		if err != nil {
			tb.Fatal(err)
		}
		f.initial[p.ID] = 10
	}
	return f
}

func (f *protoFixture) request(key string, teaQty, cupQty int64) order.PlaceOrder {
	return order.PlaceOrder{
		Customer:       order.Customer{Name: "Ada", Email: "ada@example.com"},
		Lines:          []order.OrderLine{{ProductID: f.tea.ID, Quantity: teaQty}, {ProductID: f.cup.ID, Quantity: cupQty}},
		IdempotencyKey: key,
	}
}

// answer renders a result like the HTTP layer would.
func answer(ok string, err error) string {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, order.ErrInsufficientStock):
		return "409 insufficient_stock"
	case errors.Is(err, order.ErrInvalidTransition):
		return "409 invalid_transition"
	case errors.Is(err, order.ErrConflict):
		return "409 conflict"
	case errors.Is(err, order.ErrNotFound):
		return "404"
	}
	return "503"
}

// placed creates an order without faults.
func placed(tb testing.TB, f *protoFixture) string {
	tb.Helper()
	o, _, err := f.svc.PlaceOrder(context.Background(), f.request("", 3, 2))
	if err != nil {
		tb.Fatal(err)
	}
	return o.ID
}

var protocolCases = []protocolCase{
	{
		name:  "place",
		setup: func(testing.TB, *protoFixture) string { return "" },
		run: func(ctx context.Context, f *protoFixture, _ string) (string, error) {
			o, _, err := f.svc.PlaceOrder(ctx, f.request("key-1", 3, 2))
			return o.ID, err
		},
	},
	{
		name:  "place-insufficient",
		setup: func(testing.TB, *protoFixture) string { return "" },
		run: func(ctx context.Context, f *protoFixture, _ string) (string, error) {
			o, _, err := f.svc.PlaceOrder(ctx, f.request("key-1", 3, 11))
			return o.ID, err
		},
	},
	{
		name:  "cancel",
		setup: placed,
		run: func(ctx context.Context, f *protoFixture, id string) (string, error) {
			o, err := f.svc.CancelOrder(ctx, id)
			return o.ID, err
		},
	},
	{
		name:  "paid",
		setup: placed,
		run: func(ctx context.Context, f *protoFixture, id string) (string, error) {
			o, err := f.svc.SetStatus(ctx, id, order.StatusPaid)
			return o.ID, err
		},
	},
	{
		// What crashes leave: an order reserving with one of its two lines
		// reserved, a cancelled order whose release stopped half-way, and
		// an orphaned reservation (its order rolled back before it landed).
		name: "recover",
		setup: func(tb testing.TB, f *protoFixture) string {
			ctx := context.Background()
			old := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
			half := order.Order{ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"},
				Status: order.StatusReserving, Currency: "EUR", CreatedAt: old, UpdatedAt: old,
				Items: []order.LineItem{{ProductID: f.tea.ID, Quantity: 2}, {ProductID: f.cup.ID, Quantity: 1}}}
			must(tb, f.mem.CreateOrder(ctx, half))
			must(tb, f.mem.ApplyStock(ctx, f.tea.ID, order.ReservationMarker(half.ID, 2), -2))

			id := placed(tb, f) // tea 3, cup 2
			o, err := f.mem.SetOrderStatus(ctx, id, order.StatusPending, order.StatusCancelled, old)
			must(tb, err)
			must(tb, f.mem.ApplyStock(ctx, f.tea.ID, order.ReleaseMarker(o.ID, 3), 3))

			must(tb, f.mem.ApplyStock(ctx, f.cup.ID, order.ReservationMarker(order.NewID(old.Add(time.Second)), 4), -4))
			return ""
		},
		run: func(ctx context.Context, f *protoFixture, _ string) (string, error) {
			_, err := f.svc.Recover(ctx, time.Now().Add(-time.Minute))
			return "", err
		},
	},
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// hangUp is the client hanging up just before the call: not a store fault,
// but run in the same table.
const hangUp = storetest.Fault(-1)

// TestProtocolFaults runs every use case with each fault on each of its
// store calls, one at a time, then heals (faults off, late writes landed,
// Recover) and checks the invariant and the client's answer. The
// outcomes are logged as the table docs/architecture.md shows.
func TestProtocolFaults(t *testing.T) {
	faults := append([]storetest.Fault{hangUp}, storetest.Faults...)
	for _, pc := range protocolCases {
		// A clean run tells which calls the use case makes.
		f := newProtoFixture(t)
		id := pc.setup(t, f)
		f.faulty.SetPlan(nil)
		if _, err := pc.run(context.Background(), f, id); err != nil && !errors.Is(err, order.ErrInsufficientStock) {
			t.Fatalf("%s without faults = %v", pc.name, err)
		}
		calls := f.faulty.Calls()
		var table []string
		for _, call := range calls {
			row := fmt.Sprintf("%-26s", fmt.Sprintf("%s #%d", call.Op, call.N))
			for _, flt := range faults {
				name := fmt.Sprintf("%s/%s#%d/%s", pc.name, call.Op, call.N, faultName(flt))
				var got string
				t.Run(name, func(t *testing.T) { got = runProtocolCase(t, pc, call, flt) })
				row += fmt.Sprintf(" | %-28s", got)
			}
			table = append(table, row)
		}
		t.Logf("%s: call × (%s)\n%s", pc.name, strings.Join(faultNames(faults), ", "), strings.Join(table, "\n"))
	}
}

func faultName(f storetest.Fault) string {
	if f == hangUp {
		return "hang-up"
	}
	return f.String()
}

func faultNames(fs []storetest.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, faultName(f))
	}
	return out
}

// runProtocolCase runs pc with flt on call and returns the outcome.
func runProtocolCase(t *testing.T, pc protocolCase, call storetest.Call, flt storetest.Fault) string {
	f := newProtoFixture(t)
	id := pc.setup(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	f.faulty.SetPlan(func(c storetest.Call) storetest.Fault {
		if c != call {
			return storetest.NoFault
		}
		if flt == hangUp {
			cancel()
			return storetest.NoFault
		}
		return flt
	})
	gotID, err := pc.run(ctx, f, id)
	if gotID != "" {
		id = gotID
	}

	// Heal: no more faults, every late write landed, Recover run (twice:
	// the second must find nothing).
	f.faulty.SetPlan(nil)
	f.faulty.Settle()
	future := time.Now().Add(protoLease + time.Hour)
	if _, err := f.svc.Recover(context.Background(), future); err != nil {
		t.Fatalf("Recover = %v", err)
	}
	if rep, err := f.svc.Recover(context.Background(), future); err != nil || rep.RolledBack+rep.Released+rep.Orphans+rep.Cleared > 0 || len(rep.Stuck) > 0 {
		t.Errorf("second Recover = %+v, %v; want nothing left to do", rep, err)
	}
	checkInvariant(t, f)

	ctxb := context.Background()
	switch pc.name {
	case "place", "place-insufficient":
		var o order.Order
		var oerr error
		if err == nil {
			o, oerr = f.mem.GetOrder(ctxb, gotID)
		} else {
			o, oerr = f.mem.GetOrderByIdempotencyKey(ctxb, "key-1")
		}
		switch {
		case err == nil && (oerr != nil || o.Status != order.StatusPending):
			t.Errorf("PlaceOrder = 201 %s, but the order is %s, %v", gotID, o.Status, oerr)
		case err == nil:
			return "201"
		case pc.name == "place" && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder with a fault = %v, want an unavailable (503) error", err)
		case pc.name == "place-insufficient" && !errors.Is(err, order.ErrInsufficientStock) && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder(too many) with a fault = %v, want 409 insufficient_stock or 503", err)
		case oerr == nil:
			// Answered 5xx but placed: the client's retry with its key
			// gets the order.
			again, created, rerr := f.svc.PlaceOrder(ctxb, f.request("key-1", 3, map[string]int64{"place": 2, "place-insufficient": 11}[pc.name]))
			if rerr != nil || created || again.ID != o.ID {
				t.Errorf("retry with the key = %s created %v %v; want the order %s", again.ID, created, rerr, o.ID)
			}
			return answer("", err) + ", placed (retry: 200)"
		case !errors.Is(oerr, order.ErrNotFound):
			t.Errorf("GetOrderByIdempotencyKey = %v", oerr)
		}
		return answer("", err) + ", rolled back"
	case "cancel", "paid":
		want := map[string]order.Status{"cancel": order.StatusCancelled, "paid": order.StatusPaid}[pc.name]
		o, oerr := f.mem.GetOrder(ctxb, id)
		if oerr != nil {
			t.Fatalf("GetOrder = %v", oerr)
		}
		switch {
		case err == nil && o.Status != want:
			t.Errorf("%s = 200, but the order is %s", pc.name, o.Status)
		case err != nil && !order.MaybeApplied(err):
			t.Errorf("%s with a fault = %v, want 200 or 503 (never 409)", pc.name, err)
		case err == nil:
			return "200"
		case o.Status == want:
			return "503, applied"
		}
		return answer("", err) + ", not applied"
	}
	return answer("ok", err)
}

// checkInvariant: stock = initial − Σ quantity over live orders, no marker
// and no half-done order left.
func checkInvariant(t *testing.T, f *protoFixture) {
	t.Helper()
	ctx := context.Background()
	live := map[string]int64{}
	all, err := f.mem.ListOrders(ctx, order.OrderFilter{Limit: 1000})
	must(t, err)
	for _, o := range all {
		if o.Status != order.StatusCancelled {
			for _, it := range o.Items {
				live[it.ProductID] += it.Quantity
			}
		}
	}
	for _, p := range []order.Product{f.tea, f.cup} {
		got, err := f.mem.GetProduct(ctx, p.ID)
		must(t, err)
		if want := f.initial[p.ID] - live[p.ID]; got.Stock != want {
			t.Errorf("%s stock = %d, want %d (initial %d − %d in live orders)", p.SKU, got.Stock, want, f.initial[p.ID], live[p.ID])
		}
		if m := f.mem.Markers(p.ID); len(m) > 0 {
			t.Errorf("%s markers after Recover = %v, want none", p.SKU, m)
		}
	}
	stale, err := f.mem.ListStaleOrders(ctx, time.Now().Add(2*time.Hour), "", 10)
	must(t, err)
	if len(stale) > 0 {
		t.Errorf("half-done orders after Recover: %v", slices.Collect(func(yield func(string) bool) {
			for _, o := range stale {
				if !yield(o.ID + " " + string(o.Status)) {
					return
				}
			}
		}))
	}
}
