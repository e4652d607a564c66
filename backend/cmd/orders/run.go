package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// run is the whole program: main only wires signals and the exit code.
// It reads top to bottom in start order: config → logger → MongoDB →
// metrics → server → wait → shutdown → disconnect.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, args[1:], getenv, stderr)
	}
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (the only subcommand is healthcheck)", fs.Args())
	}
	if *showVersion {
		fmt.Fprintln(stdout, "orders", version)
		return nil
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := app.NewLogger(stdout, cfg.app.LogLevel)
	reg := prometheus.NewRegistry()

	db, err := mongodb.Open(ctx, cfg.mongoURL, mongodb.Options{
		Logger:      logger,
		Registerer:  reg,
		MaxPoolSize: cfg.mongoPoolSize,
		Timeout:     cfg.mongoTimeout,
	})
	if err != nil {
		// Open's errors carry the URI redacted; say which setting is wrong.
		return fmt.Errorf("MONGODB_URL is not a usable MongoDB connection string: %s", oneLine(err.Error()))
	}
	logger.Info("starting", "version", version, "mongodb", mongodb.Redact(cfg.mongoURL), "database", db.Name())
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if cerr := db.Close(closeCtx); cerr != nil {
			logger.Warn("disconnect mongodb", "error", cerr.Error())
		}
	}()

	store := &indexedStore{Store: db.Store()}
	idxCtx, stopIndexes := context.WithCancel(ctx)
	defer stopIndexes()
	go store.ensureIndexes(idxCtx, logger, db.EnsureIndexes)

	return app.Run(ctx, cfg.app, app.Deps{
		Logger:   logger,
		Store:    store,
		Registry: reg,
		Version:  version,
	})
}

// indexedStore is not ready (Ping fails, so /readyz is 503 and no traffic
// comes) until the unique indexes the store relies on exist. The service
// still starts with the database down and creates them once it is up.
type indexedStore struct {
	order.Store
	indexed atomic.Bool
}

var errNoIndexes = fmt.Errorf("indexes not created yet: %w", order.ErrUnavailable)

func (s *indexedStore) Ping(ctx context.Context) error {
	if !s.indexed.Load() {
		return errNoIndexes
	}
	return s.Store.Ping(ctx)
}

// ensureIndexes retries ensure with backoff (0.5 s doubling to 30 s) until
// it succeeds or ctx ends.
func (s *indexedStore) ensureIndexes(ctx context.Context, logger *slog.Logger, ensure func(context.Context) error) {
	wait := 500 * time.Millisecond
	for {
		err := ensure(ctx)
		if err == nil {
			s.indexed.Store(true)
			logger.Info("mongodb indexes ready")
			return
		}
		if ctx.Err() != nil {
			return
		}
		logger.Warn("create mongodb indexes; retrying", "error", err.Error(), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

var errUnhealthy = errors.New("unhealthy")
