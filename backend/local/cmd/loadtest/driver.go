package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// driverResult is one operation measured through the driver directly.
type driverResult struct {
	Op       string
	Ops      int
	PerSec   float64
	P50, P99 time.Duration
}

// driverBench measures, on a fresh embedded FerretDB in dataDir, what the
// service's store operations cost without the service: one client, one
// operation at a time (as the local store runs them), each for du.
func driverBench(ctx context.Context, dataDir string, du time.Duration) ([]driverResult, error) {
	srv, err := localdb.Start(ctx, localdb.Config{Dir: dataDir})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()).SetMaxPoolSize(1))
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	db := client.Database("orders")
	products, orders := db.Collection("products"), db.Collection("orders")

	now := time.Now().UTC()
	ids := make([]bson.ObjectID, 100)
	for i := range ids {
		ids[i] = bson.NewObjectID()
		_, err := products.InsertOne(ctx, bson.D{
			{Key: "_id", Value: ids[i]}, {Key: "sku", Value: fmt.Sprintf("DRV-%d", i)},
			{Key: "name", Value: fmt.Sprintf("Driver product %d", i)}, {Key: "description", Value: "created by cmd/loadtest"},
			{Key: "priceCents", Value: int64(100 + i)}, {Key: "currency", Value: "EUR"},
			{Key: "stock", Value: int64(order.MaxStock)}, {Key: "markers", Value: bson.A{}},
			{Key: "createdAt", Value: now}, {Key: "updatedAt", Value: now},
		})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}

	ops := []struct {
		name string
		f    func(i int) error
	}{
		{"FindOne by _id (product-read)", func(i int) error {
			var doc bson.M
			return products.FindOne(ctx, bson.D{{Key: "_id", Value: ids[i%len(ids)]}}).Decode(&doc)
		}},
		{"Find, sort _id, limit 20 (product-list)", func(int) error {
			cur, err := products.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(20))
			if err != nil {
				return err
			}
			var docs []bson.M
			return cur.All(ctx, &docs)
		}},
		{"conditional UpdateOne + InsertOne (order-create)", func(i int) error {
			pid := ids[i%len(ids)]
			oid := bson.NewObjectID()
			marker := "r:" + oid.Hex()
			res, err := products.UpdateOne(ctx,
				bson.D{{Key: "_id", Value: pid}, {Key: "stock", Value: bson.D{{Key: "$gte", Value: int64(1)}}}, {Key: "markers", Value: bson.D{{Key: "$ne", Value: marker}}}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "stock", Value: int64(-1)}}}, {Key: "$push", Value: bson.D{{Key: "markers", Value: marker}}}, {Key: "$set", Value: bson.D{{Key: "updatedAt", Value: time.Now().UTC()}}}})
			if err != nil {
				return err
			}
			if res.ModifiedCount != 1 {
				return fmt.Errorf("conditional update matched %d", res.ModifiedCount)
			}
			_, err = orders.InsertOne(ctx, bson.D{
				{Key: "_id", Value: oid}, {Key: "customer", Value: bson.D{{Key: "name", Value: "Driver"}, {Key: "email", Value: fmt.Sprintf("d%d@example.com", i)}}},
				{Key: "items", Value: bson.A{bson.D{{Key: "productId", Value: pid}, {Key: "sku", Value: "DRV"}, {Key: "name", Value: "Driver product"}, {Key: "quantity", Value: int64(1)}, {Key: "unitPriceCents", Value: int64(100)}, {Key: "lineTotalCents", Value: int64(100)}}}},
				{Key: "totalCents", Value: int64(100)}, {Key: "currency", Value: "EUR"}, {Key: "status", Value: "pending"},
				{Key: "stockReleased", Value: false}, {Key: "requestHash", Value: "x"},
				{Key: "createdAt", Value: time.Now().UTC()}, {Key: "updatedAt", Value: time.Now().UTC()},
			})
			return err
		}},
	}
	var out []driverResult
	for _, op := range ops {
		var lat []time.Duration
		began := time.Now()
		for i := 0; time.Since(began) < du; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t := time.Now()
			if err := op.f(i); err != nil {
				return nil, fmt.Errorf("%s: %w", op.name, err)
			}
			lat = append(lat, time.Since(t))
		}
		took := time.Since(began)
		slices.Sort(lat)
		out = append(out, driverResult{
			Op: op.name, Ops: len(lat), PerSec: float64(len(lat)) / took.Seconds(),
			P50: percentile(lat, 0.50), P99: percentile(lat, 0.99),
		})
	}
	return out, nil
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
