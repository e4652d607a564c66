package storetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// ProtocolEnv is what a ProtocolCase runs on: a Service whose store calls
// can fail (through a Faulty wrapper, or a fault-injecting proxy), and the
// same store reached directly, for setting up and checking.
type ProtocolEnv struct {
	Direct order.Store
	Svc    *order.Service
	// Healer is a replica on Direct: it heals and retries once the faults
	// are over, as another pod on a sound connection would.
	Healer   *order.Service
	Tea, Cup order.Product
	Initial  map[string]int64
}

// NewProtocolEnv creates two products with 10 units each through direct.
func NewProtocolEnv(tb testing.TB, direct order.Store, svc *order.Service) *ProtocolEnv {
	tb.Helper()
	e := &ProtocolEnv{Direct: direct, Svc: svc, Healer: order.NewService(direct), Initial: map[string]int64{}}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i, p := range []*order.Product{&e.Tea, &e.Cup} {
		sku := []string{"TEA", "CUP"}[i]
		*p = order.Product{ID: order.NewID(now.Add(time.Duration(i) * time.Millisecond)), SKU: sku, Name: sku,
			PriceCents: 100, Currency: "EUR", Stock: 10, CreatedAt: now, UpdatedAt: now}
		must(tb, direct.CreateProduct(context.Background(), *p))
		e.Initial[p.ID] = 10
	}
	return e
}

func (e *ProtocolEnv) request(key string, teaQty, cupQty int64) order.PlaceOrder {
	return order.PlaceOrder{
		Customer:       order.Customer{Name: "Ada", Email: "ada@example.com"},
		Lines:          []order.OrderLine{{ProductID: e.Tea.ID, Quantity: teaQty}, {ProductID: e.Cup.ID, Quantity: cupQty}},
		IdempotencyKey: key,
	}
}

// ProtocolCase is one use case of the reservation protocol, to be run with
// one fault on one of its store calls.
type ProtocolCase struct {
	Name string
	// Setup prepares the store (without faults) and returns the id Run
	// acts on.
	Setup func(tb testing.TB, e *ProtocolEnv) string
	// Run is the client's call.
	Run func(ctx context.Context, e *ProtocolEnv, id string) (string, error)
}

// placed creates an order without faults (on the sound connection).
func placed(tb testing.TB, e *ProtocolEnv) string {
	tb.Helper()
	o, _, err := e.Healer.PlaceOrder(context.Background(), e.request("", 3, 2))
	must(tb, err)
	return o.ID
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// ProtocolCases: placing (enough stock, and too little for the second
// line), cancelling, marking paid, and Recover after crashes.
var ProtocolCases = []ProtocolCase{
	{
		Name:  "place",
		Setup: func(testing.TB, *ProtocolEnv) string { return "" },
		Run: func(ctx context.Context, e *ProtocolEnv, _ string) (string, error) {
			o, _, err := e.Svc.PlaceOrder(ctx, e.request("key-1", 3, 2))
			return o.ID, err
		},
	},
	{
		Name:  "place-insufficient",
		Setup: func(testing.TB, *ProtocolEnv) string { return "" },
		Run: func(ctx context.Context, e *ProtocolEnv, _ string) (string, error) {
			o, _, err := e.Svc.PlaceOrder(ctx, e.request("key-1", 3, 11))
			return o.ID, err
		},
	},
	{
		Name:  "cancel",
		Setup: placed,
		Run: func(ctx context.Context, e *ProtocolEnv, id string) (string, error) {
			o, err := e.Svc.CancelOrder(ctx, id)
			return o.ID, err
		},
	},
	{
		Name:  "paid",
		Setup: placed,
		Run: func(ctx context.Context, e *ProtocolEnv, id string) (string, error) {
			o, err := e.Svc.SetStatus(ctx, id, order.StatusPaid)
			return o.ID, err
		},
	},
	{
		// What crashes leave: an order reserving with one of its two lines
		// reserved, a cancelled order whose release stopped half-way, and
		// an orphaned reservation (its order rolled back before it landed).
		Name: "recover",
		Setup: func(tb testing.TB, e *ProtocolEnv) string {
			ctx := context.Background()
			old := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
			half := order.Order{ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"},
				Status: order.StatusReserving, Currency: "EUR", CreatedAt: old, UpdatedAt: old,
				Items: []order.LineItem{{ProductID: e.Tea.ID, Quantity: 2}, {ProductID: e.Cup.ID, Quantity: 1}}}
			must(tb, e.Direct.CreateOrder(ctx, half))
			must(tb, e.Direct.ApplyStock(ctx, e.Tea.ID, order.ReservationMarker(half.ID, 2), -2))

			id := placed(tb, e) // tea 3, cup 2
			o, err := e.Direct.SetOrderStatus(ctx, id, order.StatusPending, order.StatusCancelled, old)
			must(tb, err)
			must(tb, e.Direct.ApplyStock(ctx, e.Tea.ID, order.ReleaseMarker(o.ID, 3), 3))

			must(tb, e.Direct.ApplyStock(ctx, e.Cup.ID, order.ReservationMarker(order.NewID(old.Add(time.Second)), 4), -4))
			return ""
		},
		// Run's first result is how many entries Recover reported stuck.
		Run: func(ctx context.Context, e *ProtocolEnv, _ string) (string, error) {
			rep, err := e.Svc.Recover(ctx, time.Now().Add(-time.Minute))
			return strconv.Itoa(len(rep.Stuck)), err
		},
	},
}

// answer renders an error like the HTTP layer would.
func answer(err error) string {
	switch {
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

// Heal waits for the work the Service left running, then runs Recover
// twice with a cutoff past every lease; the second pass must find nothing
// left. Call it once faults are off and every delayed write has landed.
func (e *ProtocolEnv) Heal(t *testing.T) {
	t.Helper()
	e.Svc.Wait()
	future := time.Now().Add(24 * time.Hour)
	if _, err := e.Healer.Recover(context.Background(), future); err != nil {
		t.Fatalf("Recover = %v", err)
	}
	if rep, err := e.Healer.Recover(context.Background(), future); err != nil || rep.RolledBack+rep.Released+rep.Orphans+rep.Cleared > 0 || len(rep.Stuck) > 0 {
		t.Errorf("second Recover = %+v, %v; want nothing left to do", rep, err)
	}
}

// Outcome checks, after Heal, that the stock invariant holds and that the
// answer (gotID, err) Run gave is right for the state the store is in, and
// returns the outcome as docs/architecture.md tabulates it.
func (e *ProtocolEnv) Outcome(t *testing.T, pc ProtocolCase, id, gotID string, err error) string {
	t.Helper()
	e.CheckInvariant(t)
	ctx := context.Background()
	switch pc.Name {
	case "place", "place-insufficient":
		var o order.Order
		var oerr error
		if err == nil {
			o, oerr = e.Direct.GetOrder(ctx, gotID)
		} else {
			o, oerr = e.Direct.GetOrderByIdempotencyKey(ctx, "key-1")
		}
		switch {
		case err == nil && (oerr != nil || o.Status != order.StatusPending):
			t.Errorf("PlaceOrder = 201 %s, but the order is %s, %v", gotID, o.Status, oerr)
		case err == nil:
			return "201"
		case pc.Name == "place" && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder with a fault = %v, want an unavailable (503) error", err)
		case pc.Name == "place-insufficient" && !errors.Is(err, order.ErrInsufficientStock) && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder(too many) with a fault = %v, want 409 insufficient_stock or 503", err)
		case oerr == nil:
			// Answered 5xx but placed: the client's retry with its key
			// gets the order.
			again, created, rerr := e.Healer.PlaceOrder(ctx, e.request("key-1", 3, map[string]int64{"place": 2, "place-insufficient": 11}[pc.Name]))
			if rerr != nil || created || again.ID != o.ID {
				t.Errorf("retry with the key = %s created %v %v; want the order %s", again.ID, created, rerr, o.ID)
			}
			return answer(err) + ", placed (retry: 200)"
		case !errors.Is(oerr, order.ErrNotFound):
			t.Errorf("GetOrderByIdempotencyKey = %v", oerr)
		}
		return answer(err) + ", rolled back"
	case "cancel", "paid":
		want := map[string]order.Status{"cancel": order.StatusCancelled, "paid": order.StatusPaid}[pc.Name]
		o, oerr := e.Direct.GetOrder(ctx, id)
		if oerr != nil {
			t.Fatalf("GetOrder = %v", oerr)
		}
		switch {
		case err == nil && o.Status != want:
			t.Errorf("%s = 200, but the order is %s", pc.Name, o.Status)
		case err != nil && !order.MaybeApplied(err):
			t.Errorf("%s with a fault = %v, want 200 or 503 (never 409)", pc.Name, err)
		case err == nil:
			return "200"
		case o.Status == want:
			return "503, applied"
		}
		return answer(err) + ", not applied"
	}
	if err != nil {
		return "pass failed, next pass repairs"
	}
	if gotID != "0" {
		return "stuck reported, next pass repairs"
	}
	return "repaired"
}

// CheckInvariant: stock = initial − Σ quantity over live orders, and no
// marker or half-done order left.
func (e *ProtocolEnv) CheckInvariant(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	live := map[string]int64{}
	all, err := e.Direct.ListOrders(ctx, order.OrderFilter{Limit: 100})
	must(t, err)
	for _, o := range all {
		if o.Status != order.StatusCancelled {
			for _, it := range o.Items {
				live[it.ProductID] += it.Quantity
			}
		}
	}
	for _, p := range []order.Product{e.Tea, e.Cup} {
		got, err := e.Direct.GetProduct(ctx, p.ID)
		must(t, err)
		if want := e.Initial[p.ID] - live[p.ID]; got.Stock != want {
			t.Errorf("%s stock = %d, want %d (initial %d − %d in live orders)", p.SKU, got.Stock, want, e.Initial[p.ID], live[p.ID])
		}
	}
	marked, err := e.Direct.ListMarkedProducts(ctx, "", 10)
	must(t, err)
	if len(marked) > 0 {
		t.Errorf("markers after Recover = %v, want none", marked)
	}
	stale, err := e.Direct.ListStaleOrders(ctx, time.Now().Add(48*time.Hour), "", 10)
	must(t, err)
	if len(stale) > 0 {
		var ids []string
		for _, o := range stale {
			ids = append(ids, o.ID+" "+string(o.Status))
		}
		slices.Sort(ids)
		t.Errorf("half-done orders after Recover: %v", ids)
	}
}
