// Package serial wraps an order.Store so that one call runs at a time.
//
// FerretDB 1.x implements an update as read-modify-write without a lock,
// so two concurrent conditional updates of one product can both succeed
// and one of them is lost (measured: 62 of 100 racing reservations won on
// 10 units). The local runner puts its MongoDB adapter behind this
// decorator; production talks to MongoDB, whose updates are atomic, and
// uses the adapter as is.
//
// One at a time means at the database, not only in this process: a call
// runs to its end even when its caller stops waiting. The driver abandons
// a command whose context is cancelled by closing its connection, and the
// server carries on with it beside whatever comes next on a new
// connection; so the wrapped call runs on a context the caller's
// cancellation and deadline do not reach (only the wrapped store's own
// timeout bounds it), and the next call waits for it.
package serial

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Store is an order.Store that runs the calls of the wrapped store one at
// a time. The caller's context bounds its wait, for the turn and for the
// answer; the call itself, once started, is bounded only by the wrapped
// store's own timeout, and holds the turn until it returns.
type Store struct {
	next order.Store
	turn chan struct{} // holds one token while a call runs
}

var _ order.Store = (*Store)(nil)

// New returns next behind a one-at-a-time gate.
func New(next order.Store) *Store {
	return &Store{next: next, turn: make(chan struct{}, 1)}
}

// acquire waits for the turn or for ctx to end. A wait cut short is
// order.ErrUnavailable (the API answers 503), wrapping the context's error;
// so is a turn that came when ctx had ended already: no call starts for a
// caller that has left.
func (s *Store) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.turn <- struct{}{}:
		if ctx.Err() == nil {
			return func() { <-s.turn }, nil
		}
		<-s.turn
	case <-ctx.Done():
	}
	return nil, fmt.Errorf("%w: waiting for the store: %w", order.ErrUnavailable, ctx.Err())
}

// do runs f alone (see get).
func do(ctx context.Context, s *Store, f func(context.Context) error) error {
	_, err := get(ctx, s, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

// get runs f alone and returns its value. f gets ctx without its
// cancellation and deadline, and keeps the turn until it returns. If ctx
// ends first, get returns at once with order.ErrUnavailable wrapping the
// context's error, like a database that did not answer in time: the call
// may yet be applied (order.MaybeApplied), but before any later call of
// this Store starts. A panic in f is raised in the caller, as if f had run
// there; once the caller has gone, in f's own goroutine.
func get[T any](ctx context.Context, s *Store, f func(context.Context) (T, error)) (T, error) {
	var zero T
	release, err := s.acquire(ctx)
	if err != nil {
		return zero, err
	}
	if ctx.Done() == nil { // nothing can end it early: no need to wait apart
		defer release()
		return f(ctx)
	}
	type result struct {
		v      T
		err    error
		panicV any
	}
	var (
		mu      sync.Mutex
		waiting = true
		done    = make(chan result, 1)
	)
	go func() {
		defer release()
		var r result
		func() {
			defer func() { r.panicV = recover() }()
			r.v, r.err = f(context.WithoutCancel(ctx))
		}()
		mu.Lock()
		defer mu.Unlock()
		if waiting {
			done <- r // buffered
		} else if r.panicV != nil {
			panic(r.panicV)
		}
	}()
	answer := func(r result) (T, error) {
		if r.panicV != nil {
			panic(r.panicV)
		}
		return r.v, r.err
	}
	select {
	case r := <-done:
		return answer(r)
	case <-ctx.Done():
		mu.Lock()
		waiting = false
		mu.Unlock()
		select {
		case r := <-done: // finished meanwhile: its answer is the truth
			return answer(r)
		default:
		}
		return zero, fmt.Errorf("%w: the store is still at work on the call: %w", order.ErrUnavailable, ctx.Err())
	}
}

func (s *Store) Ping(ctx context.Context) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.Ping(ctx) })
}

func (s *Store) CreateProduct(ctx context.Context, p order.Product) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.CreateProduct(ctx, p) })
}

func (s *Store) GetProduct(ctx context.Context, id string) (order.Product, error) {
	return get(ctx, s, func(ctx context.Context) (order.Product, error) { return s.next.GetProduct(ctx, id) })
}

func (s *Store) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	return get(ctx, s, func(ctx context.Context) ([]order.Product, error) { return s.next.ListProducts(ctx, after, limit) })
}

func (s *Store) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	return get(ctx, s, func(ctx context.Context) (order.Product, error) { return s.next.UpdateProduct(ctx, id, patch, now) })
}

func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.DeleteProduct(ctx, id) })
}

func (s *Store) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	return get(ctx, s, func(ctx context.Context) (order.Product, error) {
		return s.next.ApplyStock(ctx, productID, marker, delta)
	})
}

func (s *Store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.RevertStock(ctx, productID, marker, delta) })
}

func (s *Store) ClearMarkers(ctx context.Context, productID string, markers []string) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.ClearMarkers(ctx, productID, markers) })
}

func (s *Store) CreateOrder(ctx context.Context, o order.Order) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.CreateOrder(ctx, o) })
}

func (s *Store) GetOrder(ctx context.Context, id string) (order.Order, error) {
	return get(ctx, s, func(ctx context.Context) (order.Order, error) { return s.next.GetOrder(ctx, id) })
}

func (s *Store) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	return get(ctx, s, func(ctx context.Context) (order.Order, error) { return s.next.GetOrderByIdempotencyKey(ctx, key) })
}

func (s *Store) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	return get(ctx, s, func(ctx context.Context) ([]order.OrderState, error) { return s.next.OrderStates(ctx, ids) })
}

func (s *Store) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	return get(ctx, s, func(ctx context.Context) ([]order.Order, error) { return s.next.ListOrders(ctx, f) })
}

func (s *Store) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	return get(ctx, s, func(ctx context.Context) ([]order.Order, error) {
		return s.next.ListStaleOrders(ctx, cutoff, after, limit)
	})
}

func (s *Store) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	return get(ctx, s, func(ctx context.Context) ([]order.ProductMarkers, error) {
		return s.next.ListMarkedProducts(ctx, after, limit)
	})
}

func (s *Store) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	return get(ctx, s, func(ctx context.Context) (order.Order, error) { return s.next.ClaimOrder(ctx, id, from, seen, to, now) })
}

func (s *Store) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	return get(ctx, s, func(ctx context.Context) (order.Order, error) { return s.next.ConfirmOrder(ctx, o, seen, now) })
}

func (s *Store) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	return get(ctx, s, func(ctx context.Context) (order.Order, error) { return s.next.SetOrderStatus(ctx, id, from, to, now) })
}

func (s *Store) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.MarkStockReleased(ctx, id, now) })
}

func (s *Store) DeleteOrder(ctx context.Context, id string) error {
	return do(ctx, s, func(ctx context.Context) error { return s.next.DeleteOrder(ctx, id) })
}
