// Command loadtest measures the order service on this machine: it builds
// cmd/orders-local, starts it in each store mode (-store ferretdb: the
// embedded FerretDB on SQLite, the whole local path; -store memory: the
// in-memory store, the service's own overhead), and drives it with vegeta
// (as a library) at fixed rates and closed-loop at full speed. For each
// scenario it prints requests/s, p50/p95/p99 latency, errors and the
// server's peak RSS, plus the time from exec to the first 200 on /readyz.
// It also measures the same operations through the MongoDB driver directly
// on the same embedded store, so the service's overhead is a ratio, and the
// size of the production binary.
//
// `make bench` runs it and writes the tables into docs/benchmarks.md
// between the loadtest markers. Loopback only; every phase is bounded.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv(bareEnv) == "1" { // re-executed as the ceiling scenario's bare server
		if err := runBare(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest bare server:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}
