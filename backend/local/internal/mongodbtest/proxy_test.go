package mongodbtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
	"github.com/orderstack/orderstack/backend/local/internal/faultproxy"
)

// Timeouts of the proxy tests: the adapter's per-operation timeout
// (MONGODB_TIMEOUT), the Service's per-call timeout, and how late the
// proxy delivers a delayed reply or command (beyond both).
const (
	proxyOpTimeout   = 250 * time.Millisecond
	proxyCallTimeout = 300 * time.Millisecond
	proxyDelay       = 500 * time.Millisecond
	// proxyWorkers: cases run this many at a time, each on its own proxy
	// and database (FerretDB's lost updates are per document, and every
	// proxy serialises its own traffic). They mostly wait for timeouts.
	proxyWorkers = 8
)

// startProxy starts a fault proxy in front of the test server.
func startProxy(tb testing.TB) *faultproxy.Proxy {
	tb.Helper()
	p := StartProxy(tb, serverURI)
	p.Delay = proxyDelay
	return p
}

// proxyEnv opens one fresh database twice: through the proxy for the
// Service, directly for setting up and checking.
// The Service's timeouts are the short proxyOpTimeout and proxyCallTimeout,
// or, with patient, long ones: a clean run that only records the commands
// must not fail because a busy machine is slow.
func proxyEnv(tb testing.TB, p *faultproxy.Proxy, patient bool) *storetest.ProtocolEnv {
	tb.Helper()
	opTimeout, callTimeout := proxyOpTimeout, proxyCallTimeout
	if patient {
		opTimeout, callTimeout = 10*time.Second, 10*time.Second
	}
	direct := OpenDB(tb, serverURI, mongodb.Options{MaxPoolSize: 1})
	proxied, err := mongodb.Open(tb.Context(), "mongodb://"+p.Addr()+"/"+direct.Name(), mongodb.Options{Timeout: opTimeout})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { Close(proxied) })
	checkFeatures(tb, proxied)
	svc := order.NewService(proxied.Store(), order.WithLease(time.Minute), order.WithCallTimeout(callTimeout),
		order.WithIdempotencyWait(50*time.Millisecond))
	return storetest.NewProtocolEnv(tb, direct.Store(), svc)
}

// checkFeatures lets the adapter learn, through the proxy and before any
// fault, what the server supports, as EnsureIndexes does when the service
// starts (the indexes exist already: openDB), so that the commands are
// those of production (FerretDB takes no reply projection). A busy machine
// may time the call out: it tries again.
func checkFeatures(tb testing.TB, db *mongodb.DB) {
	tb.Helper()
	for attempt := 1; ; attempt++ {
		err := db.CheckFeatures(tb.Context())
		if err == nil {
			return
		}
		if attempt == 10 {
			tb.Fatalf("CheckFeatures through the proxy = %v", err)
		}
	}
}

// TestProxyFaults is the protocol table test on the real wire protocol:
// the MongoDB adapter talks to FerretDB through faultproxy, and every
// database command that placing, cancelling, marking paid and Recover
// send (storetest.ProtocolCases) gets each fault in turn — the client
// hangs up while it is in flight, its reply is dropped or late, it is
// applied late, the connection is reset, or it is black-holed. After
// healing (faults off, delayed traffic delivered, Recover), the stock
// invariant holds and the client's answer matches what is stored. -short
// runs the placing case only.
func TestProxyFaults(t *testing.T) {
	workers := storetest.NewWorkers(proxyWorkers)
	defer workers.Wait() // then the tables, in the order of the cases
	for _, pc := range storetest.ProtocolCases {
		if testing.Short() && pc.Name != "place" {
			continue
		}
		cmds := cleanRun(t, pc)
		table := make([][]string, len(cmds))
		for i, cmd := range cmds {
			table[i] = make([]string, len(faultproxy.Faults))
			for j, flt := range faultproxy.Faults {
				workers.Run(t, fmt.Sprintf("%s/%s_%s#%d/%s", pc.Name, cmd.Name, cmd.Collection, cmd.N, flt), func(t *testing.T) {
					table[i][j] = runProxyCase(t, pc, cmd, flt)
					// The fault must bite: an order whose journal insert
					// failed is never placed.
					if pc.Name == "place" && cmd.Name == "insert" && table[i][j] == "201" {
						t.Errorf("%s on the journal insert: 201, want a failure (did the proxy inject it?)", flt)
					}
				})
			}
		}
		workers.Then(func() {
			var names, rows []string
			for _, f := range faultproxy.Faults {
				names = append(names, f.String())
			}
			for i, cmd := range cmds {
				row := fmt.Sprintf("%-28s", cmd.String())
				for _, cell := range table[i] {
					row += fmt.Sprintf(" | %-30s", cell)
				}
				rows = append(rows, row)
			}
			t.Logf("%s: command × (%s)\n%s", pc.Name, strings.Join(names, ", "), strings.Join(rows, "\n"))
		})
	}
}

// cleanRun runs pc without faults and returns the commands it sent. A
// busy machine can time a command out on its own; then it tries again.
func cleanRun(t *testing.T, pc storetest.ProtocolCase) []faultproxy.Command {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := startProxy(t)
		env := proxyEnv(t, p, true)
		id := pc.Setup(t, env)
		p.SetRule(nil)
		_, err := pc.Run(context.Background(), env, id)
		if storetest.Expected(err) {
			return p.Commands()
		}
		if attempt == 3 || !order.MaybeApplied(err) {
			t.Fatalf("%s without faults = %v", pc.Name, err)
		}
		t.Logf("%s without faults = %v; again", pc.Name, err)
	}
}

func runProxyCase(t *testing.T, pc storetest.ProtocolCase, cmd faultproxy.Command, flt faultproxy.Action) string {
	p := startProxy(t)
	env := proxyEnv(t, p, false)
	id := pc.Setup(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	p.OnHangUp = cancel
	p.SetRule(func(c faultproxy.Command) faultproxy.Action {
		if c == cmd {
			return flt
		}
		return faultproxy.Pass
	})
	gotID, err := pc.Run(ctx, env, id)
	p.SetRule(nil)
	env.Svc.Wait()
	p.Settle()
	env.Heal(t)
	return env.Outcome(t, pc, id, gotID, err)
}

// TestModelProxy runs the randomised model (storetest.Model) on FerretDB
// with the real adapter, two replicas each with its own client, all
// through one fault proxy that drops, delays, applies late, resets and
// black-holes random commands. MODEL_SEED replays a seed, MODEL_DURATION
// runs longer (make store-model-heavy).
func TestModelProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("randomised model: not in -short")
	}
	// Parallel only with TestUnavailable, which waits and uses no CPU; the
	// package's busy tests (TestProxyFaults, ...) are sequential and
	// done before, so the model does as much work in its 10 s as alone.
	t.Parallel()
	seed := storetest.SeedFromEnv(t)
	p := startProxy(t)
	p.Delay = 300 * time.Millisecond
	direct := OpenDB(t, serverURI, mongodb.Options{MaxPoolSize: 1})
	const lease = 2 * time.Second // > 2 × (call timeout + proxy delay)
	var svcs []*order.Service
	for range 2 {
		db, err := mongodb.Open(t.Context(), "mongodb://"+p.Addr()+"/"+direct.Name(), mongodb.Options{Timeout: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { Close(db) })
		checkFeatures(t, db)
		svcs = append(svcs, order.NewService(db.Store(), order.WithLease(lease),
			order.WithCallTimeout(300*time.Millisecond), order.WithIdempotencyWait(200*time.Millisecond)))
	}
	faults := []faultproxy.Action{faultproxy.DropReply, faultproxy.DelayReply, faultproxy.ApplyLate, faultproxy.Reset, faultproxy.BlackHole}
	storetest.Model{
		Store:          direct.Store(),
		Services:       svcs,
		Healer:         order.NewService(direct.Store()),
		Lease:          lease,
		RequestTimeout: time.Second,
		Faults: func(rng *rand.Rand) {
			var mu sync.Mutex
			p.SetRule(func(faultproxy.Command) faultproxy.Action {
				mu.Lock()
				defer mu.Unlock()
				if rng.IntN(100) < 5 {
					return faults[rng.IntN(len(faults))]
				}
				return faultproxy.Pass
			})
		},
		Heal: func() {
			p.SetRule(nil)
			p.Settle()
		},
		Products: 3,
		Stock:    40,
		Clients:  4,
		Duration: storetest.DurationFromEnv(t, 10*time.Second),
	}.Run(t, seed)
}
