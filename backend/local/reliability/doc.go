// Package reliability holds the service's crash, restart and outage tests
// (all in _test.go files; this package has no code of its own). They build
// cmd/orders-local and cmd/orders, run them as separate processes on
// loopback and do to them what production does: kill -9 mid-write, SIGTERM
// behind a load balancer, a database that goes away and comes back.
// docs/reliability.md describes each test and what it proves.
//
// `go test -short` skips them; RELIABILITY_HEAVY=1 (make
// reliability-heavy) runs them longer and harder.
package reliability
