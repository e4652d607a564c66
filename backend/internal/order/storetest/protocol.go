package storetest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
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
	Healer *order.Service
	// Tea and Cup are in EUR, Mug in USD.
	Tea, Cup, Mug order.Product
	Initial       map[string]int64
}

// NewProtocolEnv creates three products with 10 units each through
// direct: TEA (1.00 EUR), CUP (2.00 EUR) and MUG (3.00 USD).
func NewProtocolEnv(tb testing.TB, direct order.Store, svc *order.Service) *ProtocolEnv {
	tb.Helper()
	e := &ProtocolEnv{Direct: direct, Svc: svc, Healer: order.NewService(direct), Initial: map[string]int64{}}
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i, p := range []*order.Product{&e.Tea, &e.Cup, &e.Mug} {
		sku := []string{"TEA", "CUP", "MUG"}[i]
		*p = order.Product{ID: order.NewID(now.Add(time.Duration(i) * time.Millisecond)), SKU: sku, Name: "Product " + sku,
			PriceCents: int64(100 * (i + 1)), Currency: []string{"EUR", "EUR", "USD"}[i], Stock: 10, CreatedAt: now, UpdatedAt: now}
		must(tb, direct.CreateProduct(context.Background(), *p))
		e.Initial[p.ID] = 10
	}
	return e
}

// Expected tells whether err is an answer a use case may give without
// faults: none, too little stock, or a validation error.
func Expected(err error) bool {
	return err == nil || errors.Is(err, order.ErrInsufficientStock) || errors.As(err, new(*order.ValidationError))
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
	e.Healer.Wait() // its markers swept: the case starts from a quiet store
	return o.ID
}

func mustApply(tb testing.TB, s order.Store, productID, marker string, delta int64) {
	tb.Helper()
	_, err := s.ApplyStock(context.Background(), productID, marker, delta)
	must(tb, err)
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// ProtocolCases: placing (enough stock, too little for the second line,
// and products in two currencies, found out only once both are reserved),
// cancelling, marking paid, and Recover after crashes.
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
		Name:  "place-mixed-currency",
		Setup: func(testing.TB, *ProtocolEnv) string { return "" },
		Run: func(ctx context.Context, e *ProtocolEnv, _ string) (string, error) {
			req := e.request("key-1", 3, 1)
			req.Lines[1].ProductID = e.Mug.ID
			o, _, err := e.Svc.PlaceOrder(ctx, req)
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
		// an orphaned reservation (its order rolled back before it landed);
		// and what placing leaves: the reservation markers of an order
		// placed a lease ago, which Recover clears.
		Name: "recover",
		Setup: func(tb testing.TB, e *ProtocolEnv) string {
			ctx := context.Background()
			old := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
			// Placed by a process that died before its marker sweep.
			then := order.NewService(e.Direct, order.WithClock(func() time.Time { return old.Add(-time.Minute) }), order.WithMarkerSweep(-1))
			_, _, err := then.PlaceOrder(ctx, e.request("", 1, 1))
			must(tb, err)
			half := order.Order{ID: order.NewID(old), Customer: order.Customer{Name: "A", Email: "a@example.com"},
				Status: order.StatusReserving, Currency: "EUR", CreatedAt: old, UpdatedAt: old,
				Items: []order.LineItem{{ProductID: e.Tea.ID, Quantity: 2}, {ProductID: e.Cup.ID, Quantity: 1}}}
			must(tb, e.Direct.CreateOrder(ctx, half))
			mustApply(tb, e.Direct, e.Tea.ID, order.ReservationMarker(half.ID, 2), -2)

			id := placed(tb, e) // tea 3, cup 2
			o, err := e.Direct.SetOrderStatus(ctx, id, order.StatusPending, order.StatusCancelled, old)
			must(tb, err)
			mustApply(tb, e.Direct, e.Tea.ID, order.ReleaseMarker(o.ID, 3), 3)

			mustApply(tb, e.Direct, e.Cup.ID, order.ReservationMarker(order.NewID(old.Add(time.Second)), 4), -4)
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
	case errors.As(err, new(*order.ValidationError)):
		return "400 validation_failed"
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
	case "place", "place-insufficient", "place-mixed-currency":
		var o order.Order
		var oerr error
		if err == nil {
			o, oerr = e.Direct.GetOrder(ctx, gotID)
		} else {
			o, oerr = e.Direct.GetOrderByIdempotencyKey(ctx, "key-1")
		}
		if oerr == nil {
			e.checkPriced(t, o)
		}
		switch {
		case err == nil && (oerr != nil || o.Status != order.StatusPending):
			t.Errorf("PlaceOrder = 201 %s, but the order is %s, %v", gotID, o.Status, oerr)
		case err == nil && pc.Name == "place-mixed-currency":
			t.Errorf("PlaceOrder(two currencies) = 201 %s, want 400 validation_failed", gotID)
		case err == nil:
			return "201"
		case pc.Name == "place" && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder with a fault = %v, want an unavailable (503) error", err)
		case pc.Name == "place-insufficient" && !errors.Is(err, order.ErrInsufficientStock) && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder(too many) with a fault = %v, want 409 insufficient_stock or 503", err)
		case pc.Name == "place-mixed-currency" && !errors.As(err, new(*order.ValidationError)) && !order.MaybeApplied(err):
			t.Errorf("PlaceOrder(two currencies) with a fault = %v, want 400 validation_failed or 503", err)
		case oerr == nil && pc.Name == "place-mixed-currency":
			t.Errorf("PlaceOrder(two currencies) = %v, but the order %s is %s", err, o.ID, o.Status)
		case oerr == nil:
			// Answered 5xx but placed: the client's retry with its key
			// gets the order.
			again, created, rerr := e.Healer.PlaceOrder(ctx, e.request("key-1", 3, map[string]int64{"place": 2, "place-insufficient": 11}[pc.Name]))
			if rerr != nil || created || again.ID != o.ID || !slices.Equal(again.Items, o.Items) {
				t.Errorf("retry with the key = %+v created %v %v; want the order %+v", again, created, rerr, o)
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

// checkPriced checks that a placed order carries the lines, currency and
// total its confirmation wrote, priced from the products (the journal has
// product ids and quantities only).
func (e *ProtocolEnv) checkPriced(t *testing.T, o order.Order) {
	t.Helper()
	if o.Status == order.StatusReserving {
		return
	}
	byID := map[string]order.Product{e.Tea.ID: e.Tea, e.Cup.ID: e.Cup, e.Mug.ID: e.Mug}
	var total int64
	for _, it := range o.Items {
		p := byID[it.ProductID]
		want := order.LineItem{ProductID: p.ID, SKU: p.SKU, Name: p.Name, Quantity: it.Quantity,
			UnitPriceCents: p.PriceCents, LineTotalCents: p.PriceCents * it.Quantity}
		if it != want {
			t.Errorf("order %s line = %+v, want %+v", o.ID, it, want)
		}
		total += want.LineTotalCents
	}
	if o.Currency != "EUR" || o.TotalCents != total {
		t.Errorf("order %s = %s %d, want EUR %d", o.ID, o.Currency, o.TotalCents, total)
	}
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
	for _, p := range []order.Product{e.Tea, e.Cup, e.Mug} {
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

// Workers runs subtests from goroutines, at most n at a time: the protocol
// table's cases mostly wait (timeouts, late writes, a fault's delay), so
// they overlap well beyond the cores that bound t.Parallel subtests
// (-parallel).
type Workers struct {
	slots chan struct{}
	wg    sync.WaitGroup
	then  []func()
}

// NewWorkers returns Workers with n slots.
func NewWorkers(n int) *Workers { return &Workers{slots: make(chan struct{}, n)} }

// Run starts t.Run(name, f) in a goroutine once a slot is free.
func (w *Workers) Run(t *testing.T, name string, f func(*testing.T)) {
	w.wg.Go(func() {
		w.slots <- struct{}{}
		defer func() { <-w.slots }()
		t.Run(name, f)
	})
}

// Then has Wait call f once every subtest has ended (a table of their
// results, say), in the order of the Then calls.
func (w *Workers) Then(f func()) { w.then = append(w.then, f) }

// Wait returns once every subtest Run started has ended, and each Then
// function has run. Deferred, it also waits when a Fatal ends the test
// early.
func (w *Workers) Wait() {
	w.wg.Wait()
	for _, f := range w.then {
		f()
	}
}
