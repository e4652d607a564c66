package mongodbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// RoundTrips are the database commands placing one order sent, counted by
// the driver's command monitor (the adapter's orders_mongodb_commands_total,
// fed by event.CommandMonitor): every command is one round trip to the
// server.
type RoundTrips struct {
	Lines    int            // lines of the order
	Total    int            // commands sent while placing it
	Commands map[string]int // by command name (find, insert, update, findAndModify, ...)
	// Background are the commands the service sent after PlaceOrder
	// returned, until its background work was done: the marker sweep,
	// one update per product (shared by every order placed within the
	// sweep delay; here the order is alone).
	Background map[string]int
}

// CountRoundTrips places one order of `lines` lines (quantity 1 each, no
// Idempotency-Key) through order.Service on the adapter, on a fresh
// database of the server at uri (mongodb://host:port/), and counts the
// commands sent from the call to its return, then those of the service's
// background work (Service.Wait).
func CountRoundTrips(ctx context.Context, uri string, lines int) (RoundTrips, error) {
	return countRoundTrips(ctx, uri, lines, "")
}

// countRoundTrips is CountRoundTrips with an Idempotency-Key (none if "").
func countRoundTrips(ctx context.Context, uri string, lines int, key string) (RoundTrips, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	reg := prometheus.NewRegistry()
	db, err := mongodb.Open(ctx, uri+"roundtrips_"+hex.EncodeToString(b), mongodb.Options{Registerer: reg, Timeout: 10 * time.Second})
	if err != nil {
		return RoundTrips{}, err
	}
	defer db.Close(context.WithoutCancel(ctx))
	if err := db.EnsureIndexes(ctx); err != nil {
		return RoundTrips{}, err
	}
	svc := order.NewService(db.Store())
	req := order.PlaceOrder{Customer: order.Customer{Name: "Round Trip", Email: "rt@example.com"}, IdempotencyKey: key}
	for i := range lines {
		p, err := svc.CreateProduct(ctx, order.Product{SKU: fmt.Sprintf("RT-%d", i), Name: "Round trip", Currency: "EUR", PriceCents: 100, Stock: 10})
		if err != nil {
			return RoundTrips{}, err
		}
		req.Lines = append(req.Lines, order.OrderLine{ProductID: p.ID, Quantity: 1})
	}
	before, err := CommandCounts(reg)
	if err != nil {
		return RoundTrips{}, err
	}
	if _, _, err := svc.PlaceOrder(ctx, req); err != nil {
		return RoundTrips{}, fmt.Errorf("place a %d-line order: %w", lines, err)
	}
	after, err := CommandCounts(reg)
	if err != nil {
		return RoundTrips{}, err
	}
	svc.Wait()
	later, err := CommandCounts(reg)
	if err != nil {
		return RoundTrips{}, err
	}
	rt := RoundTrips{Lines: lines, Commands: map[string]int{}, Background: map[string]int{}}
	for cmd, n := range after {
		if d := n - before[cmd]; d > 0 {
			rt.Commands[cmd] = d
			rt.Total += d
		}
	}
	for cmd, n := range later {
		if d := n - after[cmd]; d > 0 {
			rt.Background[cmd] = d
		}
	}
	return rt, nil
}

// CommandCounts sums the adapter's orders_mongodb_commands_total on reg by
// command (every outcome).
func CommandCounts(reg *prometheus.Registry) (map[string]int, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, mf := range mfs {
		if mf.GetName() != "orders_mongodb_commands_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "command" {
					out[l.GetValue()] += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return out, nil
}
