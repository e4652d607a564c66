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

// stall is an order.Store whose ApplyStock works like a database command
// that takes until proceed is closed: it reports when it starts, how many
// ran at once, and whether its context ended or carried a deadline (a
// driver abandons the command then, while the server carries on with it).
type stall struct {
	order.Store
	proceed chan struct{}
	started chan struct{} // one value per call

	now, max  atomic.Int32
	ctxEnded  atomic.Bool
	deadlined atomic.Bool
}

func (s *stall) ApplyStock(ctx context.Context, _, _ string, _ int64) (order.Product, error) {
	n := s.now.Add(1)
	if n > s.max.Load() {
		s.max.Store(n)
	}
	if _, ok := ctx.Deadline(); ok {
		s.deadlined.Store(true)
	}
	s.started <- struct{}{}
	select {
	case <-s.proceed:
		s.now.Add(-1)
		return order.Product{}, nil
	case <-ctx.Done():
		// The driver gives up; the server goes on with the command.
		s.ctxEnded.Store(true)
		go func() { <-s.proceed; s.now.Add(-1) }()
		return order.Product{}, ctx.Err()
	}
}

// TestCallOutlivesCaller: a caller that stops waiting gets ErrUnavailable
// at once, but its call goes on, on a context the caller's cancellation
// and deadline do not reach, and keeps the turn until it returns, so the
// next call never runs beside it. (Before, the wrapped call got the
// caller's context: the driver abandoned the command mid-way, the turn was
// free, and the local store's next read-then-write ran beside the write
// FerretDB was still applying: TestModel's stock one order too high.)
func TestCallOutlivesCaller(t *testing.T) {
	inner := &stall{proceed: make(chan struct{}), started: make(chan struct{}, 2)}
	s := New(inner)
	ctx, hangUp := context.WithTimeout(t.Context(), time.Hour)
	defer hangUp()
	first := make(chan error, 1)
	go func() {
		_, err := s.ApplyStock(ctx, "p", "m", -1)
		first <- err
	}()
	<-inner.started
	hangUp()
	err := <-first
	if !errors.Is(err, order.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("ApplyStock after its caller hung up = %v, want ErrUnavailable wrapping Canceled", err)
	}
	if len(s.turn) != 1 {
		t.Errorf("the turn is free while the abandoned call still runs; want it held until the call returns")
	}
	second := make(chan error, 1)
	go func() {
		_, err := s.ApplyStock(t.Context(), "p", "m2", -1)
		second <- err
	}()
	close(inner.proceed)
	if err := <-second; err != nil {
		t.Errorf("the next ApplyStock = %v", err)
	}
	if got := inner.max.Load(); got != 1 {
		t.Errorf("%d calls ran at once in the wrapped store, want 1", got)
	}
	if inner.ctxEnded.Load() || inner.deadlined.Load() {
		t.Errorf("the wrapped call's context ended (%v) or had a deadline (%v); want neither: only the wrapped store's own timeout bounds a call",
			inner.ctxEnded.Load(), inner.deadlined.Load())
	}
}

// TestNoCallForCallerGone: a caller whose context has ended by the time
// the turn is free gets ErrUnavailable, and no call starts for it (it
// would otherwise run to its end on the detached context).
func TestNoCallForCallerGone(t *testing.T) {
	inner := &stall{proceed: make(chan struct{}), started: make(chan struct{}, 20)}
	close(inner.proceed)
	s := New(inner)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 20 { // acquire's select picks at random when both cases are ready
		if _, err := s.ApplyStock(ctx, "p", "m", -1); !errors.Is(err, order.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("ApplyStock with its context ended = %v, want ErrUnavailable wrapping Canceled", err)
		}
	}
	s.turn <- struct{}{} // once any call that did start has returned
	<-s.turn
	if len(inner.started) != 0 {
		t.Errorf("a call started for a caller that had left")
	}
}

// boom panics in ApplyStock.
type boom struct{ order.Store }

func (boom) ApplyStock(context.Context, string, string, int64) (order.Product, error) {
	panic("boom")
}

// TestPanicReachesCaller: a panic in the wrapped call is raised in the
// caller that waits for it (where the HTTP layer's recover answers 500),
// not in the goroutine the call runs in, and the turn is free again.
func TestPanicReachesCaller(t *testing.T) {
	s := New(boom{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	func() {
		defer func() {
			if got := recover(); got != "boom" {
				t.Errorf("recover() in the caller = %v, want boom", got)
			}
		}()
		_, _ = s.ApplyStock(ctx, "p", "m", -1)
	}()
	s.turn <- struct{}{} // free once the call has returned
	<-s.turn
}
