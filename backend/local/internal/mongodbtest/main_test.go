package mongodbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// serverURI is the embedded FerretDB that TestMain starts for the package;
// each test opens a database of its own on it.
var serverURI string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mongodbtest-")
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
	serverURI = srv.URI()
	return m.Run()
}

// openDB opens a fresh database (random name) on the server at uri, a
// mongodb://host:port/ URI as localdb gives, with o, and closes it at the
// end. The server is a temporary directory, so nothing is dropped.
func openDB(tb testing.TB, uri string, o mongodb.Options) *mongodb.DB {
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
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.Close(ctx)
	})
	if err := db.EnsureIndexes(tb.Context()); err != nil {
		tb.Fatalf("EnsureIndexes = %v", err)
	}
	return db
}
