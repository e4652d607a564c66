package localstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/serial"
)

// stores are the two ways orders-local has opened the embedded FerretDB:
// the adapter behind serial (before this package) and the local store.
func stores(b *testing.B) map[string]order.Store {
	return map[string]order.Store{
		"adapter": serial.New(openDB(b).Store()),
		"local":   open(b),
	}
}

// BenchmarkPlaceOrder places one-line orders through order.Service, one at
// a time, on each store (the orders collection grows as it runs, as under
// `make run`). Run: make bench-store.
func BenchmarkPlaceOrder(b *testing.B) {
	for _, name := range []string{"adapter", "local"} {
		b.Run(name, func(b *testing.B) {
			s := stores(b)[name]
			svc := order.NewService(s)
			ctx := b.Context()
			now := time.Now().UTC().Truncate(time.Millisecond)
			p := order.Product{ID: order.NewID(now), SKU: "BENCH", Name: "Bench", Currency: "EUR", PriceCents: 100, Stock: order.MaxStock, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateProduct(ctx, p); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				_, _, err := svc.PlaceOrder(ctx, order.PlaceOrder{
					Customer: order.Customer{Name: "B", Email: fmt.Sprintf("b%d@example.com", i)},
					Lines:    []order.OrderLine{{ProductID: p.ID, Quantity: 1}},
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkListOrders lists 50 orders by status (the first page, and a
// page in the middle) with 1,600 orders in the collection, a quarter of
// them in that status, on each store: #14's 320 ms collection scan.
func BenchmarkListOrders(b *testing.B) {
	const n = 1600
	statuses := []order.Status{order.StatusPending, order.StatusPaid, order.StatusShipped, order.StatusCancelled}
	for _, name := range []string{"adapter", "local"} {
		s := stores(b)[name]
		ctx := b.Context()
		now := time.Now().UTC().Truncate(time.Millisecond)
		var mid string
		for i := range n {
			o := testOrder(now, statuses[i%len(statuses)], fmt.Sprintf("c%d@example.com", i%40), "")
			if err := s.CreateOrder(ctx, o); err != nil {
				b.Fatal(err)
			}
			if i == n/2 {
				mid = o.ID
			}
		}
		for _, f := range []struct {
			name string
			f    order.OrderFilter
		}{
			{"status", order.OrderFilter{Status: order.StatusPaid, Limit: 50}},
			{"status-after", order.OrderFilter{Status: order.StatusPaid, After: mid, Limit: 50}},
			{"email", order.OrderFilter{Email: "c7@example.com", Limit: 50}},
			{"all", order.OrderFilter{Limit: 50}},
		} {
			b.Run(name+"/"+f.name, func(b *testing.B) {
				for b.Loop() {
					got, err := s.ListOrders(ctx, f.f)
					if err != nil {
						b.Fatal(err)
					}
					if len(got) == 0 {
						b.Fatal("ListOrders found nothing")
					}
				}
			})
		}
	}
}

// BenchmarkListProducts lists 20 products (GET /products' default page)
// with 1,000 in the catalogue, on each store.
func BenchmarkListProducts(b *testing.B) {
	for _, name := range []string{"adapter", "local"} {
		s := stores(b)[name]
		ctx := b.Context()
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i := range 1000 {
			p := order.Product{ID: order.NewID(now), SKU: fmt.Sprintf("SKU-%d", i), Name: "P", Currency: "EUR", PriceCents: 100, Stock: 10, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateProduct(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if got, err := s.ListProducts(ctx, "", 20); err != nil || len(got) != 20 {
					b.Fatalf("ListProducts = %d products, %v; want 20", len(got), err)
				}
			}
		})
	}
}
