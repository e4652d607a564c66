package serial

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// TestStore: the decorator keeps the contract of the store it wraps.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Store { return New(memstore.New()) })
}

// overlap is an order.Store whose every call takes a while and records how
// many calls ran at once; the methods not overridden panic (nil embedded).
type overlap struct {
	order.Store
	now, max atomic.Int32
}

func (o *overlap) enter() {
	n := o.now.Add(1)
	for {
		m := o.max.Load()
		if n <= m || o.max.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(time.Millisecond)
	o.now.Add(-1)
}

func (o *overlap) Ping(context.Context) error { o.enter(); return nil }
func (o *overlap) ApplyStock(context.Context, string, string, int64) (order.Product, error) {
	o.enter()
	return order.Product{}, nil
}
func (o *overlap) GetProduct(context.Context, string) (order.Product, error) {
	o.enter()
	return order.Product{}, nil
}
func (o *overlap) ListOrders(context.Context, order.OrderFilter) ([]order.Order, error) {
	o.enter()
	return nil, nil
}

// TestOneCallAtATime: many goroutines calling different methods at once
// never overlap inside the wrapped store.
func TestOneCallAtATime(t *testing.T) {
	inner := &overlap{}
	s := New(inner)
	ctx := t.Context()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _ = s.Ping(ctx) })
		wg.Go(func() { _, _ = s.ApplyStock(ctx, "p", "m", -1) })
		wg.Go(func() { _, _ = s.GetProduct(ctx, "p") })
		wg.Go(func() { _, _ = s.ListOrders(ctx, order.OrderFilter{}) })
	}
	wg.Wait()
	if got := inner.max.Load(); got != 1 {
		t.Errorf("at most %d calls ran at once in the wrapped store, want 1", got)
	}
}

// TestWaitHonoursContext: a caller waiting for the turn gives up when its
// context ends, with ErrUnavailable (503) wrapping the context's error.
func TestWaitHonoursContext(t *testing.T) {
	s := New(memstore.New())
	s.turn <- struct{}{} // someone else's turn, forever
	t.Cleanup(func() { <-s.turn })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.Ping(ctx)
	if !errors.Is(err, order.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ping while the turn is taken = %v, want ErrUnavailable wrapping DeadlineExceeded", err)
	}
	if _, err := s.GetProduct(ctx, "x"); !errors.Is(err, order.ErrUnavailable) {
		t.Errorf("GetProduct while the turn is taken = %v, want ErrUnavailable", err)
	}
}
