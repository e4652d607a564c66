package localstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/faultproxy"
	"github.com/orderstack/orderstack/backend/local/internal/mongodbtest"
)

// TestAbandonedWriteKeepsStock is TestModel's stock failure (one order's
// stock too many) made deterministic. A client hangs up while the local
// store's write of "pending → paid" is on its way to FerretDB; the driver
// then closes the connection, but FerretDB still applies the write. A
// cancel that follows must not run beside it: if it does, it reads the
// order still pending, cancels it and puts its stock back, and the late
// write then makes the order paid again, holding stock nobody reserved
// (the read-then-write of SetOrderStatus checked a status the write no
// longer requires). With the store one call at a time at the database too
// (serial), the cancel waits for the write and cancels the paid order.
//
// The same run on the MongoDB adapter as production uses it (no serial,
// conditional writes; the proxy applies one command at a time, as MongoDB
// applies a single-document update atomically): the cancel runs beside the
// held write, and the write, landing late, no longer matches its
// condition (status pending) and changes nothing.
//
// The write is held in the fault proxy until the cancel has finished or,
// when the cancel cannot start, for holdAbandoned.
func TestAbandonedWriteKeepsStock(t *testing.T) {
	t.Parallel() // with TestAbandonedConfirmKeepsStock: both mostly wait for holdAbandoned
	for _, tc := range []struct {
		name  string
		write string // the command of SetOrderStatus's write
		open  func(*testing.T, *mongodb.DB) order.Store
	}{
		{"local store", "update", func(t *testing.T, db *mongodb.DB) order.Store { return newOn(t, db) }},
		{"adapter", "findAndModify", func(_ *testing.T, db *mongodb.DB) order.Store { return db.Store() }},
	} {
		t.Run(tc.name, func(t *testing.T) { abandonedWrite(t, tc.write, tc.open) })
	}
}

func abandonedWrite(t *testing.T, write string, open func(*testing.T, *mongodb.DB) order.Store) {
	const holdAbandoned = time.Second // the cancel takes milliseconds when it can run
	proxy, db := proxiedDB(t)
	s := open(t, db)
	svc, p := serviceWithProduct(t, s)
	ctx := t.Context()
	o, _, err := svc.PlaceOrder(ctx, order.PlaceOrder{
		Customer: order.Customer{Name: "Ada", Email: "ada@example.com"},
		Lines:    []order.OrderLine{{ProductID: p.ID, Quantity: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}

	held, release := make(chan struct{}), make(chan struct{})
	proxy.OnHangUp = func() { close(held); <-release }
	proxy.SetRule(func(c faultproxy.Command) faultproxy.Action {
		if c.Name == write && c.Collection == ordersCollection && c.N == 0 {
			return faultproxy.HangUp // SetOrderStatus's write
		}
		return faultproxy.Pass
	})
	payCtx, hangUp := context.WithCancel(ctx)
	paid := make(chan error, 1)
	go func() {
		_, err := svc.SetStatus(payCtx, o.ID, order.StatusPaid)
		paid <- err
	}()
	<-held
	hangUp()
	if err := <-paid; err == nil || !order.MaybeApplied(err) {
		t.Fatalf("SetStatus(paid) hung up = %v, want an error that may have been applied", err)
	}

	type result struct {
		o   order.Order
		err error
	}
	cancelled := make(chan result, 1)
	go func() {
		got, err := svc.CancelOrder(ctx, o.ID)
		cancelled <- result{got, err}
	}()
	var c result
	select {
	case c = <-cancelled: // ran beside the abandoned write
		close(release)
	case <-time.After(holdAbandoned):
		close(release)
		c = <-cancelled
	}
	if c.err != nil {
		t.Fatalf("CancelOrder = %v", c.err)
	}
	svc.Wait()
	proxy.Settle()

	got, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.StatusCancelled {
		t.Errorf("order after CancelOrder succeeded = %s, want %s", got.Status, order.StatusCancelled)
	}
	prod, err := s.GetProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(10)
	if got.Status != order.StatusCancelled {
		want -= 2
	}
	if prod.Stock != want {
		t.Errorf("stock = %d, want %d = 10 initial − the order's 2 if it is live (%s)", prod.Stock, want, got.Status)
	}
}

// TestAbandonedConfirmKeepsStock is the same defect within one request:
// the client hangs up while the confirmation (reserving → pending) is on
// its way, and the request's own clean-up follows (claim the order, put
// the stock back, delete it). If the clean-up runs beside the abandoned
// confirmation, and it lands after the claim and before the delete, the
// delete finds the order pending and leaves it: a live order whose stock
// was put back. One call at a time at the database, the clean-up starts
// only once the confirmation has landed, and finds the order placed.
func TestAbandonedConfirmKeepsStock(t *testing.T) {
	t.Parallel()
	const holdAbandoned = time.Second // the clean-up takes milliseconds when it can run
	proxy, db := proxiedDB(t)
	direct, err := mongodb.Open(t.Context(), serverURI+db.Name(), mongodb.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = direct.Close(context.Background()) })
	s := newOn(t, db)
	svc, p := serviceWithProduct(t, s)
	ctx := t.Context()
	const key = "abandoned-confirm"
	// landed reports whether the held confirmation has been applied.
	landed := func() bool {
		o, err := direct.Store().GetOrderByIdempotencyKey(ctx, key)
		return err == nil && o.Status == order.StatusPending
	}
	held, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	proxy.OnHangUp = func() {
		close(held)
		select {
		case <-release:
		case <-time.After(holdAbandoned):
		}
	}
	proxy.SetRule(func(c faultproxy.Command) faultproxy.Action {
		switch {
		case c.Name == "update" && c.Collection == ordersCollection && c.N == 0:
			return faultproxy.HangUp // ConfirmOrder's write
		case c.Name == "find" && c.Collection == ordersCollection && c.N == 2:
			// The clean-up's third read of the order (after the confirmation's
			// and the claim's): DeleteOrder's, if the claim won. Let the held
			// confirmation land first.
			releaseOnce.Do(func() { close(release) })
			for deadline := time.Now().Add(5 * time.Second); !landed() && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
		}
		return faultproxy.Pass
	})
	placeCtx, hangUp := context.WithCancel(ctx)
	placed := make(chan error, 1)
	go func() {
		_, _, err := svc.PlaceOrder(placeCtx, order.PlaceOrder{
			Customer:       order.Customer{Name: "Ada", Email: "ada@example.com"},
			Lines:          []order.OrderLine{{ProductID: p.ID, Quantity: 2}},
			IdempotencyKey: key,
		})
		placed <- err
	}()
	<-held
	hangUp()
	if err := <-placed; err == nil || !order.MaybeApplied(err) {
		t.Fatalf("PlaceOrder hung up = %v, want an error that may have been applied", err)
	}
	svc.Wait()
	proxy.SetRule(nil)
	proxy.Settle()

	want := int64(10)
	o, orderErr := s.GetOrderByIdempotencyKey(ctx, key)
	switch {
	case orderErr == nil && o.Status != order.StatusCancelled:
		want -= 2 // live
	case orderErr != nil && !errors.Is(orderErr, order.ErrNotFound):
		t.Fatal(orderErr)
	}
	prod, err := s.GetProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if prod.Stock != want {
		t.Errorf("stock = %d, want %d = 10 initial − the order's 2 if it is live (order: %q, %v)", prod.Stock, want, o.Status, orderErr)
	}
}

// proxiedDB is a database of its own on the test server, reached through a
// fault proxy over one connection.
func proxiedDB(t *testing.T) (*faultproxy.Proxy, *mongodb.DB) {
	proxy := mongodbtest.StartProxy(t, serverURI)
	return proxy, mongodbtest.OpenDB(t, "mongodb://"+proxy.Addr()+"/", mongodb.Options{MaxPoolSize: 1})
}

// serviceWithProduct is a Service on s with one product of 10 in stock.
func serviceWithProduct(t *testing.T, s order.Store) (*order.Service, order.Product) {
	svc := order.NewService(s)
	t.Cleanup(svc.Wait)
	p, err := svc.CreateProduct(t.Context(), order.Product{SKU: "ABANDONED", Name: "Mug", PriceCents: 100, Currency: "EUR", Stock: 10})
	if err != nil {
		t.Fatal(err)
	}
	return svc, p
}
