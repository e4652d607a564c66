package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/local/internal/faultproxy"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// startProxiedDB starts an embedded FerretDB behind a fault proxy and
// returns the proxy and the MONGODB_URL for it.
func startProxiedDB(t *testing.T) (*faultproxy.Proxy, string) {
	t.Helper()
	db, err := localdb.Start(t.Context(), localdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db != nil {
			_ = db.Close()
		}
	})
	proxy, err := faultproxy.Start(db.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	return proxy, "mongodb://" + proxy.Addr() + "/orders"
}

// waitStock polls checkStock until it finds nothing wrong or 30 s pass,
// and reports what is still wrong.
func waitStock(t *testing.T, c *apiClient, base string, products []product, initial int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	began := time.Now()
	for {
		problems := checkStock(t, c, base, products, initial)
		if len(problems) == 0 {
			t.Logf("stock consistent %v after the load", time.Since(began).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			for _, p := range problems {
				t.Error(p)
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestHangUpsKeepStock is the reproduction of issue #11 as a test: a
// client asks for a product's whole stock and hangs up after 20 ms, 40 ms,
// ... 500 ms, against cmd/orders on a database that answers stock updates
// 100 ms late. Whatever moment the hang-up hits, once Recover has run the
// stock plus the units of live orders is the initial stock (before the
// fix, the product ended at 0 with no order holding the units).
func TestHangUpsKeepStock(t *testing.T) {
	skipShort(t)
	t.Parallel()
	proxy, url := startProxiedDB(t)
	srv := start(t, "orders", binary(t, "orders"), nil, append([]string{"MONGODB_URL=" + url, "MONGODB_TIMEOUT=2s"}, recoveryEnv...)...)
	c := newClient()
	const initial = 500
	p := createProduct(t, c, srv.url, "DRAIN", initial)

	proxy.Delay = 100 * time.Millisecond
	proxy.SetRule(func(cmd faultproxy.Command) faultproxy.Action {
		// Every stock update: reservations (findAndModify, returning the
		// product) and reverts (update).
		if (cmd.Name == "findAndModify" || cmd.Name == "update") && cmd.Collection == "products" {
			return faultproxy.DelayReply // a slow database, not a failing one
		}
		return faultproxy.Pass
	})
	answers := map[string]int{}
	for _, ms := range []int{20, 40, 60, 80, 100, 120, 150, 200, 300, 500} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(ms)*time.Millisecond)
		code, _, err := c.do(ctx, "POST", srv.url+"/api/v1/orders", orderRequest(ms, p.ID, initial), false, nil)
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			answers["hung up"]++
		case err != nil:
			t.Fatalf("POST /orders (hang-up after %d ms) = %v", ms, err)
		default:
			answers[strconv.Itoa(code)]++
		}
	}
	proxy.SetRule(nil)
	proxy.Settle()
	t.Logf("answers: %v", answers)
	if answers["hung up"] == 0 {
		t.Fatal("no request was cut by the client: the test proves nothing")
	}
	waitStock(t, c, srv.url, []product{p}, initial)
}

// TestStockModelProcess is the randomised model (storetest.Model) against
// the service as a process: cmd/orders on the embedded FerretDB behind a
// fault proxy that drops, delays, applies late, resets and black-holes
// random commands; clients that place orders (most with an
// Idempotency-Key, retried), cancel them and mark them paid, and hang up
// at random; and kill -9 of the service twice. After healing and Recover:
// stock = initial − Σ quantity over live orders for every product, and
// every order and change a client was answered 2xx for is there.
// MODEL_SEED replays a seed (the faults; scheduling varies).
func TestStockModelProcess(t *testing.T) {
	skipShort(t)
	t.Parallel()
	seed := rand.Uint64()
	if s := os.Getenv("MODEL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if t.Failed() {
			t.Logf("seed %d (rerun: MODEL_SEED=%d)", seed, seed)
		}
	}()
	proxy, url := startProxiedDB(t)
	proxy.Delay = 300 * time.Millisecond
	bin := binary(t, "orders")
	// RECOVERY_GRACE is the lease: > 2 × (MONGODB_TIMEOUT + proxy delay).
	env := []string{"MONGODB_URL=" + url, "MONGODB_TIMEOUT=500ms", "REQUEST_TIMEOUT=1s", "RECOVERY_GRACE=3s", "RECOVERY_INTERVAL=1s"}
	srv := start(t, "orders#0", bin, nil, env...)
	var base atomic.Pointer[string]
	base.Store(&srv.url)
	c := newClient()
	const initial = 300
	var products []product
	for i := range 3 {
		products = append(products, createProduct(t, c, srv.url, fmt.Sprint("MODEL-", i), initial))
	}

	faults := []faultproxy.Action{faultproxy.DropReply, faultproxy.DelayReply, faultproxy.ApplyLate, faultproxy.Reset, faultproxy.BlackHole}
	frng := rand.New(rand.NewPCG(seed, 1))
	var fmu sync.Mutex
	proxy.SetRule(func(faultproxy.Command) faultproxy.Action {
		fmu.Lock()
		defer fmu.Unlock()
		if frng.IntN(100) < 3 {
			return faults[frng.IntN(len(faults))]
		}
		return faultproxy.Pass
	})

	var (
		mu      sync.Mutex
		placed  = map[string]string{} // order id → furthest acknowledged status
		ids     []string
		keys    = map[string]string{}
		answers = map[string]int{}
	)
	ack := func(id, status string) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := placed[id]; !ok {
			ids = append(ids, id)
			placed[id] = "pending"
		}
		if status == "cancelled" || (status == "paid" && placed[id] == "pending") {
			placed[id] = status
		}
	}
	rounds, roundLen := 3, 3*time.Second
	for round := range rounds {
		if round > 0 {
			srv = start(t, fmt.Sprintf("orders#%d", round), bin, nil, env...)
			base.Store(&srv.url)
		}
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(seed, uint64(100*round+w)))
				for n := 0; ctx.Err() == nil; n++ {
					// A quarter of the requests hang up after 0-300 ms.
					rctx, cancel := context.WithCancel(ctx)
					if r.IntN(4) == 0 {
						time.AfterFunc(time.Duration(r.IntN(300))*time.Millisecond, cancel)
					}
					u := *base.Load()
					switch x := r.IntN(10); {
					case x < 6:
						body := orderRequest(n, products[r.IntN(len(products))].ID, 1+r.Int64N(5))
						key := fmt.Sprintf("k-%d-%d-%d", round, w, n)
						for attempt := 0; attempt < 3 && ctx.Err() == nil; attempt++ {
							var o orderJSON
							code, _, err := c.doKey(rctx, "POST", u+"/api/v1/orders", body, key, &o)
							mu.Lock()
							answers[fmt.Sprintf("POST %d", code)]++
							mu.Unlock()
							if err == nil && (code == http.StatusCreated || code == http.StatusOK) {
								mu.Lock()
								if prev, ok := keys[key]; ok && prev != o.ID {
									t.Errorf("key %s answered orders %s and %s", key, prev, o.ID)
								}
								keys[key] = o.ID
								mu.Unlock()
								ack(o.ID, "pending")
								break
							}
							if err == nil && code < 500 && code != http.StatusConflict {
								break
							}
							cancel()
							rctx, cancel = context.WithCancel(ctx) // the retry does not hang up
						}
					default:
						mu.Lock()
						if len(ids) == 0 {
							mu.Unlock()
							break
						}
						id := ids[r.IntN(len(ids))]
						mu.Unlock()
						path, body, to := "/cancel", any(nil), "cancelled"
						if x >= 8 {
							path, body, to = "/status", map[string]string{"status": "paid"}, "paid"
						}
						var o orderJSON
						code, _, err := c.do(rctx, "POST", u+"/api/v1/orders/"+id+path, body, to == "paid", &o)
						mu.Lock()
						answers[fmt.Sprintf("%s %d", to, code)]++
						mu.Unlock()
						if err == nil && code == http.StatusOK {
							if o.Status != to {
								t.Errorf("%s %s = 200 with status %s", path, id, o.Status)
							}
							ack(id, to)
						}
					}
					cancel()
				}
			})
		}
		time.Sleep(roundLen)
		if round < rounds-1 {
			srv.kill9(t)
		}
		stop()
		wg.Wait()
	}
	proxy.SetRule(nil)
	proxy.Settle()
	t.Logf("seed %d: %d orders acknowledged; answers %v", seed, len(placed), answers)
	if len(placed) == 0 {
		t.Fatal("no order was placed: the test proves nothing")
	}
	waitStock(t, c, srv.url, products, initial)
	for id, want := range placed {
		var o orderJSON
		code, raw, err := c.do(t.Context(), "GET", srv.url+"/api/v1/orders/"+id, nil, false, &o)
		switch {
		case err != nil || code != http.StatusOK:
			t.Errorf("order %s was acknowledged; GET = %d %s %v", id, code, raw, err)
		case want == "cancelled" && o.Status != "cancelled",
			want == "paid" && o.Status != "paid" && o.Status != "cancelled":
			t.Errorf("order %s: a change to %s was acknowledged, it is %s", id, want, o.Status)
		}
	}
}
