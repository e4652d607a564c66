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
//     SetOrderStatus, ClaimOrder, ConfirmOrder, DeleteOrder) becomes a read
//     by _id, the condition checked here, and a write by _id. Two commands
//     instead of one, each a primary-key lookup instead of a scan. This is
//     atomic only because nothing else runs in between: New returns the
//     store behind serial, which runs one store call at a time, to its
//     end even when its caller gives up (a write abandoned mid-way would
//     otherwise land after the next call's read), and the embedded
//     FerretDB has no other writer (see docs/local-store.md);
//   - the lists (ListOrders, ListStaleOrders, ListProducts,
//     GetOrderByIdempotencyKey) ask SQLite, read only, through the indexes
//     the adapter declares (status_id, customerEmail_id,
//     idempotencyKey_unique, and FerretDB's own _id_), which FerretDB
//     creates as SQLite expression indexes but never queries, and decode
//     the documents from the JSON FerretDB stores; ListMarkedProducts takes
//     the ids that way and reads each product by _id; OrderStates
//     (Recover's _id $in) reads its three fields from SQLite by _id;
//   - even FerretDB's {_id} statements scanned (its _id_ index is on
//     another expression than the one they compare): New adds the index
//     they need (addIDIndexes).
//
// The production adapter knows nothing of this (it only offers DB.Do, a
// command with its timeout, metrics and error translation); the contract
// suite (order/storetest) and the stock model run on this store too.
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
	dir, err := filepath.Abs(dir) // a relative path in a file: URI does not open (-data rdata)
	if err != nil {
		return nil, nil, fmt.Errorf("localstore: data dir: %w", err)
	}
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

// readProduct reads a product with its markers by _id.
func (s *store) readProduct(ctx context.Context, id bson.ObjectID) (mongodb.ProductDoc, error) {
	var d mongodb.ProductDoc
	err := s.db.Do(ctx, func(ctx context.Context, db *mongo.Database) error {
		return db.Collection(productsCollection).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	})
	return d, err
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
// check the stock and $inc/$push by _id. It returns the product as the
// write left it (as found, if the marker was there).
func (s *store) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	id, err := mongodb.ObjectID(productID)
	if err != nil {
		return order.Product{}, err
	}
	d, err := s.readProduct(ctx, id)
	if err != nil {
		return order.Product{}, fmt.Errorf("apply stock %+d to product %s: %w", delta, productID, err)
	}
	if slices.Contains(d.Markers, marker) {
		return d.Product(), nil // applied before
	}
	if delta < 0 && d.Stock < -delta {
		return order.Product{}, &order.StockError{ProductID: productID, Requested: -delta, Available: d.Stock}
	}
	err = s.updateByID(ctx, productsCollection, id, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "stock", Value: delta}}},
		{Key: "$push", Value: bson.D{{Key: "markers", Value: marker}}},
	})
	if err != nil {
		return order.Product{}, fmt.Errorf("apply stock %+d to product %s: %w", delta, productID, err)
	}
	d.Stock += delta
	return d.Product(), nil
}

// RevertStock: if the product carries marker, subtract delta and pull it.
func (s *store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	id, err := mongodb.ObjectID(productID)
	if err != nil {
		return nil // no such product, so no marker to undo
	}
	d, err := s.readProduct(ctx, id)
	if errors.Is(err, order.ErrNotFound) || err == nil && !slices.Contains(d.Markers, marker) {
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

// ClearMarkers is the adapter's: one $pullAll by _id, already a write by
// _id alone.

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

// ConfirmOrder: read the order by _id, check it is reserving as of seen,
// and $set status pending, updatedAt and the priced lines by _id.
func (s *store) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	priced, err := mongodb.PricedFields(o)
	if err != nil {
		return order.Order{}, fmt.Errorf("confirm order %s: %w", o.ID, err)
	}
	cur, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		return order.Order{}, fmt.Errorf("confirm order %s: %w", o.ID, err)
	}
	if cur.Status != order.StatusReserving || cur.UpdatedAt.UnixMilli() != seen.UnixMilli() {
		return order.Order{}, fmt.Errorf("confirm order %s as of %s: it is %s as of %s: %w",
			o.ID, seen.UTC().Format(time.RFC3339Nano), cur.Status, cur.UpdatedAt.Format(time.RFC3339Nano), order.ErrConflict)
	}
	got, err := s.move(ctx, cur, order.StatusPending, now, priced...)
	if err != nil {
		return order.Order{}, fmt.Errorf("confirm order %s: %w", o.ID, err)
	}
	// As the adapter reads them back (no lines: nil).
	got.Items, got.Currency, got.TotalCents = append([]order.LineItem(nil), o.Items...), o.Currency, o.TotalCents
	return got, nil
}

// move sets status, updatedAt and the fields of set on the order cur (just
// read) by _id and returns it with status and updatedAt as stored.
func (s *store) move(ctx context.Context, cur order.Order, to order.Status, now time.Time, set ...bson.E) (order.Order, error) {
	id, err := mongodb.ObjectID(cur.ID)
	if err != nil {
		return order.Order{}, err
	}
	now = time.UnixMilli(now.UnixMilli()).UTC() // a BSON date holds milliseconds
	fields := append(bson.D{{Key: "status", Value: string(to)}, {Key: "updatedAt", Value: now}}, set...)
	err = s.updateByID(ctx, ordersCollection, id, bson.D{{Key: "$set", Value: fields}})
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
	bid, _ := mongodb.ObjectID(id) // GetOrder accepted it
	var n int64
	err = s.db.Do(ctx, func(ctx context.Context, d *mongo.Database) error {
		res, err := d.Collection(ordersCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: bid}})
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
