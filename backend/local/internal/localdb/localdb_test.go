package localdb

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// TestRestartKeepsData: data written before Close is there after Start
// on the same address and directory, and the same client reconnects.
func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	srv, err := Start(t.Context(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URI(), "mongodb://127.0.0.1:") {
		t.Errorf("URI() = %q, want mongodb://127.0.0.1:port/", srv.URI())
	}
	c := connect(t, srv.URI())
	coll := c.Database("keep").Collection("things")
	if _, err := coll.InsertOne(t.Context(), bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("InsertOne = %v", err)
	}

	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Err()
	cancel()
	if err == nil {
		t.Fatalf("FindOne after Close = nil, want an error")
	}

	srv, err = Start(t.Context(), Config{Dir: dir, Addr: addr})
	if err != nil {
		t.Fatalf("Start again on %s = %v", addr, err)
	}
	defer srv.Close()
	var got struct {
		N int `bson:"n"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = coll.FindOne(t.Context(), bson.D{{Key: "_id", Value: "a"}}).Decode(&got)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || got.N != 1 {
		t.Errorf("FindOne after restart = %+v, %v; want n=1", got, err)
	}
}

// TestCloseDropsConnections: Close cuts open connections at once, as a
// crash would, instead of letting them run on for FerretDB's grace period.
func TestCloseDropsConnections(t *testing.T) {
	srv, err := Start(t.Context(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	began := time.Now()
	_, err = conn.Read(make([]byte, 1))
	if err == nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Errorf("Read on a connection after Close = %v, want it closed (EOF/reset)", err)
	}
	t.Logf("connection dropped %v after Close began", time.Since(began).Round(time.Millisecond))
	if err := <-closed; err != nil {
		t.Errorf("Close = %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(t.Context(), Config{}); err == nil {
		t.Error("Start without Dir = nil error, want one")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Start(t.Context(), Config{Dir: t.TempDir(), Addr: ln.Addr().String()}); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Start on a taken address = %v, want an error naming it", err)
	}
}

// TestTimedOutFindLeavesNoStaleConnection: a find whose time limit ends
// while FerretDB's SQLite query is starting leaves nothing behind. The
// driver sends every context deadline as maxTimeMS (mongo-driver v2.10,
// internal/driverutil CalculateMaxTimeMS), and FerretDB cancels the query
// when it runs out (FerretDB v1.24.2, handler/msg_find.go and
// msg_findandmodify.go). modernc.org/sqlite before v1.40.1 then dropped
// the rows of a statement that had produced its first row without closing
// them (v1.32.0, sqlite.go stmt.query): the connection went back to
// FerretDB's pool inside a read transaction, and the commands that later
// got it, from any client, read an old snapshot, failed with
// "interrupted (9)", or, writing, with "database is locked (517)"
// (SQLITE_BUSY_SNAPSHOT). With v1.32.0 it failed in 20 of 20 runs, at
// the 1st to 46th find. The finds are cut at points spread over the first
// half of a measured find (where every failing cut fell), so some land
// while the query starts on any machine.
func TestTimedOutFindLeavesNoStaleConnection(t *testing.T) {
	srv, err := Start(t.Context(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	reader := connect(t, srv.URI()).Database("stale").Collection("docs")
	writer := connect(t, srv.URI()).Database("stale").Collection("docs")
	// A 1 MB _id makes the query long enough to be cut while it starts
	// (binding and comparing the key).
	big := strings.Repeat("x", 1<<20)
	if _, err := writer.InsertMany(t.Context(), []any{bson.D{{Key: "_id", Value: big}}, bson.D{{Key: "_id", Value: "n"}, {Key: "n", Value: 0}}}); err != nil {
		t.Fatalf("InsertMany = %v", err)
	}
	var took []time.Duration
	for range 3 {
		began := time.Now()
		if err := reader.FindOne(t.Context(), bson.D{{Key: "_id", Value: big}}).Err(); err != nil {
			t.Fatalf("FindOne(big) = %v", err)
		}
		took = append(took, time.Since(began))
	}
	slices.Sort(took)
	find := took[1]

	timedOut := 0
	for i := range 64 {
		ctx, cancel := context.WithTimeout(t.Context(), find*time.Duration(i%16+1)/32)
		err := reader.FindOne(ctx, bson.D{{Key: "_id", Value: big}}).Err()
		cancel()
		switch {
		case mongo.IsTimeout(err):
			timedOut++
		case err != nil:
			t.Fatalf("find %d: FindOne(big) = %v, want a document or a timeout", i, err)
		}
		if _, err := writer.UpdateOne(t.Context(), bson.D{{Key: "_id", Value: "n"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: i + 1}}}}); err != nil {
			t.Fatalf("find %d: the other client's UpdateOne = %v", i, err)
		}
		var got struct{ N int }
		if err := reader.FindOne(t.Context(), bson.D{{Key: "_id", Value: "n"}}).Decode(&got); err != nil || got.N != i+1 {
			t.Fatalf("find %d: FindOne(n) = %d, %v; want %d (the other client's write)", i, got.N, err, i+1)
		}
		if _, err := reader.UpdateOne(t.Context(), bson.D{{Key: "_id", Value: "n"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "seen", Value: i}}}}); err != nil {
			t.Fatalf("find %d: UpdateOne after it = %v", i, err)
		}
	}
	t.Logf("a find took %v; %d of 64 cut short", find.Round(time.Microsecond), timedOut)
	if timedOut == 0 {
		t.Fatalf("no find was cut short (a find took %v): nothing was tested", find)
	}
}
