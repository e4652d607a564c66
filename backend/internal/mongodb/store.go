package mongodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Store implements order.Store on a DB.
type Store struct {
	db *DB
}

var _ order.Store = (*Store)(nil)

// defaultLimit applies when a list is asked for a limit below 1.
const defaultLimit = 100

// applyAttempts bounds ApplyStock's retries when the product changes
// between its conditional update and the read that explains a miss.
const applyAttempts = 5

func (s *Store) products() *mongo.Collection { return s.db.db.Collection(productsCollection) }
func (s *Store) orders() *mongo.Collection   { return s.db.db.Collection(ordersCollection) }

// Ping checks the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// CreateProduct inserts p; a taken SKU is order.ErrConflict.
func (s *Store) CreateProduct(ctx context.Context, p order.Product) error {
	doc, err := toProductDoc(p)
	if err != nil {
		return fmt.Errorf("insert product: %w", err)
	}
	err = s.db.do(ctx, func(ctx context.Context) error {
		_, err := s.products().InsertOne(ctx, doc)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert product %s: %w", p.ID, err)
	}
	return nil
}

func (s *Store) getProduct(ctx context.Context, id string) (ProductDoc, error) {
	oid, err := ObjectID(id)
	if err != nil {
		return ProductDoc{}, err
	}
	var doc ProductDoc
	err = s.db.do(ctx, func(ctx context.Context) error {
		return s.products().FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Decode(&doc)
	})
	if err != nil {
		return ProductDoc{}, fmt.Errorf("get product %s: %w", id, err)
	}
	return doc, nil
}

// GetProduct returns a product or order.ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, id string) (order.Product, error) {
	doc, err := s.getProduct(ctx, id)
	if err != nil {
		return order.Product{}, err
	}
	return doc.Product(), nil
}

// ListProducts returns up to limit products with id > after, by id.
func (s *Store) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	filter, err := afterFilter(bson.D{}, after)
	if err != nil {
		return nil, err
	}
	var docs []ProductDoc
	if err := s.find(ctx, s.products(), filter, limit, &docs); err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	out := make([]order.Product, len(docs))
	for i, d := range docs {
		out[i] = d.Product()
	}
	return out, nil
}

// UpdateProduct applies patch and returns the updated product.
func (s *Store) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	oid, err := ObjectID(id)
	if err != nil {
		return order.Product{}, err
	}
	set := bson.D{{Key: "updatedAt", Value: now.UTC()}}
	if patch.Name != nil {
		set = append(set, bson.E{Key: "name", Value: *patch.Name})
	}
	if patch.Description != nil {
		set = append(set, bson.E{Key: "description", Value: *patch.Description})
	}
	if patch.PriceCents != nil {
		set = append(set, bson.E{Key: "priceCents", Value: *patch.PriceCents})
	}
	if patch.Stock != nil {
		set = append(set, bson.E{Key: "stock", Value: *patch.Stock})
	}
	var doc ProductDoc
	err = s.db.do(ctx, func(ctx context.Context) error {
		return s.products().FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: oid}},
			bson.D{{Key: "$set", Value: set}},
			options.FindOneAndUpdate().SetReturnDocument(options.After),
		).Decode(&doc)
	})
	if err != nil {
		return order.Product{}, fmt.Errorf("update product %s: %w", id, err)
	}
	return doc.Product(), nil
}

// DeleteProduct removes a product; order.ErrNotFound if there is none.
func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	oid, err := ObjectID(id)
	if err != nil {
		return err
	}
	if err := s.deleteOne(ctx, s.products(), oid); err != nil {
		return fmt.Errorf("delete product %s: %w", id, err)
	}
	return nil
}

// ApplyStock adds delta and records marker in one conditional
// findAndModify that returns the product as updated, without its markers
// where the server takes a projection: it matches only a product without
// marker and, to reserve, with enough stock. When nothing matched, a read
// tells why.
func (s *Store) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	oid, err := ObjectID(productID)
	if err != nil {
		return order.Product{}, err
	}
	filter := bson.D{
		{Key: "_id", Value: oid},
		{Key: "markers", Value: bson.D{{Key: "$ne", Value: marker}}},
	}
	if delta < 0 {
		filter = append(filter, bson.E{Key: "stock", Value: bson.D{{Key: "$gte", Value: -delta}}})
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "stock", Value: delta}}},
		{Key: "$push", Value: bson.D{{Key: "markers", Value: marker}}},
	}
	for range applyAttempts {
		var doc ProductDoc
		err := s.db.do(ctx, func(ctx context.Context) error {
			opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
			if !s.db.noReplyProjection.Load() {
				opts.SetProjection(replyProjection)
			}
			err := s.products().FindOneAndUpdate(ctx, filter, update, opts).Decode(&doc)
			if notImplemented(err) && !s.db.noReplyProjection.Load() {
				// Refused before doing anything (EnsureIndexes was not
				// called): learn it and send it again without.
				s.db.noReplyProjection.Store(true)
				opts = options.FindOneAndUpdate().SetReturnDocument(options.After)
				err = s.products().FindOneAndUpdate(ctx, filter, update, opts).Decode(&doc)
			}
			return err
		})
		if err == nil {
			return doc.Product(), nil
		}
		if !errors.Is(err, order.ErrNotFound) {
			return order.Product{}, fmt.Errorf("apply stock %+d to product %s: %w", delta, productID, err)
		}
		doc, err = s.getProduct(ctx, productID)
		if err != nil {
			return order.Product{}, fmt.Errorf("apply stock: %w", err)
		}
		switch {
		case slices.Contains(doc.Markers, marker):
			return doc.Product(), nil // applied before
		case delta < 0 && doc.Stock < -delta:
			return order.Product{}, &order.StockError{ProductID: productID, Requested: -delta, Available: doc.Stock}
		}
		// The product changed between the update and the read: try again.
	}
	return order.Product{}, fmt.Errorf("apply stock %+d to product %s: product keeps changing: %w", delta, productID, order.ErrConflict)
}

// RevertStock subtracts delta and drops marker, only if the product
// carries marker.
func (s *Store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	oid, err := ObjectID(productID)
	if err != nil {
		return nil // no such product, so no marker to undo
	}
	err = s.db.do(ctx, func(ctx context.Context) error {
		_, err := s.products().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: oid}, {Key: "markers", Value: marker}},
			bson.D{
				{Key: "$inc", Value: bson.D{{Key: "stock", Value: -delta}}},
				{Key: "$pull", Value: bson.D{{Key: "markers", Value: marker}}},
			})
		return err
	})
	if err != nil {
		return fmt.Errorf("revert stock %+d of product %s: %w", delta, productID, err)
	}
	return nil
}

// ClearMarkers drops markers from the product in one update, keeping the
// stock.
func (s *Store) ClearMarkers(ctx context.Context, productID string, markers []string) error {
	oid, err := ObjectID(productID)
	if err != nil || len(markers) == 0 {
		return nil
	}
	err = s.db.do(ctx, func(ctx context.Context) error {
		_, err := s.products().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: oid}},
			bson.D{{Key: "$pullAll", Value: bson.D{{Key: "markers", Value: markers}}}})
		return err
	})
	if err != nil {
		return fmt.Errorf("clear %d markers on product %s: %w", len(markers), productID, err)
	}
	return nil
}

// ListMarkedProducts returns the markers of up to limit products that carry
// any, with id > after, by id.
func (s *Store) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	// "markers.0 exists" is the portable "non-empty array" (FerretDB 1.x
	// and MongoDB alike).
	filter, err := afterFilter(bson.D{{Key: "markers.0", Value: bson.D{{Key: "$exists", Value: true}}}}, after)
	if err != nil {
		return nil, err
	}
	var docs []ProductDoc
	if err := s.find(ctx, s.products(), filter, limit, &docs); err != nil {
		return nil, fmt.Errorf("list marked products: %w", err)
	}
	out := make([]order.ProductMarkers, 0, len(docs))
	for _, d := range docs {
		if len(d.Markers) > 0 {
			out = append(out, order.ProductMarkers{ProductID: d.ID.Hex(), Markers: d.Markers})
		}
	}
	return out, nil
}

// CreateOrder inserts o; a taken id or idempotency key is
// order.ErrConflict.
func (s *Store) CreateOrder(ctx context.Context, o order.Order) error {
	doc, err := toOrderDoc(o)
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	err = s.db.do(ctx, func(ctx context.Context) error {
		_, err := s.orders().InsertOne(ctx, doc)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	return nil
}

func (s *Store) findOrder(ctx context.Context, filter bson.D) (order.Order, error) {
	var doc orderDoc
	err := s.db.do(ctx, func(ctx context.Context) error {
		return s.orders().FindOne(ctx, filter).Decode(&doc)
	})
	if err != nil {
		return order.Order{}, err
	}
	return doc.order(), nil
}

// GetOrder returns an order (in any status) or order.ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, id string) (order.Order, error) {
	oid, err := ObjectID(id)
	if err != nil {
		return order.Order{}, err
	}
	o, err := s.findOrder(ctx, bson.D{{Key: "_id", Value: oid}})
	if err != nil {
		return order.Order{}, fmt.Errorf("get order %s: %w", id, err)
	}
	return o, nil
}

// GetOrderByIdempotencyKey returns the order placed with key.
func (s *Store) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	if key == "" {
		return order.Order{}, fmt.Errorf("get order by empty idempotency key: %w", order.ErrNotFound)
	}
	o, err := s.findOrder(ctx, bson.D{{Key: "idempotencyKey", Value: key}})
	if err != nil {
		return order.Order{}, fmt.Errorf("get order by idempotency key: %w", err)
	}
	return o, nil
}

// OrderStates returns the state of each order of ids that exists, with one
// find by _id $in, projected on what the state needs.
func (s *Store) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	oids := make(bson.A, 0, len(ids))
	for _, id := range ids {
		if oid, err := ObjectID(id); err == nil {
			oids = append(oids, oid)
		}
	}
	out := []order.OrderState{}
	if len(oids) == 0 {
		return out, nil
	}
	var docs []orderDoc
	err := s.db.do(ctx, func(ctx context.Context) error {
		cur, err := s.orders().Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: oids}}}},
			options.Find().SetProjection(bson.D{{Key: "status", Value: 1}, {Key: "stockReleased", Value: 1}, {Key: "updatedAt", Value: 1}}))
		if err != nil {
			return err
		}
		return cur.All(ctx, &docs)
	})
	if err != nil {
		return nil, fmt.Errorf("get %d order states: %w", len(oids), err)
	}
	for _, d := range docs {
		out = append(out, order.OrderState{ID: d.ID.Hex(), Status: order.Status(d.Status), StockReleased: d.StockReleased, UpdatedAt: d.UpdatedAt.UTC()})
	}
	return out, nil
}

// ListOrders returns up to f.Limit public orders matching f after f.After,
// by id.
func (s *Store) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	filter := bson.D{}
	switch f.Status {
	case "":
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$ne", Value: string(order.StatusReserving)}}})
	case order.StatusReserving:
		return []order.Order{}, nil // never listed
	default:
		filter = append(filter, bson.E{Key: "status", Value: string(f.Status)})
	}
	if f.Email != "" {
		filter = append(filter, bson.E{Key: "customer.email", Value: f.Email})
	}
	filter, err := afterFilter(filter, f.After)
	if err != nil {
		return nil, err
	}
	return s.listOrders(ctx, filter, f.Limit)
}

// ListStaleOrders returns orders left reserving, or cancelled without
// their stock released, last updated before cutoff, with id > after, by id.
func (s *Store) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	filter := bson.D{
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "status", Value: string(order.StatusReserving)}},
			bson.D{{Key: "status", Value: string(order.StatusCancelled)}, {Key: "stockReleased", Value: false}},
		}},
		{Key: "updatedAt", Value: bson.D{{Key: "$lt", Value: cutoff.UTC()}}},
	}
	filter, err := afterFilter(filter, after)
	if err != nil {
		return nil, err
	}
	return s.listOrders(ctx, filter, limit)
}

func (s *Store) listOrders(ctx context.Context, filter bson.D, limit int) ([]order.Order, error) {
	var docs []orderDoc
	if err := s.find(ctx, s.orders(), filter, limit, &docs); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	out := make([]order.Order, len(docs))
	for i, d := range docs {
		out[i] = d.order()
	}
	return out, nil
}

// SetOrderStatus moves an order from status `from` to `to` in one conditional
// update; ErrConflict if its status is no longer `from`.
func (s *Store) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	o, cur, err := s.moveOrder(ctx, id, bson.D{{Key: "status", Value: string(from)}}, to, now, nil)
	if cur != nil {
		return order.Order{}, fmt.Errorf("set order %s status from %s: it is %s: %w", id, from, cur.Status, order.ErrConflict)
	}
	if err != nil {
		return order.Order{}, fmt.Errorf("set order %s status: %w", id, err)
	}
	return o, nil
}

// ClaimOrder moves the order from (from, seen) to (to, now) in one
// conditional update; ErrConflict if it is in another state.
func (s *Store) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	o, cur, err := s.moveOrder(ctx, id, bson.D{{Key: "status", Value: string(from)}, {Key: "updatedAt", Value: seen.UTC()}}, to, now, nil)
	if cur != nil {
		return order.Order{}, fmt.Errorf("claim order %s from %s as of %s: it is %s as of %s: %w",
			id, from, seen.UTC().Format(time.RFC3339Nano), cur.Status, cur.UpdatedAt.Format(time.RFC3339Nano), order.ErrConflict)
	}
	if err != nil {
		return order.Order{}, fmt.Errorf("claim order %s: %w", id, err)
	}
	return o, nil
}

// PricedFields are the fields ConfirmOrder sets besides the status: o's
// priced lines, currency and total, as stored. Exported for the local
// store, which confirms with a read and a write by _id.
func PricedFields(o order.Order) (bson.D, error) {
	doc, err := toOrderDoc(o)
	if err != nil {
		return nil, err
	}
	return bson.D{{Key: "items", Value: doc.Items}, {Key: "currency", Value: doc.Currency}, {Key: "totalCents", Value: doc.TotalCents}}, nil
}

// ConfirmOrder moves the order from (reserving, seen) to (pending, now)
// and writes o's priced lines, currency and total, in one conditional
// update; ErrConflict if it is in another state.
func (s *Store) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	priced, err := PricedFields(o)
	if err != nil {
		return order.Order{}, fmt.Errorf("confirm order: %w", err)
	}
	got, cur, err := s.moveOrder(ctx, o.ID, bson.D{{Key: "status", Value: string(order.StatusReserving)}, {Key: "updatedAt", Value: seen.UTC()}},
		order.StatusPending, now, priced)
	if cur != nil {
		return order.Order{}, fmt.Errorf("confirm order %s as of %s: it is %s as of %s: %w",
			o.ID, seen.UTC().Format(time.RFC3339Nano), cur.Status, cur.UpdatedAt.Format(time.RFC3339Nano), order.ErrConflict)
	}
	if err != nil {
		return order.Order{}, fmt.Errorf("confirm order %s: %w", o.ID, err)
	}
	return got, nil
}

// moveOrder sets status `to`, updatedAt `now` and the fields of set on the
// order id if it also matches cond, in one findAndModify, and returns it as
// updated. When nothing matched, cur is the order as it is now (the
// caller's conflict), or err says why it could not be read (ErrNotFound:
// no such order).
func (s *Store) moveOrder(ctx context.Context, id string, cond bson.D, to order.Status, now time.Time, set bson.D) (o order.Order, cur *order.Order, err error) {
	oid, err := ObjectID(id)
	if err != nil {
		return order.Order{}, nil, err
	}
	fields := append(bson.D{{Key: "status", Value: string(to)}, {Key: "updatedAt", Value: now.UTC()}}, set...)
	var doc orderDoc
	err = s.db.do(ctx, func(ctx context.Context) error {
		return s.orders().FindOneAndUpdate(ctx,
			append(bson.D{{Key: "_id", Value: oid}}, cond...),
			bson.D{{Key: "$set", Value: fields}},
			options.FindOneAndUpdate().SetReturnDocument(options.After),
		).Decode(&doc)
	})
	if errors.Is(err, order.ErrNotFound) {
		// Missing, or no longer in the state cond describes?
		got, getErr := s.GetOrder(ctx, id)
		if getErr != nil {
			return order.Order{}, nil, getErr
		}
		return order.Order{}, &got, nil
	}
	if err != nil {
		return order.Order{}, nil, err
	}
	return doc.order(), nil, nil
}

// MarkStockReleased records that a cancelled order gave its stock back.
func (s *Store) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	oid, err := ObjectID(id)
	if err != nil {
		return err
	}
	var matched int64
	err = s.db.do(ctx, func(ctx context.Context) error {
		res, err := s.orders().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: oid}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "stockReleased", Value: true}, {Key: "updatedAt", Value: now.UTC()}}}})
		if err == nil {
			matched = res.MatchedCount
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("mark order %s released: %w", id, err)
	}
	if matched == 0 {
		return fmt.Errorf("mark order %s released: %w", id, order.ErrNotFound)
	}
	return nil
}

// DeleteOrder removes a reserving order; order.ErrNotFound if there is
// none, order.ErrConflict if it is in another status.
func (s *Store) DeleteOrder(ctx context.Context, id string) error {
	oid, err := ObjectID(id)
	if err != nil {
		return err
	}
	err = s.deleteOne(ctx, s.orders(), oid, bson.E{Key: "status", Value: string(order.StatusReserving)})
	if errors.Is(err, order.ErrNotFound) {
		cur, getErr := s.GetOrder(ctx, id)
		if getErr == nil {
			return fmt.Errorf("delete order %s: it is %s: %w", id, cur.Status, order.ErrConflict)
		}
		err = getErr
	}
	if err != nil {
		return fmt.Errorf("delete order %s: %w", id, err)
	}
	return nil
}

// deleteOne deletes the document with oid that also matches cond.
func (s *Store) deleteOne(ctx context.Context, c *mongo.Collection, oid bson.ObjectID, cond ...bson.E) error {
	var n int64
	filter := append(bson.D{{Key: "_id", Value: oid}}, cond...)
	err := s.db.do(ctx, func(ctx context.Context) error {
		res, err := c.DeleteOne(ctx, filter)
		if err == nil {
			n = res.DeletedCount
		}
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return order.ErrNotFound
	}
	return nil
}

// find runs a query sorted by _id and decodes every result into out.
func (s *Store) find(ctx context.Context, c *mongo.Collection, filter bson.D, limit int, out any) error {
	if limit < 1 {
		limit = defaultLimit
	}
	return s.db.do(ctx, func(ctx context.Context) error {
		cur, err := c.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
		if err != nil {
			return err
		}
		return cur.All(ctx, out)
	})
}

// CursorID parses a page cursor (the last id of the previous page); a
// malformed one is a validation error naming the cursor. Exported for the
// local store's lists.
func CursorID(after string) (bson.ObjectID, error) {
	oid, err := bson.ObjectIDFromHex(after)
	if err != nil || !order.ValidID(after) {
		return bson.ObjectID{}, &order.ValidationError{Fields: map[string]string{"cursor": "is not a valid cursor"}}
	}
	return oid, nil
}

// afterFilter adds `_id > after` to filter for keyset pagination. An
// after that is not an id is a bad cursor.
func afterFilter(filter bson.D, after string) (bson.D, error) {
	if after == "" {
		return filter, nil
	}
	oid, err := CursorID(after)
	if err != nil {
		return nil, err
	}
	return append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: oid}}}), nil
}
