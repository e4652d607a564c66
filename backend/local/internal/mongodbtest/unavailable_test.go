package mongodbtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
	"github.com/orderstack/orderstack/backend/local/internal/serial"
)

// TestUnavailable stops the server under an open store, as the local
// runner opens it: operations must fail with ErrUnavailable within the
// timeout, and work again once the server is back on the same address,
// without reopening.
func TestUnavailable(t *testing.T) {
	// It only waits (timeouts, a restart): beside TestModelProxy, the one
	// other parallel test, it takes nothing from the model's work.
	t.Parallel()
	dir := t.TempDir()
	srv, err := localdb.Start(t.Context(), localdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	t.Cleanup(func() { _ = srv.Close() })
	const timeout = 1 * time.Second
	o := localOptions
	o.Timeout = timeout
	s := serial.New(OpenDB(t, srv.URI(), o).Store())
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := order.Product{ID: order.NewID(now), SKU: "UP", Name: "Up", Currency: "EUR", Stock: 3, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(t.Context(), p); err != nil {
		t.Fatal(err)
	}

	if err := srv.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for _, call := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"Ping", s.Ping},
		{"GetProduct", func(ctx context.Context) error { _, err := s.GetProduct(ctx, p.ID); return err }},
		{"ApplyStock", func(ctx context.Context) error { _, err := s.ApplyStock(ctx, p.ID, "r:x", -1); return err }},
	} {
		start := time.Now()
		err := call.fn(t.Context())
		took := time.Since(start)
		if !errors.Is(err, order.ErrUnavailable) {
			t.Errorf("%s with the server down = %v, want ErrUnavailable", call.name, err)
		}
		// Not a timing assertion on speed: a bound that proves no hang.
		if took > timeout+2*time.Second {
			t.Errorf("%s with the server down took %v, want about the %v timeout", call.name, took, timeout)
		}
		t.Logf("%s with the server down: %v after %v", call.name, err, took.Round(time.Millisecond))
	}

	srv, err = localdb.Start(t.Context(), localdb.Config{Dir: dir, Addr: addr})
	if err != nil {
		t.Fatalf("restart on %s = %v", addr, err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.GetProduct(t.Context(), p.ID)
		if err == nil {
			if got.Stock != 3 {
				t.Errorf("after restart stock = %d, want 3 (data kept)", got.Stock)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetProduct after restart still failing: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
