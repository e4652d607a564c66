package mongodbtest

import (
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/serial"
)

// BenchmarkReserveWithMarkers measures one reservation (ApplyStock, the
// request's only product write) on a product that already carries n
// markers: a hot product between two Recover passes, which clear them
// (docs/architecture.md, "Markers on a hot product"). The local store
// (FerretDB 1.x) returns and rewrites the whole document, markers included.
// Run: make bench-store.
func BenchmarkReserveWithMarkers(b *testing.B) {
	for _, n := range []int{0, 1_000, 5_000} {
		b.Run(fmt.Sprintf("markers=%d", n), func(b *testing.B) {
			db := OpenDB(b, serverURI, localOptions)
			s := serial.New(db.Store())
			ctx := b.Context()
			now := time.Now().UTC().Truncate(time.Millisecond)
			p := order.Product{ID: order.NewID(now), SKU: "HOT", Name: "Hot", Currency: "EUR", PriceCents: 100, Stock: order.MaxStock, CreatedAt: now, UpdatedAt: now}
			if err := s.CreateProduct(ctx, p); err != nil {
				b.Fatal(err)
			}
			// The markers go in with one update through the driver: n
			// reservations would take minutes on the local store.
			markers := make(bson.A, n)
			for i := range markers {
				markers[i] = order.ReservationMarker(fmt.Sprintf("%024x", i), 1)
			}
			client, err := mongo.Connect(options.Client().ApplyURI(serverURI))
			if err != nil {
				b.Fatal(err)
			}
			defer client.Disconnect(ctx)
			oid, _ := bson.ObjectIDFromHex(p.ID)
			if _, err := client.Database(db.Name()).Collection("products").UpdateOne(ctx,
				bson.D{{Key: "_id", Value: oid}}, bson.D{{Key: "$set", Value: bson.D{{Key: "markers", Value: markers}}}}); err != nil {
				b.Fatal(err)
			}
			i := n
			for b.Loop() {
				i++
				if _, err := s.ApplyStock(ctx, p.ID, order.ReservationMarker(fmt.Sprintf("%024x", i), 1), -1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
