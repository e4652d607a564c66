// Command orders-local runs the order service on this machine with no
// database to install: an embedded FerretDB keeps the data in SQLite files
// under .data/ at the repository root (`make run`), or -store=memory keeps
// it in memory (benchmarks). It prints the URL, the admin token and a curl
// example, then serves until Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "orders-local:", err)
		os.Exit(1)
	}
}
