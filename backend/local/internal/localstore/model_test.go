package localstore

import (
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// TestModel runs the randomised stock model (order/storetest.Model: the
// stock invariant and every acknowledged order, checked after healing) on
// the local store, behind a Faulty wrapper that refuses calls, loses
// replies, applies calls late and black-holes them at random: the
// reservation protocol keeps its guarantees on the read-then-write store.
// MODEL_SEED replays a seed, MODEL_DURATION runs longer.
func TestModel(t *testing.T) {
	if testing.Short() {
		t.Skip("randomised model: not in -short")
	}
	seed := storetest.SeedFromEnv(t)
	s := open(t)
	faulty := storetest.NewFaulty(s)
	const lease = 2 * time.Second
	var svcs []*order.Service
	for range 2 {
		svcs = append(svcs, order.NewService(faulty,
			order.WithLease(lease), order.WithCallTimeout(300*time.Millisecond), order.WithIdempotencyWait(200*time.Millisecond)))
	}
	faults, heal := faulty.RandomFaults(8)
	storetest.Model{
		Store:          s,
		Services:       svcs,
		Lease:          lease,
		RequestTimeout: time.Second,
		Faults:         faults,
		Heal:           heal,
		Products:       3,
		Stock:          40,
		Clients:        4,
		Duration:       storetest.DurationFromEnv(t, 6*time.Second),
	}.Run(t, seed)
}
