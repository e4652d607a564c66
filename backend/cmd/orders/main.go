// Command orders is the order service's production binary. It needs
// MONGODB_URL; every other setting has a default (docs/config.md).
//
//	orders                          serve until SIGTERM or SIGINT
//	orders -version                 print the version
//	orders healthcheck [-url URL]   exit 0 if URL (default /readyz on PORT) answers 200
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=..." (scripts/build.sh).
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}
