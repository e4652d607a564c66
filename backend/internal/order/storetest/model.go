package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Model is a randomised test of the stock invariant: concurrent clients
// place orders (retrying with Idempotency-Keys), cancel them and move them
// through their lifecycle, hang up at random, while the store misbehaves
// and several replicas run Recover. After healing and a final Recover,
// for every product
//
//	stock = initial − Σ quantity over live orders (pending, paid, shipped, delivered)
//
// and every order a client was told was placed exists, in a status no
// earlier than the last change it was told succeeded. The seed decides
// every client's and fault's random choices (goroutine scheduling still
// varies); it is printed on failure.
type Model struct {
	// Store is the store every replica uses.
	Store order.Store
	// Services are the replicas; each runs Recover concurrently with the
	// clients. They must share Lease and use a CallTimeout well under it.
	Services []*order.Service
	// Healer runs the final Recover once faults are over (a replica on a
	// sound connection); nil means Services[0].
	Healer *order.Service
	// Lease is the replicas' order.WithLease.
	Lease time.Duration
	// RequestTimeout bounds each client call, like the HTTP layer does.
	RequestTimeout time.Duration
	// Faults starts injecting faults at random, picked with rng; Heal stops
	// them and waits until no write is still in flight.
	Faults func(rng *rand.Rand)
	Heal   func()

	Products int
	Stock    int64
	Clients  int
	Duration time.Duration
}

// SeedFromEnv returns MODEL_SEED if set, else a fresh seed.
func SeedFromEnv(tb testing.TB) uint64 {
	if s := os.Getenv("MODEL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			tb.Fatalf("MODEL_SEED=%q: %v", s, err)
		}
		return n
	}
	return rand.Uint64()
}

// DurationFromEnv returns MODEL_DURATION if set (a Go duration), else def.
func DurationFromEnv(tb testing.TB, def time.Duration) time.Duration {
	if s := os.Getenv("MODEL_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			tb.Fatalf("MODEL_DURATION=%q: %v", s, err)
		}
		return d
	}
	return def
}

// acked is what clients were told about one order.
type acked struct {
	items []order.LineItem
	// minStatus is the furthest status a change to it was acknowledged.
	minStatus order.Status
}

var rank = map[order.Status]int{
	order.StatusPending: 0, order.StatusPaid: 1, order.StatusShipped: 2, order.StatusDelivered: 3, order.StatusCancelled: 4,
}

// Run runs the model with seed and checks the invariant.
func (m Model) Run(t *testing.T, seed uint64) {
	t.Helper()
	ctx := context.Background()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d (rerun: MODEL_SEED=%d): %s", seed, seed, fmt.Sprintf(format, args...))
	}
	healer := m.Healer
	if healer == nil {
		healer = m.Services[0]
	}
	var products []order.Product
	for i := range m.Products {
		p, err := healer.CreateProduct(ctx, order.Product{
			SKU: fmt.Sprintf("MODEL-%d-%d", seed%1000, i), Name: "Model product", PriceCents: 100, Currency: "EUR", Stock: m.Stock,
		})
		if err != nil {
			t.Fatalf("CreateProduct = %v", err)
		}
		products = append(products, p)
	}

	var (
		mu     sync.Mutex
		orders = map[string]*acked{}
		keys   = map[string]string{} // idempotency key → acknowledged order id
		ids    []string
		counts = map[string]int{}
	)
	count := func(what string) { mu.Lock(); counts[what]++; mu.Unlock() }
	ack := func(key string, o order.Order) {
		mu.Lock()
		defer mu.Unlock()
		if key != "" {
			if prev, ok := keys[key]; ok && prev != o.ID {
				fail("key %s acknowledged for orders %s and %s", key, prev, o.ID)
			}
			keys[key] = o.ID
		}
		if _, ok := orders[o.ID]; !ok {
			orders[o.ID] = &acked{items: o.Items, minStatus: order.StatusPending}
			ids = append(ids, o.ID)
		}
	}
	pick := func(rng *rand.Rand) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) == 0 {
			return "", false
		}
		return ids[rng.IntN(len(ids))], true
	}

	rng := rand.New(rand.NewPCG(seed, 0))
	if m.Faults != nil {
		m.Faults(rand.New(rand.NewPCG(seed, 1)))
	}
	stop := make(chan struct{})
	var wg, recovery sync.WaitGroup
	for i, svc := range m.Services {
		recovery.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(100+i)))
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(r.IntN(20)) * time.Millisecond):
				}
				// Bounded like app.Run's periodic pass.
				rctx, cancel := context.WithTimeout(ctx, m.Lease)
				_, _ = svc.Recover(rctx, time.Now().Add(-m.Lease))
				cancel()
			}
		})
	}
	// call runs f on a request context that may hang up at a random moment.
	call := func(r *rand.Rand, f func(ctx context.Context) error) error {
		rctx, cancel := context.WithTimeout(ctx, m.RequestTimeout)
		defer cancel()
		if r.IntN(4) == 0 { // the client hangs up
			hang := time.Duration(r.IntN(2000)) * time.Microsecond
			t := time.AfterFunc(hang, cancel)
			defer t.Stop()
		}
		return f(rctx)
	}
	deadline := time.Now().Add(m.Duration)
	for c := range m.Clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(1000+c)))
			for n := 0; time.Now().Before(deadline); n++ {
				svc := m.Services[r.IntN(len(m.Services))]
				switch x := r.IntN(10); {
				case x < 5:
					req := order.PlaceOrder{Customer: order.Customer{Name: "Model", Email: "model@example.com"}}
					for _, i := range r.Perm(len(products))[:1+r.IntN(min(3, len(products)))] {
						req.Lines = append(req.Lines, order.OrderLine{ProductID: products[i].ID, Quantity: 1 + r.Int64N(5)})
					}
					if r.IntN(10) < 7 {
						req.IdempotencyKey = fmt.Sprintf("k-%d-%d-%d", seed, c, n)
					}
					for attempt := 0; attempt < 4; attempt++ {
						var (
							o       order.Order
							created bool
						)
						err := call(r, func(ctx context.Context) (err error) {
							o, created, err = svc.PlaceOrder(ctx, req)
							return err
						})
						if err == nil {
							ack(req.IdempotencyKey, o)
							count(map[bool]string{true: "placed", false: "replayed"}[created])
							break
						}
						count("place failed")
						if req.IdempotencyKey == "" || errors.Is(err, order.ErrInsufficientStock) {
							break
						}
						svc = m.Services[r.IntN(len(m.Services))] // retry, maybe on another replica
					}
				default:
					id, ok := pick(r)
					if !ok {
						continue
					}
					to := order.StatusCancelled
					if x >= 7 {
						to = []order.Status{order.StatusPaid, order.StatusShipped, order.StatusDelivered}[r.IntN(3)]
					}
					var o order.Order
					err := call(r, func(ctx context.Context) (err error) {
						o, err = svc.SetStatus(ctx, id, to)
						return err
					})
					if err != nil {
						count("status failed")
						continue
					}
					count("status " + string(to))
					if o.Status != to || o.ID != id {
						fail("SetStatus(%s, %s) = %s %s, nil", id, to, o.ID, o.Status)
					}
					mu.Lock()
					if a := orders[id]; rank[to] > rank[a.minStatus] {
						a.minStatus = to
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	recovery.Wait()
	for _, svc := range m.Services {
		svc.Wait()
	}
	if m.Heal != nil {
		m.Heal()
	}
	_ = rng

	// Heal: Recover until a pass finds nothing to do.
	future := time.Now().Add(time.Hour)
	for pass := 0; ; pass++ {
		rep, err := healer.Recover(ctx, future)
		if err != nil {
			t.Fatalf("seed %d: final Recover = %v", seed, err)
		}
		if rep.RolledBack+rep.Released+rep.Orphans+rep.Cleared == 0 {
			if len(rep.Stuck) > 0 {
				fail("stuck after healing: %v", rep.Stuck)
			}
			break
		}
		if pass == 3 {
			fail("Recover still busy after %d passes: %+v", pass+1, rep)
			break
		}
	}
	t.Logf("seed %d: %v", seed, counts)
	m.check(t, fail, products, orders)
}

func (m Model) check(t *testing.T, fail func(string, ...any), products []order.Product, acks map[string]*acked) {
	t.Helper()
	ctx := context.Background()
	if stale, err := m.Store.ListStaleOrders(ctx, time.Now().Add(time.Hour), "", 10); err != nil || len(stale) > 0 {
		fail("after Recover: stale orders %d, %v; want none", len(stale), err)
	}
	if marked, err := m.Store.ListMarkedProducts(ctx, "", 10); err != nil || len(marked) > 0 {
		fail("after Recover: markers %v, %v; want none", marked, err)
	}
	live := map[string]int64{}
	stored := map[string]order.Order{}
	after := ""
	for {
		page, err := m.Store.ListOrders(ctx, order.OrderFilter{After: after, Limit: 100})
		if err != nil {
			t.Fatalf("ListOrders = %v", err)
		}
		if len(page) == 0 {
			break
		}
		for _, o := range page {
			after = o.ID
			stored[o.ID] = o
			// Placed orders carry the lines their confirmation priced (the
			// journal had product ids and quantities only).
			var total int64
			for _, it := range o.Items {
				if it.UnitPriceCents != 100 || it.LineTotalCents != 100*it.Quantity || it.SKU == "" || it.Name == "" {
					fail("order %s (%s) line %+v: not priced from its product", o.ID, o.Status, it)
				}
				total += it.LineTotalCents
			}
			if o.Currency != "EUR" || o.TotalCents != total {
				fail("order %s (%s): %s %d, want EUR %d", o.ID, o.Status, o.Currency, o.TotalCents, total)
			}
			if o.Status == order.StatusCancelled {
				continue
			}
			for _, it := range o.Items {
				live[it.ProductID] += it.Quantity
			}
		}
	}
	for _, p := range products {
		got, err := m.Store.GetProduct(ctx, p.ID)
		if err != nil {
			t.Fatalf("GetProduct = %v", err)
		}
		if want := m.Stock - live[p.ID]; got.Stock != want {
			fail("product %s: stock %d, want %d = %d initial − %d in live orders", p.ID, got.Stock, want, m.Stock, live[p.ID])
		}
	}
	var missing []string
	for id, a := range acks {
		o, ok := stored[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case rank[o.Status] < rank[a.minStatus],
			a.minStatus == order.StatusCancelled && o.Status != order.StatusCancelled,
			o.Status == order.StatusCancelled && rank[a.minStatus] > rank[order.StatusPaid] && a.minStatus != order.StatusCancelled:
			fail("order %s is %s, but a change to %s was acknowledged", id, o.Status, a.minStatus)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		fail("%d acknowledged orders are missing: %v", len(missing), missing)
	}
}
