package order_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/internal/order/storetest"
)

// hangUp is the client hanging up just before the call: not a store fault,
// but run in the same table.
const hangUp = storetest.Fault(-1)

func newProtoEnv(tb testing.TB) (*storetest.ProtocolEnv, *storetest.Faulty) {
	mem := memstore.New()
	faulty := storetest.NewFaulty(mem)
	faulty.LateDelay = 5 * time.Millisecond
	svc := order.NewService(faulty, order.WithLease(time.Minute), order.WithCallTimeout(50*time.Millisecond),
		order.WithIdempotencyWait(20*time.Millisecond))
	return storetest.NewProtocolEnv(tb, mem, svc), faulty
}

// protoWorkers: protocol cases run this many at a time, each on its own
// memstore and Service. They mostly wait (the marker sweep, call timeouts
// of black-holed calls), so they overlap well beyond the cores.
const protoWorkers = 16

// TestProtocolFaults runs every use case (storetest.ProtocolCases) on the
// in-memory store with each fault on each of its store calls, one at a
// time, then heals (faults off, late writes landed, Recover) and checks the
// invariant and the client's answer. The wire-protocol twin, through a
// fault-injecting TCP proxy to FerretDB, is
// backend/local/internal/mongodbtest.TestProxyFaults.
func TestProtocolFaults(t *testing.T) {
	t.Parallel()
	faults := append([]storetest.Fault{hangUp}, storetest.Faults...)
	workers := storetest.NewWorkers(protoWorkers)
	defer workers.Wait() // then the tables, in the order of the cases
	for _, pc := range storetest.ProtocolCases {
		// A clean run tells which calls the use case makes.
		env, faulty := newProtoEnv(t)
		id := pc.Setup(t, env)
		faulty.SetPlan(nil)
		if _, err := pc.Run(context.Background(), env, id); !storetest.Expected(err) {
			t.Fatalf("%s without faults = %v", pc.Name, err)
		}
		calls := faulty.Calls()
		table := make([][]string, len(calls))
		for i, call := range calls {
			table[i] = make([]string, len(faults))
			for j, flt := range faults {
				workers.Run(t, fmt.Sprintf("%s/%s#%d/%s", pc.Name, call.Op, call.N, faultName(flt)), func(t *testing.T) {
					got := runProtocolCase(t, pc, call, flt)
					table[i][j] = got
					// The fault must bite: an order whose journal insert
					// failed is never placed.
					if pc.Name == "place" && call.Op == "CreateOrder" && got == "201" {
						t.Errorf("%s on CreateOrder: 201, want a failure (was it injected?)", faultName(flt))
					}
				})
			}
		}
		workers.Then(func() {
			var rows []string
			for i, call := range calls {
				row := fmt.Sprintf("%-28s", fmt.Sprintf("%s #%d", call.Op, call.N))
				for _, got := range table[i] {
					row += fmt.Sprintf(" | %-28s", got)
				}
				rows = append(rows, row)
			}
			t.Logf("%s: call × (%s)\n%s", pc.Name, strings.Join(faultNames(faults), ", "), strings.Join(rows, "\n"))
		})
	}
}

func faultName(f storetest.Fault) string {
	if f == hangUp {
		return "hang-up"
	}
	return f.String()
}

func faultNames(fs []storetest.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, faultName(f))
	}
	return out
}

// runProtocolCase runs pc with flt on call and returns the outcome.
func runProtocolCase(t *testing.T, pc storetest.ProtocolCase, call storetest.Call, flt storetest.Fault) string {
	env, faulty := newProtoEnv(t)
	id := pc.Setup(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	faulty.SetPlan(func(c storetest.Call) storetest.Fault {
		if c != call {
			return storetest.NoFault
		}
		if flt == hangUp {
			cancel()
			return storetest.NoFault
		}
		return flt
	})
	gotID, err := pc.Run(ctx, env, id)
	faulty.SetPlan(nil)
	env.Svc.Wait() // work the request left running may still meet faults
	faulty.Settle()
	env.Heal(t)
	return env.Outcome(t, pc, id, gotID, err)
}
