// Package localstore is the store of `make run`: the production MongoDB
// adapter on the embedded FerretDB 1.24 (SQLite), with the operations that
// FerretDB would answer by scanning a whole collection done another way.
//
// FerretDB 1.24's SQLite backend hands SQLite a filter only when it is
// exactly {_id: <ObjectID or string>} (internal/backends/sqlite
// collection.go, Query); any other filter, every sort except $natural on a
// capped collection, and a limit together with a filter or sort are
// applied in Go after reading and decoding every document of the
// collection. The embeddable ferretdb.Config has no setting that changes
// this (the handler's pushdown switches are internal test options). So:
//
//   - each conditional write of order.Store (ApplyStock, RevertStock,
//     ClearMarker, SetOrderStatus, ClaimOrder, DeleteOrder) becomes a read
//     by _id, the condition checked here, and a write by _id. Two commands
//     instead of one, each a primary-key lookup instead of a scan. This is
//     atomic only because nothing else runs in between: New returns the
//     store behind serial, which runs one store call at a time, and the
//     embedded FerretDB has no other writer (see docs/local-store.md);
//   - the lists (ListOrders, ListStaleOrders, GetOrderByIdempotencyKey) ask
//     SQLite for the matching ids through the indexes the adapter declares
//     (status_id, customerEmail_id, idempotencyKey_unique, and FerretDB's
//     own _id_), which FerretDB creates as SQLite expression indexes but
//     never queries, and then read each order by _id through FerretDB.
//
// The production adapter is unchanged and knows nothing of this; the
// contract suite (order/storetest) runs on this store too.
package localstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/serial"
)

// The adapter's collection names (backend/internal/mongodb); the contract
// suite on this store fails if they drift apart.
const (
	productsCollection = "products"
	ordersCollection   = "orders"
)

// store is the adapter with the scanning operations replaced. It is not
// atomic on its own: only New's serialised wrapper is exported.
type store struct {
	*mongodb.Store // every operation not overridden below
	db             *mongodb.DB
	idx            *index
}

// New returns the local store on db, whose data FerretDB keeps under dir
// (localdb.Config.Dir), behind serial.New. db's indexes must exist
// (mongodb.DB.EnsureIndexes): the lists read them, and New adds the index
// FerretDB's own by-_id statements need (addIDIndexes). The returned func
// releases the SQLite handle of the lists.
func New(ctx context.Context, db *mongodb.DB, dir string) (*serial.Store, func() error, error) {
	file := filepath.Join(dir, db.Name()+".sqlite")
	if err := addIDIndexes(ctx, file, productsCollection, ordersCollection); err != nil {
		return nil, nil, err
	}
	idx, err := openIndex(file)
	if err != nil {
		return nil, nil, err
	}
	s := &store{Store: db.Store(), db: db, idx: idx}
	return serial.New(s), idx.close, nil
}

// oid parses a domain id the way the adapter does: a malformed id names
// no document, so it is order.ErrNotFound.
func oid(id string) (bson.ObjectID, error) {
	o, err := bson.ObjectIDFromHex(id)
	if err != nil || !order.ValidID(id) {
		return bson.ObjectID{}, fmt.Errorf("id %q: %w", id, order.ErrNotFound)
	}
	return o, nil
}

// stock is the part of a product document the stock operations read.
type stock struct {
	Stock   int64    `bson:"stock"`
	Markers []string `bson:"markers"`
}

var stockProjection = bson.D{{Key: "stock", Value: 1}, {Key: "markers", Value: 1}}

// readStock reads the stock and markers of a product by _id.
func (s *store) readStock(ctx context.Context, id bson.ObjectID) (stock, error) {
	var st stock
	err := s.db.Do(ctx, func(ctx context.Context, d *mongo.Database) error {
		return d.Collection(productsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}},
			options.FindOne().SetProjection(stockProjection)).Decode(&st)
	})
	return st, err
}

// updateByID applies update to the document id of coll; ErrNotFound if
// there is none.
func (s *store) updateByID(ctx context.Context, coll string, id bson.ObjectID, update bson.D) error {
	var matched int64
	err := s.db.Do(ctx, func(ctx context.Context, d *mongo.Database) error {
		res, err := d.Collection(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
		if err == nil {
			matched = res.MatchedCount
		}
		return err
	})
	if err == nil && matched == 0 {
		err = order.ErrNotFound
	}
	return err
}

// ApplyStock: read the product by _id; unless it carries marker already,
// check the stock and $inc/$push by _id.
func (s *store) ApplyStock(ctx context.Context, productID, marker string, delta int64) error {
	id, err := oid(productID)
	if err != nil {
		return err
	}
	st, err := s.readStock(ctx, id)
	if err != nil {
		return fmt.Errorf("apply stock %+d to product %s: %w", delta, productID, err)
	}
	if slices.Contains(st.Markers, marker) {
		return nil // applied before
	}
	if delta < 0 && st.Stock < -delta {
		return &order.StockError{ProductID: productID, Requested: -delta, Available: st.Stock}
	}
	err = s.updateByID(ctx, productsCollection, id, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "stock", Value: delta}}},
		{Key: "$push", Value: bson.D{{Key: "markers", Value: marker}}},
	})
	if err != nil {
		return fmt.Errorf("apply stock %+d to product %s: %w", delta, productID, err)
	}
	return nil
}

// RevertStock: if the product carries marker, subtract delta and pull it.
func (s *store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	id, err := oid(productID)
	if err != nil {
		return nil // no such product, so no marker to undo
	}
	st, err := s.readStock(ctx, id)
	if errors.Is(err, order.ErrNotFound) || err == nil && !slices.Contains(st.Markers, marker) {
		return nil
	}
	if err == nil {
		err = s.updateByID(ctx, productsCollection, id, bson.D{
			{Key: "$inc", Value: bson.D{{Key: "stock", Value: -delta}}},
			{Key: "$pull", Value: bson.D{{Key: "markers", Value: marker}}},
		})
	}
	if err != nil {
		return fmt.Errorf("revert stock %+d of product %s: %w", delta, productID, err)
	}
	return nil
}

// ClearMarker: $pull by _id, no read first. Pulling a marker the product
// does not carry changes nothing, and a missing product matches nothing;
// neither is an error (the contract), so the unconditional write is the
// conditional one.
func (s *store) ClearMarker(ctx context.Context, productID, marker string) error {
	id, err := oid(productID)
	if err != nil {
		return nil
	}
	err = s.updateByID(ctx, productsCollection, id, bson.D{{Key: "$pull", Value: bson.D{{Key: "markers", Value: marker}}}})
	if err != nil && !errors.Is(err, order.ErrNotFound) {
		return fmt.Errorf("clear marker on product %s: %w", productID, err)
	}
	return nil
}

// SetOrderStatus: read the order by _id, check its status, $set by _id.
func (s *store) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	cur, err := s.GetOrder(ctx, id)
	if err != nil {
		return order.Order{}, fmt.Errorf("set order %s status: %w", id, err)
	}
	if cur.Status != from {
		return order.Order{}, fmt.Errorf("set order %s status from %s: it is %s: %w", id, from, cur.Status, order.ErrConflict)
	}
	o, err := s.move(ctx, cur, to, now)
	if err != nil {
		return order.Order{}, fmt.Errorf("set order %s status: %w", id, err)
	}
	return o, nil
}

// ClaimOrder: read the order by _id, compare status and updatedAt (as
// stored: milliseconds), $set by _id.
func (s *store) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	cur, err := s.GetOrder(ctx, id)
	if err != nil {
		return order.Order{}, fmt.Errorf("claim order %s: %w", id, err)
	}
	if cur.Status != from || cur.UpdatedAt.UnixMilli() != seen.UnixMilli() {
		return order.Order{}, fmt.Errorf("claim order %s from %s as of %s: it is %s as of %s: %w",
			id, from, seen.UTC().Format(time.RFC3339Nano), cur.Status, cur.UpdatedAt.Format(time.RFC3339Nano), order.ErrConflict)
	}
	o, err := s.move(ctx, cur, to, now)
	if err != nil {
		return order.Order{}, fmt.Errorf("claim order %s: %w", id, err)
	}
	return o, nil
}

// move sets status and updatedAt of the order cur (just read) by _id and
// returns it as stored.
func (s *store) move(ctx context.Context, cur order.Order, to order.Status, now time.Time) (order.Order, error) {
	id, err := oid(cur.ID)
	if err != nil {
		return order.Order{}, err
	}
	now = time.UnixMilli(now.UnixMilli()).UTC() // a BSON date holds milliseconds
	err = s.updateByID(ctx, ordersCollection, id, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: string(to)}, {Key: "updatedAt", Value: now},
	}}})
	if err != nil {
		return order.Order{}, err
	}
	cur.Status, cur.UpdatedAt = to, now
	return cur, nil
}

// DeleteOrder: read the order by _id; delete it by _id if it is still
// reserving.
func (s *store) DeleteOrder(ctx context.Context, id string) error {
	cur, err := s.GetOrder(ctx, id)
	if err != nil {
		return fmt.Errorf("delete order %s: %w", id, err)
	}
	if cur.Status != order.StatusReserving {
		return fmt.Errorf("delete order %s: it is %s: %w", id, cur.Status, order.ErrConflict)
	}
	oid, _ := oid(id) // GetOrder accepted it
	var n int64
	err = s.db.Do(ctx, func(ctx context.Context, d *mongo.Database) error {
		res, err := d.Collection(ordersCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: oid}})
		if err == nil {
			n = res.DeletedCount
		}
		return err
	})
	if err == nil && n == 0 {
		err = order.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete order %s: %w", id, err)
	}
	return nil
}
