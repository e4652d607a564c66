// Package mongodb is the MongoDB adapter: it connects with the official
// driver (v2), keeps products and orders in two collections and implements
// order.Store with single-document operations only (no transactions, no
// aggregation), so it runs on MongoDB and on FerretDB 1.x alike.
//
// Driver errors are translated to the domain's: a duplicate key is
// order.ErrConflict, a missing document order.ErrNotFound, and network
// errors, server selection timeouts and deadlines order.ErrUnavailable.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/orderstack/orderstack/backend/internal/mongouri"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// DefaultTimeout bounds each database operation when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Collection names.
const (
	productsCollection = "products"
	ordersCollection   = "orders"
)

// Options configures Open.
type Options struct {
	// Logger receives the adapter's few logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the orders_mongodb_* metrics; nil means none.
	Registerer prometheus.Registerer
	// MaxPoolSize caps the connection pool; 0 keeps the driver's default
	// (or the URI's maxPoolSize).
	MaxPoolSize uint64
	// Timeout bounds each operation, and server selection. 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// DB is a connection to one database.
type DB struct {
	client  *mongo.Client
	db      *mongo.Database
	logger  *slog.Logger
	timeout time.Duration
	metrics *metrics // nil without a Registerer
	// noReplyProjection: the server refuses a projection on findAndModify
	// (FerretDB 1.x: "fields" is not implemented), so ApplyStock's reply
	// carries the markers too (see replyProjection).
	noReplyProjection atomic.Bool
}

// Open validates uri and sets up a client for the database it names
// (DatabaseName). It does not wait for the server: the driver connects in
// the background, so a service can start while the database is down and
// report it through Ping. Errors never contain the password.
func Open(ctx context.Context, uri string, o Options) (*DB, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	co := options.Client().ApplyURI(uri)
	if err := co.Validate(); err != nil {
		return nil, fmt.Errorf("mongodb: invalid connection string %s: %s", mongouri.Redact(uri), mongouri.Scrub(err.Error(), uri))
	}
	// No client-wide timeout (CSOT): on a saturated machine with a pool of
	// one connection the outage test then stopped recovering (requests
	// still timing out 8 s after the database came back). Each operation's
	// context deadline (do) bounds it instead, and the driver sends what is
	// left of it as maxTimeMS on every command, writes included, CSOT or
	// not (v2.10 internal/driverutil CalculateMaxTimeMS reads ctx.Deadline).
	co.SetServerSelectionTimeout(o.Timeout).SetConnectTimeout(o.Timeout)
	if o.MaxPoolSize > 0 {
		co.SetMaxPoolSize(o.MaxPoolSize)
	}
	var m *metrics
	if o.Registerer != nil {
		var err error
		m, err = newMetrics(o.Registerer)
		if err != nil {
			return nil, fmt.Errorf("mongodb: register metrics: %w", err)
		}
		co.SetMonitor(m.commandMonitor()).SetPoolMonitor(m.poolMonitor())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, err := mongo.Connect(co)
	if err != nil {
		return nil, fmt.Errorf("mongodb: connect to %s: %s", mongouri.Redact(uri), mongouri.Scrub(err.Error(), uri))
	}
	db := &DB{
		client:  client,
		db:      client.Database(mongouri.DatabaseName(uri)),
		logger:  o.Logger,
		timeout: o.Timeout,
		metrics: m,
	}
	o.Logger.Debug("mongodb client created", "uri", mongouri.Redact(uri), "database", db.db.Name())
	return db, nil
}

// Name is the database's name.
func (db *DB) Name() string { return db.db.Name() }

// Ping checks that the server answers.
func (db *DB) Ping(ctx context.Context) error {
	err := db.do(ctx, func(ctx context.Context) error {
		return db.client.Ping(ctx, readpref.Primary())
	})
	if err != nil {
		return fmt.Errorf("ping mongodb: %w", err)
	}
	return nil
}

// Close disconnects, waiting for in-flight operations until ctx ends.
func (db *DB) Close(ctx context.Context) error {
	if err := db.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return fmt.Errorf("disconnect mongodb: %w", err)
	}
	return nil
}

// Store returns the order.Store on this database.
func (db *DB) Store() *Store { return &Store{db: db} }

// EnsureIndexes creates the indexes the store relies on, and learns
// whether the server takes a projection on findAndModify (see
// replyProjection), so that the first order does not pay for finding out.
// Creating an index that exists with the same options is a no-op, so it is
// safe on every start.
func (db *DB) EnsureIndexes(ctx context.Context) error {
	specs := []struct {
		coll, name string
		model      mongo.IndexModel
	}{
		{productsCollection, "sku_unique", mongo.IndexModel{
			Keys:    bson.D{{Key: "sku", Value: 1}},
			Options: options.Index().SetUnique(true),
		}},
		// Recover's ListMarkedProducts: {"markers.0": {$exists: true}}. Sparse
		// on the first marker, so only products that carry markers are in
		// it (a sparse index serves $exists: true, never $exists: false),
		// and a reservation pushed behind other markers does not touch it.
		// FerretDB 1.x ignores sparse, and scans anyway.
		{productsCollection, "markers_first", mongo.IndexModel{
			Keys:    bson.D{{Key: "markers.0", Value: 1}},
			Options: options.Index().SetSparse(true),
		}},
		// Sparse: orders without a key (the field is omitted) never collide.
		{ordersCollection, "idempotencyKey_unique", mongo.IndexModel{
			Keys:    bson.D{{Key: "idempotencyKey", Value: 1}},
			Options: options.Index().SetUnique(true).SetSparse(true),
		}},
		{ordersCollection, "status_id", mongo.IndexModel{
			Keys: bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: 1}},
		}},
		{ordersCollection, "customerEmail_id", mongo.IndexModel{
			Keys: bson.D{{Key: "customer.email", Value: 1}, {Key: "_id", Value: 1}},
		}},
	}
	for _, s := range specs {
		if s.model.Options == nil {
			s.model.Options = options.Index()
		}
		s.model.Options.SetName(s.name)
		err := db.do(ctx, func(ctx context.Context) error {
			_, err := db.db.Collection(s.coll).Indexes().CreateOne(ctx, s.model)
			return err
		})
		if err != nil {
			return fmt.Errorf("create index %s on %s: %w", s.name, s.coll, err)
		}
	}
	return db.CheckFeatures(ctx)
}

// CheckFeatures asks the server which optional features the adapter may
// use; EnsureIndexes calls it. Today one: a projection on findAndModify
// (replyProjection). It sends a findAndModify with a projection that
// matches no document (so changes nothing) and notes whether the server
// refused the projection; until then ApplyStock learns it from the first
// refusal.
func (db *DB) CheckFeatures(ctx context.Context) error {
	err := db.do(ctx, func(ctx context.Context) error {
		return db.db.Collection(productsCollection).FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: bson.NilObjectID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "probe", Value: true}}}},
			options.FindOneAndUpdate().SetProjection(replyProjection),
		).Err()
	})
	switch {
	case notImplemented(err):
		db.noReplyProjection.Store(true)
		return nil
	case err == nil, errors.Is(err, order.ErrNotFound):
		db.noReplyProjection.Store(false)
		return nil
	}
	return fmt.Errorf("probe findAndModify projection: %w", err)
}

// replyProjection leaves the markers out of ApplyStock's reply: on a hot
// product they are every order of the last lease or so (Recover clears them
// then), and the reservation needs only the product's own fields.
var replyProjection = bson.D{{Key: "markers", Value: 0}}

// notImplemented reports the server's NotImplemented (code 238), which
// FerretDB answers before doing anything.
func notImplemented(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 238
}

// Do runs f on the database with the adapter's operation timeout, metrics
// and error translation (order.ErrNotFound, ErrConflict, ErrUnavailable),
// for a caller that needs a command the Store does not offer. The local
// runner's store (backend/local/internal/localstore) is the one caller;
// production uses the Store alone.
func (db *DB) Do(ctx context.Context, f func(ctx context.Context, d *mongo.Database) error) error {
	return db.do(ctx, func(ctx context.Context) error { return f(ctx, db.db) })
}

// do runs f with the operation timeout and translates its error.
func (db *DB) do(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	return translate(f(ctx))
}

// translate maps driver errors to the domain's, keeping the original in
// the chain and the message.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("%w: %w", order.ErrNotFound, err)
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%w: %w", order.ErrConflict, err)
	case unavailable(err):
		return fmt.Errorf("%w: %w", order.ErrUnavailable, err)
	}
	return err
}
