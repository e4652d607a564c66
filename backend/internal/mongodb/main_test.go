package mongodb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// serverURI is the server the tests use: TEST_MONGODB_URL (CI runs a
// real mongod; the local module's tests point it at an embedded FerretDB,
// see backend/local/internal/mongodbtest). Each test gets its own database
// on it, dropped when the test ends. Without it, the tests that need a
// server skip.
var serverURI = os.Getenv("TEST_MONGODB_URL")

// needServer skips a test that needs a database server when none is set.
func needServer(tb testing.TB) {
	tb.Helper()
	if serverURI == "" {
		tb.Skip("needs TEST_MONGODB_URL (make test-store runs it on the embedded FerretDB)")
	}
}

// withDatabase returns uri naming database name instead of its own.
func withDatabase(uri, name string) string {
	base, query, hasQuery := strings.Cut(uri, "?")
	scheme, rest, _ := strings.Cut(base, "://")
	hosts := rest
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		hosts = rest[at+1:]
	}
	userinfo := strings.TrimSuffix(rest, hosts)
	hosts, _, _ = strings.Cut(hosts, "/")
	out := scheme + "://" + userinfo + hosts + "/" + name
	if hasQuery {
		out += "?" + query
	}
	return out
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// openTestDB opens a fresh database on the test server with options o
// and drops it at the end; it skips the test when there is no server.
func openTestDB(tb testing.TB, uri string, o Options) *DB {
	tb.Helper()
	needServer(tb)
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	db, err := Open(tb.Context(), withDatabase(uri, randomName("test_")), o)
	if err != nil {
		tb.Fatalf("Open = %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.do(ctx, func(ctx context.Context) error { return db.db.Drop(ctx) })
		_ = db.Close(ctx)
	})
	if err := db.EnsureIndexes(tb.Context()); err != nil {
		tb.Fatalf("EnsureIndexes = %v", err)
	}
	return db
}
