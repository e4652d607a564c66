// Command smoke checks a running deployment of the order service end to end
// through its public API: it waits (bounded, with backoff) until the API
// answers, then creates a product (with an admin token) or picks an existing
// one, places an order, reads it back, cancels it and verifies that the stock
// was restored. It prints one line per step with its duration and exits
// non-zero on the first failure.
//
//	smoke -base-url https://orders.example.com [-admin-token T] [-timeout 5m]
//
// The admin token may also come from the SMOKE_ADMIN_TOKEN environment
// variable, which keeps it out of the process list. The command uses only the
// standard library so that it runs anywhere Go does, against any deployment.
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
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "smoke: %v\n", err)
		os.Exit(1)
	}
}
