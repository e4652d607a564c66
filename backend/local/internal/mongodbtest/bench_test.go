package mongodbtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/serial"
)

// BenchmarkStore measures single operations of the local store as `make
// run` opens it: the adapter on the embedded FerretDB, behind serial.New.
// Run: make bench-store.
func BenchmarkStore(b *testing.B) {
	s := serial.New(OpenDB(b, serverURI, localOptions).Store())
	ctx := b.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := order.Product{ID: order.NewID(now), SKU: "BENCH", Name: "Bench", Currency: "EUR", PriceCents: 100, Stock: order.MaxStock, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(ctx, p); err != nil {
		b.Fatal(err)
	}

	b.Run("GetProduct", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.GetProduct(ctx, p.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ApplyStock+ClearMarkers", func(b *testing.B) {
		i := 0
		for b.Loop() {
			m := order.ReservationMarker(fmt.Sprintf("%024x", i), 1)
			if _, err := s.ApplyStock(ctx, p.ID, m, -1); err != nil {
				b.Fatal(err)
			}
			if err := s.ClearMarkers(ctx, p.ID, []string{m}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("CreateOrder", func(b *testing.B) {
		for b.Loop() {
			o := order.Order{
				ID: order.NewID(now), Customer: order.Customer{Name: "B", Email: "b@example.com"},
				Items:      []order.LineItem{{ProductID: p.ID, SKU: p.SKU, Name: p.Name, Quantity: 1, UnitPriceCents: 100, LineTotalCents: 100}},
				TotalCents: 100, Currency: "EUR", Status: order.StatusPending, CreatedAt: now, UpdatedAt: now,
			}
			if err := s.CreateOrder(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListOrders50", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListOrders(ctx, order.OrderFilter{Status: order.StatusPending, Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
