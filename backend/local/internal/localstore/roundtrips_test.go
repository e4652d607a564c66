package localstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/mongodbtest"
)

// TestRoundTripsPerOrder counts the commands FerretDB receives while the
// local store places an order, with the adapter's command monitor
// (orders_mongodb_commands_total): the insert of the journal, then for each
// line a read and a write by _id (ApplyStock), and a read and a write by
// _id to confirm. So 2N+3 for N lines, against the adapter's N+2: the
// price of doing each conditional write as a read and a write by _id,
// which FerretDB answers from an index instead of a collection scan. The
// lists' SQLite queries are not commands and not counted.
func TestRoundTripsPerOrder(t *testing.T) {
	for _, lines := range []int{1, 5} {
		t.Run(fmt.Sprintf("%d lines", lines), func(t *testing.T) {
			got := countCommands(t, lines)
			want := map[string]int{"insert": 1, "find": lines + 1, "update": lines + 1}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("commands placing a %d-line order (-want +got):\n%s", lines, d)
			}
		})
	}
}

// countCommands places one order of `lines` lines on a fresh local store
// and returns the commands sent until PlaceOrder returned, by name.
func countCommands(t *testing.T, lines int) map[string]int {
	t.Helper()
	ctx := t.Context()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	reg := prometheus.NewRegistry()
	db, err := mongodb.Open(ctx, serverURI+"rt_"+hex.EncodeToString(b), mongodb.Options{Registerer: reg, MaxPoolSize: 1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	if err := db.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	svc := order.NewService(newOn(t, db))
	t.Cleanup(svc.Wait)
	req := order.PlaceOrder{Customer: order.Customer{Name: "Round Trip", Email: "rt@example.com"}}
	for i := range lines {
		p, err := svc.CreateProduct(ctx, order.Product{SKU: fmt.Sprintf("RT-%d", i), Name: "Round trip", Currency: "EUR", PriceCents: 100, Stock: 10})
		if err != nil {
			t.Fatal(err)
		}
		req.Lines = append(req.Lines, order.OrderLine{ProductID: p.ID, Quantity: 1})
	}
	before := commands(t, reg)
	if _, _, err := svc.PlaceOrder(ctx, req); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for cmd, n := range commands(t, reg) {
		if d := n - before[cmd]; d > 0 {
			out[cmd] = d
		}
	}
	return out
}

// commands sums orders_mongodb_commands_total by command.
func commands(t *testing.T, reg *prometheus.Registry) map[string]int {
	t.Helper()
	out, err := mongodbtest.CommandCounts(reg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
