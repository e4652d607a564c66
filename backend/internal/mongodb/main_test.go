package mongodb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/localdb"
)

// serverURI is the server the tests use: TEST_MONGODB_URL (CI runs a real
// mongod) or an embedded FerretDB started by TestMain. Each test gets its
// own database on it, dropped when the test ends.
var serverURI string

// embedded is true when the tests run on the embedded FerretDB, which
// needs the serialised adapter.
var embedded bool

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if u := os.Getenv("TEST_MONGODB_URL"); u != "" {
		serverURI = u
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "mongodb-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := localdb.Start(context.Background(), localdb.Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	serverURI, embedded = srv.URI(), true
	return m.Run()
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
// (Serialize and MaxPoolSize 1 forced on FerretDB) and drops it at the end.
func openTestDB(tb testing.TB, uri string, o Options) *DB {
	tb.Helper()
	if embedded {
		o.Serialize, o.MaxPoolSize = true, 1
	}
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
