package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Fault is what happens to one store call in a Faulty store.
type Fault int

// The faults a database connection can show. Each keeps the store's own
// atomicity: a call is applied entirely or not at all.
const (
	// NoFault: the call goes through.
	NoFault Fault = iota
	// Refuse: nothing is applied and the call fails at once, as when the
	// connection is reset before the request reaches the database.
	Refuse
	// LoseReply: the call is made, then fails as if the reply were lost
	// (whatever the reply said).
	LoseReply
	// ApplyLate: the call fails at once as if it timed out, and is applied
	// Faulty.LateDelay later: a slow database that carries on after its
	// client gave up.
	ApplyLate
	// BlackHole: nothing is applied and the call blocks until its context
	// ends.
	BlackHole
)

func (f Fault) String() string {
	return [...]string{"none", "refuse", "lose-reply", "apply-late", "black-hole"}[f]
}

// Faults lists every fault but NoFault.
var Faults = []Fault{Refuse, LoseReply, ApplyLate, BlackHole}

// Call identifies one call to a Faulty store: the method and how many
// calls of it came before (from 0).
type Call struct {
	Op string
	N  int
}

// Faulty wraps a Store and injects faults into its calls as Plan decides.
// It is safe for concurrent use.
type Faulty struct {
	store order.Store
	// LateDelay is how long an ApplyLate call waits before it is applied.
	LateDelay time.Duration

	mu     sync.Mutex
	plan   func(Call) Fault
	counts map[string]int
	log    []Call
	late   sync.WaitGroup
}

var _ order.Store = (*Faulty)(nil)

// NewFaulty wraps s; no faults until SetPlan.
func NewFaulty(s order.Store) *Faulty {
	return &Faulty{store: s, LateDelay: 20 * time.Millisecond, counts: map[string]int{}}
}

// SetPlan installs plan (nil: no faults) and resets the call counts.
func (f *Faulty) SetPlan(plan func(Call) Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan, f.counts, f.log = plan, map[string]int{}, nil
}

// Calls returns the calls made since the last SetPlan, in order.
func (f *Faulty) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.log...)
}

// RandomFaults are a Model's Faults and Heal on f: while the faults run,
// each call fails with one of Faults, picked by the model's rng, with
// probability percent/100; healing lets every late write land.
func (f *Faulty) RandomFaults(percent int) (faults func(*rand.Rand), heal func()) {
	faults = func(rng *rand.Rand) {
		var mu sync.Mutex // rng is not safe for concurrent use
		f.SetPlan(func(Call) Fault {
			mu.Lock()
			defer mu.Unlock()
			if rng.IntN(100) < percent {
				return Faults[rng.IntN(len(Faults))]
			}
			return NoFault
		})
	}
	heal = func() {
		f.SetPlan(nil)
		f.Settle()
	}
	return faults, heal
}

// Settle waits until every ApplyLate call has landed.
func (f *Faulty) Settle() { f.late.Wait() }

func (f *Faulty) fault(op string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Op: op, N: f.counts[op]}
	f.counts[op]++
	f.log = append(f.log, c)
	if f.plan == nil {
		return NoFault
	}
	return f.plan(c)
}

// run makes one call under the fault the plan picks for op. A late call's
// results are dropped, as a client that gave up never reads them.
func run[T any](f *Faulty, ctx context.Context, op string, call func(context.Context) (T, error)) (T, error) {
	var zero T
	switch f.fault(op) {
	case Refuse:
		return zero, fmt.Errorf("faulty %s: connection reset before sending: %w", op, order.ErrUnavailable)
	case LoseReply:
		_, _ = call(context.WithoutCancel(ctx))
		return zero, fmt.Errorf("faulty %s: reply lost: %w", op, order.ErrUnavailable)
	case ApplyLate:
		f.late.Add(1)
		go func() {
			defer f.late.Done()
			time.Sleep(f.LateDelay)
			_, _ = call(context.Background())
		}()
		return zero, fmt.Errorf("faulty %s: %w: %w", op, order.ErrUnavailable, context.DeadlineExceeded)
	case BlackHole:
		<-ctx.Done()
		return zero, fmt.Errorf("faulty %s: no answer: %w: %w", op, order.ErrUnavailable, ctx.Err())
	}
	return call(ctx)
}

// run0 is run for calls that return only an error.
func run0(f *Faulty, ctx context.Context, op string, call func(context.Context) error) error {
	_, err := run(f, ctx, op, func(ctx context.Context) (struct{}, error) { return struct{}{}, call(ctx) })
	return err
}

func (f *Faulty) Ping(ctx context.Context) error { return run0(f, ctx, "Ping", f.store.Ping) }

func (f *Faulty) CreateProduct(ctx context.Context, p order.Product) error {
	return run0(f, ctx, "CreateProduct", func(ctx context.Context) error { return f.store.CreateProduct(ctx, p) })
}

func (f *Faulty) GetProduct(ctx context.Context, id string) (order.Product, error) {
	return run(f, ctx, "GetProduct", func(ctx context.Context) (order.Product, error) { return f.store.GetProduct(ctx, id) })
}

func (f *Faulty) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	return run(f, ctx, "ListProducts", func(ctx context.Context) ([]order.Product, error) { return f.store.ListProducts(ctx, after, limit) })
}

func (f *Faulty) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	return run(f, ctx, "UpdateProduct", func(ctx context.Context) (order.Product, error) { return f.store.UpdateProduct(ctx, id, patch, now) })
}

func (f *Faulty) DeleteProduct(ctx context.Context, id string) error {
	return run0(f, ctx, "DeleteProduct", func(ctx context.Context) error { return f.store.DeleteProduct(ctx, id) })
}

func (f *Faulty) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	return run(f, ctx, "ApplyStock", func(ctx context.Context) (order.Product, error) {
		return f.store.ApplyStock(ctx, productID, marker, delta)
	})
}

func (f *Faulty) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	return run0(f, ctx, "RevertStock", func(ctx context.Context) error { return f.store.RevertStock(ctx, productID, marker, delta) })
}

func (f *Faulty) ClearMarkers(ctx context.Context, productID string, markers []string) error {
	return run0(f, ctx, "ClearMarkers", func(ctx context.Context) error { return f.store.ClearMarkers(ctx, productID, markers) })
}

func (f *Faulty) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	return run(f, ctx, "ListMarkedProducts", func(ctx context.Context) ([]order.ProductMarkers, error) {
		return f.store.ListMarkedProducts(ctx, after, limit)
	})
}

func (f *Faulty) CreateOrder(ctx context.Context, o order.Order) error {
	return run0(f, ctx, "CreateOrder", func(ctx context.Context) error { return f.store.CreateOrder(ctx, o) })
}

func (f *Faulty) GetOrder(ctx context.Context, id string) (order.Order, error) {
	return run(f, ctx, "GetOrder", func(ctx context.Context) (order.Order, error) { return f.store.GetOrder(ctx, id) })
}

func (f *Faulty) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	return run(f, ctx, "GetOrderByIdempotencyKey", func(ctx context.Context) (order.Order, error) {
		return f.store.GetOrderByIdempotencyKey(ctx, key)
	})
}

func (f *Faulty) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	return run(f, ctx, "OrderStates", func(ctx context.Context) ([]order.OrderState, error) { return f.store.OrderStates(ctx, ids) })
}

func (f *Faulty) ListOrders(ctx context.Context, flt order.OrderFilter) ([]order.Order, error) {
	return run(f, ctx, "ListOrders", func(ctx context.Context) ([]order.Order, error) { return f.store.ListOrders(ctx, flt) })
}

func (f *Faulty) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	return run(f, ctx, "ListStaleOrders", func(ctx context.Context) ([]order.Order, error) {
		return f.store.ListStaleOrders(ctx, cutoff, after, limit)
	})
}

func (f *Faulty) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	return run(f, ctx, "SetOrderStatus", func(ctx context.Context) (order.Order, error) {
		return f.store.SetOrderStatus(ctx, id, from, to, now)
	})
}

func (f *Faulty) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	return run(f, ctx, "ClaimOrder", func(ctx context.Context) (order.Order, error) {
		return f.store.ClaimOrder(ctx, id, from, seen, to, now)
	})
}

func (f *Faulty) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	return run(f, ctx, "ConfirmOrder", func(ctx context.Context) (order.Order, error) {
		return f.store.ConfirmOrder(ctx, o, seen, now)
	})
}

func (f *Faulty) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	return run0(f, ctx, "MarkStockReleased", func(ctx context.Context) error { return f.store.MarkStockReleased(ctx, id, now) })
}

func (f *Faulty) DeleteOrder(ctx context.Context, id string) error {
	return run0(f, ctx, "DeleteOrder", func(ctx context.Context) error { return f.store.DeleteOrder(ctx, id) })
}
