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

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// dbStore is the service's order.Store, usable only once the MongoDB
// client is open (a mongodb+srv:// name resolves) and the unique indexes
// the store relies on exist. Until then unready reports why, and app.Run
// answers 503 on /readyz and the API and never calls the store, so the
// service starts, and stays up, through a database or DNS outage instead of
// crash-looping. The embedded order.Store is set once, before ready turns
// true (the atomic orders the two).
type dbStore struct {
	order.Store
	ready   atomic.Bool
	db      atomic.Pointer[mongodb.DB] // set once open, for Close
	waiting atomic.Pointer[error]      // why it is not ready yet
}

var errNotOpen = errors.New("mongodb client not created yet")

// unready is nil once the store is usable, else why not.
func (s *dbStore) unready() error {
	if s.ready.Load() {
		return nil
	}
	if why := s.waiting.Load(); why != nil {
		return *why
	}
	return errNotOpen
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
				s.Store = db.Store()
				s.ready.Store(true)
				logger.Info("mongodb indexes ready")
				return
			}
			err = fmt.Errorf("create mongodb indexes: %w", err)
		}
		if ctx.Err() != nil {
			return
		}
		s.notReady(err)
		logger.Warn("mongodb not usable yet; retrying", "error", app.OneLine(err.Error()), "retry_in", wait.String())
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
