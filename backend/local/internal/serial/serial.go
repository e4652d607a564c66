// Package serial wraps an order.Store so that one call runs at a time.
//
// FerretDB 1.x implements an update as read-modify-write without a lock,
// so two concurrent conditional updates of one product can both succeed
// and one of them is lost (measured: 62 of 100 racing reservations won on
// 10 units). The local runner puts its MongoDB adapter behind this
// decorator; production talks to MongoDB, whose updates are atomic, and
// uses the adapter as is.
package serial

import (
	"context"
	"fmt"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Store is an order.Store that runs the calls of the wrapped store one at
// a time. Waiting for the turn is bounded by the caller's context only;
// once a call runs, the wrapped store's own timeout applies.
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
// order.ErrUnavailable (the API answers 503), wrapping the context's error.
func (s *Store) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.turn <- struct{}{}:
		return func() { <-s.turn }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the store: %w", order.ErrUnavailable, ctx.Err())
	}
}

// do runs f alone.
func do(ctx context.Context, s *Store, f func() error) error {
	release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return f()
}

// get runs f alone and returns its value.
func get[T any](ctx context.Context, s *Store, f func() (T, error)) (T, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return f()
}

func (s *Store) Ping(ctx context.Context) error {
	return do(ctx, s, func() error { return s.next.Ping(ctx) })
}

func (s *Store) CreateProduct(ctx context.Context, p order.Product) error {
	return do(ctx, s, func() error { return s.next.CreateProduct(ctx, p) })
}

func (s *Store) GetProduct(ctx context.Context, id string) (order.Product, error) {
	return get(ctx, s, func() (order.Product, error) { return s.next.GetProduct(ctx, id) })
}

func (s *Store) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	return get(ctx, s, func() ([]order.Product, error) { return s.next.ListProducts(ctx, after, limit) })
}

func (s *Store) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	return get(ctx, s, func() (order.Product, error) { return s.next.UpdateProduct(ctx, id, patch, now) })
}

func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	return do(ctx, s, func() error { return s.next.DeleteProduct(ctx, id) })
}

func (s *Store) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	return get(ctx, s, func() (order.Product, error) { return s.next.ApplyStock(ctx, productID, marker, delta) })
}

func (s *Store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	return do(ctx, s, func() error { return s.next.RevertStock(ctx, productID, marker, delta) })
}

func (s *Store) ClearMarkers(ctx context.Context, productID string, markers []string) error {
	return do(ctx, s, func() error { return s.next.ClearMarkers(ctx, productID, markers) })
}

func (s *Store) CreateOrder(ctx context.Context, o order.Order) error {
	return do(ctx, s, func() error { return s.next.CreateOrder(ctx, o) })
}

func (s *Store) GetOrder(ctx context.Context, id string) (order.Order, error) {
	return get(ctx, s, func() (order.Order, error) { return s.next.GetOrder(ctx, id) })
}

func (s *Store) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	return get(ctx, s, func() (order.Order, error) { return s.next.GetOrderByIdempotencyKey(ctx, key) })
}

func (s *Store) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	return get(ctx, s, func() ([]order.OrderState, error) { return s.next.OrderStates(ctx, ids) })
}

func (s *Store) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	return get(ctx, s, func() ([]order.Order, error) { return s.next.ListOrders(ctx, f) })
}

func (s *Store) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	return get(ctx, s, func() ([]order.Order, error) { return s.next.ListStaleOrders(ctx, cutoff, after, limit) })
}

func (s *Store) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	return get(ctx, s, func() ([]order.ProductMarkers, error) { return s.next.ListMarkedProducts(ctx, after, limit) })
}

func (s *Store) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	return get(ctx, s, func() (order.Order, error) { return s.next.ClaimOrder(ctx, id, from, seen, to, now) })
}

func (s *Store) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	return get(ctx, s, func() (order.Order, error) { return s.next.ConfirmOrder(ctx, o, seen, now) })
}

func (s *Store) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	return get(ctx, s, func() (order.Order, error) { return s.next.SetOrderStatus(ctx, id, from, to, now) })
}

func (s *Store) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	return do(ctx, s, func() error { return s.next.MarkStockReleased(ctx, id, now) })
}

func (s *Store) DeleteOrder(ctx context.Context, id string) error {
	return do(ctx, s, func() error { return s.next.DeleteOrder(ctx, id) })
}
