package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// dbStore is the service's order.Store while MongoDB may not be usable
// yet. Until the client is open (a mongodb+srv:// name resolves) and the
// unique indexes the store relies on exist, every call fails with
// order.ErrUnavailable: /readyz answers 503, no traffic comes, and the
// service starts, and stays up, through a database or DNS outage instead
// of crash-looping.
type dbStore struct {
	ready   atomic.Pointer[mongodb.Store] // set once usable
	db      atomic.Pointer[mongodb.DB]    // set once open, for Close
	waiting atomic.Pointer[error]         // why it is not ready yet
}

var _ order.Store = (*dbStore)(nil)

func (s *dbStore) get() (*mongodb.Store, error) {
	if st := s.ready.Load(); st != nil {
		return st, nil
	}
	if why := s.waiting.Load(); why != nil {
		return nil, fmt.Errorf("mongodb not usable yet: %w: %w", order.ErrUnavailable, *why)
	}
	return nil, fmt.Errorf("mongodb not usable yet: %w", order.ErrUnavailable)
}

func (s *dbStore) notReady(err error) { s.waiting.Store(&err) }

// connect opens the database (unless db is already open) and creates its
// indexes, retrying with backoff (0.5 s doubling to 30 s) until both
// succeed or ctx ends; then the store is ready.
func (s *dbStore) connect(ctx context.Context, logger *slog.Logger, db *mongodb.DB, open func() (*mongodb.DB, error)) {
	wait := 500 * time.Millisecond
	for {
		var err error
		if db == nil {
			if db, err = open(); err == nil {
				s.db.Store(db)
				logger.Info("mongodb client created", "database", db.Name())
			} else {
				err = fmt.Errorf("open mongodb: %w", err)
			}
		}
		if err == nil {
			if err = db.EnsureIndexes(ctx); err == nil {
				s.ready.Store(db.Store())
				logger.Info("mongodb indexes ready")
				return
			}
			err = fmt.Errorf("create mongodb indexes: %w", err)
		}
		if ctx.Err() != nil {
			return
		}
		s.notReady(err)
		logger.Warn("mongodb not usable yet; retrying", "error", oneLine(err.Error()), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// srvLookupFailure returns the DNS error when uri is a mongodb+srv:// URI
// whose name does not resolve now (a passing DNS outage, or a cluster not
// created yet): the driver resolves the name when the client is created,
// so such an Open fails, and the service retries instead of exiting. It
// is nil for any other URI, and for a name that resolves.
func srvLookupFailure(uri string) error {
	if !strings.HasPrefix(uri, connstring.SchemeMongoDBSRV+"://") {
		return nil
	}
	_, err := connstring.Parse(uri)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr
	}
	return nil
}

func (s *dbStore) Ping(ctx context.Context) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}

func (s *dbStore) CreateProduct(ctx context.Context, p order.Product) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.CreateProduct(ctx, p)
}

func (s *dbStore) GetProduct(ctx context.Context, id string) (order.Product, error) {
	st, err := s.get()
	if err != nil {
		return order.Product{}, err
	}
	return st.GetProduct(ctx, id)
}

func (s *dbStore) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	st, err := s.get()
	if err != nil {
		return nil, err
	}
	return st.ListProducts(ctx, after, limit)
}

func (s *dbStore) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	st, err := s.get()
	if err != nil {
		return order.Product{}, err
	}
	return st.UpdateProduct(ctx, id, patch, now)
}

func (s *dbStore) DeleteProduct(ctx context.Context, id string) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.DeleteProduct(ctx, id)
}

func (s *dbStore) ApplyStock(ctx context.Context, productID, marker string, delta int64) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.ApplyStock(ctx, productID, marker, delta)
}

func (s *dbStore) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.RevertStock(ctx, productID, marker, delta)
}

func (s *dbStore) ClearMarker(ctx context.Context, productID, marker string) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.ClearMarker(ctx, productID, marker)
}

func (s *dbStore) CreateOrder(ctx context.Context, o order.Order) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.CreateOrder(ctx, o)
}

func (s *dbStore) GetOrder(ctx context.Context, id string) (order.Order, error) {
	st, err := s.get()
	if err != nil {
		return order.Order{}, err
	}
	return st.GetOrder(ctx, id)
}

func (s *dbStore) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	st, err := s.get()
	if err != nil {
		return order.Order{}, err
	}
	return st.GetOrderByIdempotencyKey(ctx, key)
}

func (s *dbStore) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	st, err := s.get()
	if err != nil {
		return nil, err
	}
	return st.ListOrders(ctx, f)
}

func (s *dbStore) ListStaleOrders(ctx context.Context, cutoff time.Time, limit int) ([]order.Order, error) {
	st, err := s.get()
	if err != nil {
		return nil, err
	}
	return st.ListStaleOrders(ctx, cutoff, limit)
}

func (s *dbStore) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	st, err := s.get()
	if err != nil {
		return order.Order{}, err
	}
	return st.SetOrderStatus(ctx, id, from, to, now)
}

func (s *dbStore) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.MarkStockReleased(ctx, id, now)
}

func (s *dbStore) DeleteOrder(ctx context.Context, id string) error {
	st, err := s.get()
	if err != nil {
		return err
	}
	return st.DeleteOrder(ctx, id)
}
