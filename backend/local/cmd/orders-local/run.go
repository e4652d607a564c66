package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/mongouri"
	"github.com/orderstack/orderstack/backend/internal/order"
	"github.com/orderstack/orderstack/backend/local/internal/localdb"
	"github.com/orderstack/orderstack/backend/local/internal/localstore"
)

// dbTimeout bounds each database operation. Short, so that with the
// database gone an API call answers 503 in well under 2 s; FerretDB on
// SQLite answers a single-document command in milliseconds.
const dbTimeout = 1500 * time.Millisecond

// localHost is where orders-local listens unless HOST says otherwise.
const localHost = "127.0.0.1"

// options are the command-line flags.
type options struct {
	dataDir string // -data
	seed    bool   // -seed
	store   string // -store: ferretdb or memory
	dbAddr  string // -db-addr: where the embedded FerretDB listens
}

// hooks let tests reach inside a running service; run uses none.
type hooks struct {
	// ready receives the API and metrics addresses once serving.
	ready chan<- app.Addrs
	// db receives the embedded FerretDB once started (fault tests stop it).
	db func(*localdb.Server)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	if getenv("SHUTDOWN_DRAIN_DELAY") == "" {
		cfg.ShutdownDrainDelay = 0 // no load balancer to drain locally: Ctrl-C stops at once
	}
	if getenv("HOST") == "" {
		// This machine only: the banner prints an admin token. HOST=0.0.0.0
		// (or an interface's address) opens it.
		cfg.Host = localHost
	}
	return serve(ctx, opts, cfg, stdout, hooks{})
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("orders-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dataDir, "data", "", "directory for the embedded database's files (default: .data/ferretdb at the repository root)")
	fs.BoolVar(&o.seed, "seed", false, "add demo products (skipping SKUs that exist)")
	fs.StringVar(&o.store, "store", "ferretdb", "where data lives: ferretdb (embedded, on disk) or memory (lost on exit)")
	fs.StringVar(&o.dbAddr, "db-addr", "127.0.0.1:0", "address of the embedded FerretDB, for mongosh (default: a free port)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.store != "ferretdb" && o.store != "memory" {
		return options{}, fmt.Errorf("-store=%q: must be ferretdb or memory", o.store)
	}
	if o.dataDir == "" {
		o.dataDir = defaultDataDir()
	}
	return o, nil
}

// defaultDataDir is .data/ferretdb at the repository root (the directory
// holding go.work, found upwards from the working directory), so that
// `make run` from the root and `go run` from backend/ share the data.
func defaultDataDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join(".data", "ferretdb")
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, ".data", "ferretdb")
		}
		if filepath.Dir(dir) == dir {
			return filepath.Join(wd, ".data", "ferretdb")
		}
	}
}

func serve(ctx context.Context, opts options, cfg app.Config, stdout io.Writer, h hooks) (err error) {
	logger := app.NewLogger(stdout, cfg.LogLevel)
	generated := cfg.AdminToken == ""
	if generated {
		cfg.AdminToken = newToken()
	}
	reg := prometheus.NewRegistry()

	var store order.Store
	storeDesc := "memory (data is lost on exit)"
	switch opts.store {
	case "memory":
		store = memstore.New()
	case "ferretdb":
		srv, err := localdb.Start(ctx, localdb.Config{
			Dir:  opts.dataDir,
			Addr: opts.dbAddr,
			// FerretDB is chatty (it logs every refused command as a warning):
			// only its errors, unless LOG_LEVEL=debug.
			Logger: app.NewLogger(stdout, ferretLevel(cfg.LogLevel)).With("component", "ferretdb"),
		})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, srv.Close()) }()
		if h.db != nil {
			h.db(srv)
		}
		uri := srv.URI() + mongouri.DefaultDatabase
		db, err := mongodb.Open(ctx, uri, mongodb.Options{
			Logger:     logger,
			Registerer: reg,
			// One connection: the serialising decorator below never runs two
			// operations at once, so a second one would only sit idle.
			MaxPoolSize: 1,
			Timeout:     dbTimeout,
		})
		if err != nil {
			return err
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			err = errors.Join(err, db.Close(closeCtx))
		}()
		if err := db.EnsureIndexes(ctx); err != nil {
			return err
		}
		// FerretDB 1.x loses concurrent updates and scans a collection for
		// any filter but {_id}: the local store runs one call at a time
		// (serial) and turns conditional writes and lists into reads and
		// writes by _id and SQLite index lookups (docs/local-store.md).
		ls, closeIdx, err := localstore.New(ctx, db, opts.dataDir)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, closeIdx()) }()
		store = ls
		storeDesc = fmt.Sprintf("embedded FerretDB, files in %s, %s", opts.dataDir, uri)
	}

	if opts.seed {
		n, err := seed(ctx, store)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		logger.Info("seeded demo products", "added", n)
	}

	ready := make(chan app.Addrs, 1)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case a := <-ready:
			printBanner(stdout, a, storeDesc, cfg.AdminToken, generated)
			if h.ready != nil {
				h.ready <- a
			}
		case <-runCtx.Done():
		}
	}()
	return app.Run(ctx, cfg, app.Deps{
		Logger:   logger,
		Store:    store,
		Registry: reg,
		Version:  version,
		Ready:    ready,
	})
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// localURL turns a listener address (maybe [::]:3000) into a URL to click.
func localURL(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	return "http://localhost:" + port
}

// printBanner tells a human where the service is and prints commands that
// work as pasted into a POSIX shell, bash or zsh (a test runs them through
// sh). The token is shown only when generated for this run; one from
// ADMIN_TOKEN stays unprinted, and the commands then read it from the
// shell's environment. The SKU is new on every run, so the example never
// collides with a product made earlier in the same data directory.
func printBanner(w io.Writer, a app.Addrs, storeDesc, token string, generated bool) {
	api := localURL(a.API)
	shown := "(from ADMIN_TOKEN)"
	try := "Try (in a shell where ADMIN_TOKEN is set):\n"
	if generated {
		shown = token
		try = "Try (paste into a shell):\n  export ADMIN_TOKEN=" + token + "\n"
	}
	sku := "DEMO-" + newToken()[:6]
	fmt.Fprintf(w, `
orders-local is serving on %s (HOST=0.0.0.0 make run to open it to other machines)
  API:         %s/api/v1   (health: %s/healthz, %s/readyz)
  metrics:     %s/metrics
  store:       %s
  Admin token: %s
%s  curl -s -X POST %s/api/v1/products -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"sku":"%s","name":"Mug","priceCents":1200,"currency":"EUR","stock":10}'
  curl -s %s/api/v1/products

`, listenHost(a.API), api, api, api, localURL(a.Metrics), storeDesc, shown, try, api, sku, api)
}

// listenHost is the interface of a listener address, for the banner.
func listenHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "::" || host == "0.0.0.0" || host == "" {
		return "all interfaces"
	}
	return host
}

func ferretLevel(l slog.Level) slog.Level {
	if l <= slog.LevelDebug {
		return l
	}
	return slog.LevelError
}
