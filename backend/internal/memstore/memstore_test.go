package memstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Store { return memstore.New() })
}

func TestSetDown(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	s.SetDown(true)
	if err := s.Ping(ctx); !errors.Is(err, order.ErrUnavailable) {
		t.Fatalf("Ping() while down = %v, want ErrUnavailable", err)
	}
	if _, err := s.GetProduct(ctx, "0123456789abcdef01234567"); !errors.Is(err, order.ErrUnavailable) {
		t.Fatalf("GetProduct() while down = %v, want ErrUnavailable", err)
	}
	s.SetDown(false)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() after up = %v, want nil", err)
	}
}

func TestSetFault(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	boom := errors.New("boom")
	s.SetFault(func(op string) error {
		if op == "Ping" {
			return boom
		}
		return nil
	})
	if err := s.Ping(ctx); !errors.Is(err, boom) {
		t.Fatalf("Ping() with fault = %v, want boom", err)
	}
	if _, err := s.ListProducts(ctx, "", 10); err != nil {
		t.Fatalf("ListProducts() with a Ping fault = %v, want nil", err)
	}
	s.SetFault(nil)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() after fault removed = %v, want nil", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := memstore.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping(canceled ctx) = %v, want context.Canceled", err)
	}
}
