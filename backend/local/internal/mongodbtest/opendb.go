package mongodbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/local/internal/faultproxy"
)

// OpenDB opens a fresh database (random name) on the server at uri, a
// mongodb://host:port/ URI as localdb gives, with o, and closes it at the
// end. The server is a temporary directory, so nothing is dropped.
func OpenDB(tb testing.TB, uri string, o mongodb.Options) *mongodb.DB {
	tb.Helper()
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db, err := mongodb.Open(tb.Context(), uri+"test_"+hex.EncodeToString(b), o)
	if err != nil {
		tb.Fatalf("Open = %v", err)
	}
	tb.Cleanup(func() { Close(db) })
	if err := db.EnsureIndexes(tb.Context()); err != nil {
		tb.Fatalf("EnsureIndexes = %v", err)
	}
	return db
}

// StartProxy starts a fault proxy in front of the server at uri (a
// mongodb://host:port/ URI as localdb gives), closed at the end.
func StartProxy(tb testing.TB, uri string) *faultproxy.Proxy {
	tb.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := faultproxy.Start(u.Host)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// Close disconnects db, bounded to 10 s by a cancel, not a deadline.
// Given a context with a deadline, the driver first waits for every
// connection to be checked in, polling in a loop that never sleeps
// (mongo-driver v2.10, x/mongo/driver/topology pool.close: a select with
// a default case): a connection a fault left checked out kept a core busy
// until it came back or the deadline passed (5.4 s of TestProxyFaults'
// 14 s of CPU). Without a deadline it closes the pool's connections, in
// use or not, at once; the cancel still bounds the endSessions command
// Disconnect sends first.
func Close(db *mongodb.DB) {
	ctx, cancel := context.WithCancel(context.Background())
	defer time.AfterFunc(10*time.Second, cancel).Stop()
	defer cancel()
	_ = db.Close(ctx)
}
