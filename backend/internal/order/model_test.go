package order_test

import (
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// modelWorkers: model rounds run this many at a time, each on its own
// memstore: a round mostly waits (call timeouts, late writes, the clients'
// hang-ups), so each does as much work side by side as alone.
const modelWorkers = 4

// TestModelMemstore runs the randomised model (storetest.Model) on the
// in-memory store, atomic like MongoDB, behind a Faulty wrapper that
// refuses calls, loses replies, applies writes late and black-holes calls
// at random: rounds of 2 s, one seed each, for 8 s of model time in all,
// modelWorkers rounds at a time. MODEL_SEED replays a seed; MODEL_DURATION
// sets the model time (make store-model-heavy). After a failed round no
// new round starts.
func TestModelMemstore(t *testing.T) {
	if testing.Short() {
		t.Skip("randomised model: not in -short")
	}
	t.Parallel()
	seed := storetest.SeedFromEnv(t)
	total := storetest.DurationFromEnv(t, 8*time.Second)
	const round = 2 * time.Second
	sem := make(chan struct{}, modelWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; time.Duration(i)*round < total; i++ {
		sem <- struct{}{}
		if t.Failed() {
			break
		}
		s := seed + uint64(i)
		wg.Go(func() {
			defer func() { <-sem }()
			t.Run("seed", func(t *testing.T) { runMemModel(t, s, round) })
		})
	}
}

func runMemModel(t *testing.T, seed uint64, d time.Duration) {
	mem := memstore.New()
	faulty := storetest.NewFaulty(mem)
	faulty.LateDelay = 10 * time.Millisecond
	const lease = 300 * time.Millisecond
	var svcs []*order.Service
	for range 2 {
		svcs = append(svcs, order.NewService(faulty,
			order.WithLease(lease), order.WithCallTimeout(30*time.Millisecond), order.WithIdempotencyWait(50*time.Millisecond)))
	}
	faults, heal := faulty.RandomFaults(8)
	storetest.Model{
		Store:          mem,
		Services:       svcs,
		Lease:          lease,
		RequestTimeout: 80 * time.Millisecond,
		Faults:         faults,
		Heal:           heal,
		Products:       4,
		Stock:          60,
		Clients:        6,
		Duration:       d,
	}.Run(t, seed)
}
