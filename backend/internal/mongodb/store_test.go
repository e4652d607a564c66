package mongodb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Store {
		return openTestDB(t, serverURI, Options{}).Store()
	})
}

func TestEnsureIndexesIdempotent(t *testing.T) {
	db := openTestDB(t, serverURI, Options{}) // first run inside
	for i := range 2 {
		if err := db.EnsureIndexes(t.Context()); err != nil {
			t.Fatalf("EnsureIndexes run %d = %v, want nil", i+2, err)
		}
	}
	for coll, want := range map[string][]string{
		ordersCollection:   {"_id_", "customerEmail_id", "idempotencyKey_unique", "status_id"},
		productsCollection: {"_id_", "markers_first", "sku_unique"},
	} {
		var names []string
		err := db.do(t.Context(), func(ctx context.Context) error {
			cur, err := db.db.Collection(coll).Indexes().List(ctx)
			if err != nil {
				return err
			}
			var specs []struct {
				Name string `bson:"name"`
			}
			if err := cur.All(ctx, &specs); err != nil {
				return err
			}
			for _, s := range specs {
				names = append(names, s.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("list indexes of %s = %v", coll, err)
		}
		if d := cmp.Diff(want, names, cmp.Transformer("sort", sorted)); d != "" {
			t.Errorf("%s indexes mismatch (-want +got):\n%s", coll, d)
		}
	}
}

// TestApplyStockReplyProjection: ApplyStock asks for its reply without the
// markers where the server takes a projection on findAndModify (MongoDB),
// and without it where it does not (FerretDB 1.x answers NotImplemented);
// EnsureIndexes finds out. A store that did not (here: told the wrong
// answer) learns it from the refusal and still reserves, once.
func TestApplyStockReplyProjection(t *testing.T) {
	db := openTestDB(t, serverURI, Options{})
	probed := db.noReplyProjection.Load()
	s := db.Store()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := order.Product{ID: order.NewID(now), SKU: "P", Name: "P", Currency: "EUR", PriceCents: 5, Stock: 3, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	db.noReplyProjection.Store(false)
	got, err := s.ApplyStock(t.Context(), p.ID, order.ReservationMarker(order.NewID(now), 1), -1)
	want := p
	want.Stock = 2
	if err != nil || !cmp.Equal(want, got) {
		t.Fatalf("ApplyStock = %+v, %v; want %+v", got, err, want)
	}
	if db.noReplyProjection.Load() != probed {
		t.Errorf("after ApplyStock: projection refused = %v, want %v as EnsureIndexes found", db.noReplyProjection.Load(), probed)
	}
	if stock := mustStock(t, s, p.ID); stock != 2 {
		t.Errorf("stock = %d, want 2 (reserved once)", stock)
	}
	t.Logf("server refuses a findAndModify projection: %v", probed)
}

func mustStock(tb testing.TB, s *Store, id string) int64 {
	tb.Helper()
	p, err := s.GetProduct(tb.Context(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Stock
}

func sorted(in []string) []string { return slices.Sorted(slices.Values(in)) }

func TestErrorTranslation(t *testing.T) {
	s := openTestDB(t, serverURI, Options{}).Store()
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := order.Product{ID: order.NewID(now), SKU: "X", Name: "X", Currency: "EUR", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	p2 := p
	p2.ID = order.NewID(now.Add(time.Second))
	err := s.CreateProduct(ctx, p2)
	if !errors.Is(err, order.ErrConflict) || !strings.Contains(err.Error(), p2.ID) {
		t.Errorf("CreateProduct(duplicate SKU) = %v, want ErrConflict naming %s", err, p2.ID)
	}
	for _, id := range []string{order.NewID(now.Add(2 * time.Second)), "not-an-id", "ZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		if _, err := s.GetProduct(ctx, id); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("GetProduct(%q) = %v, want ErrNotFound", id, err)
		}
		if _, err := s.GetOrder(ctx, id); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("GetOrder(%q) = %v, want ErrNotFound", id, err)
		}
	}
	_, err = s.ListProducts(ctx, "bad-cursor", 10)
	var ve *order.ValidationError
	if !errors.As(err, &ve) || ve.Fields["cursor"] == "" {
		t.Errorf("ListProducts(bad cursor) = %v, want *ValidationError on cursor", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	db := openTestDB(t, serverURI, Options{Registerer: reg})
	s := db.Store()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetProduct(t.Context(), order.NewID(time.Now())); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("GetProduct = %v, want ErrNotFound", err)
	}
	// A command the server refuses counts as an error.
	_ = db.do(t.Context(), func(ctx context.Context) error {
		return db.db.RunCommand(ctx, bson.D{{Key: "noSuchCommand", Value: 1}}).Err()
	})

	for _, c := range []struct {
		command, outcome string
		min              float64
	}{
		{"ping", "ok", 1},
		{"find", "ok", 1},
		{"other", "error", 1},
	} {
		got := testutil.ToFloat64(db.metrics.commands.WithLabelValues(c.command, c.outcome))
		if got < c.min {
			t.Errorf("orders_mongodb_commands_total{command=%q,outcome=%q} = %v, want >= %v", c.command, c.outcome, got, c.min)
		}
	}
	if n := testutil.CollectAndCount(reg, "orders_mongodb_command_duration_seconds"); n < 2 {
		t.Errorf("orders_mongodb_command_duration_seconds has %d series, want >= 2", n)
	}
	if got := testutil.ToFloat64(db.metrics.pool.WithLabelValues("open")); got < 1 {
		t.Errorf("orders_mongodb_pool_connections{state=open} = %v, want >= 1", got)
	}
	if got := testutil.ToFloat64(db.metrics.pool.WithLabelValues("in_use")); got != 0 {
		t.Errorf("orders_mongodb_pool_connections{state=in_use} at rest = %v, want 0", got)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %+v", err, problems)
	}
}
