package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/mongodb"
	"github.com/orderstack/orderstack/backend/internal/mongouri"
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

	cfg, err := app.ConfigFromEnv(getenv, "MONGODB_URL")
	if err != nil {
		return err
	}
	logger := app.NewLogger(stdout, cfg.LogLevel)
	reg := prometheus.NewRegistry()

	open := func() (*mongodb.DB, error) {
		return mongodb.Open(ctx, cfg.MongoURL, mongodb.Options{
			Logger:      logger,
			Registerer:  reg,
			MaxPoolSize: cfg.MongoMaxPoolSize,
			Timeout:     cfg.MongoTimeout,
		})
	}
	// Open does not wait for the server, but resolves a mongodb+srv://
	// name: a name that does not resolve now is retried in the background
	// (unready meanwhile); any other failure is a bad MONGODB_URL.
	db, err := open()
	if err != nil {
		if srvLookupFailure(cfg.MongoURL) == nil {
			// Open's errors carry the URI redacted; say which setting is wrong.
			return fmt.Errorf("MONGODB_URL is not a usable MongoDB connection string: %s", app.OneLine(err.Error()))
		}
		db = nil
	}
	logger.Info("starting", "version", version, "mongodb", mongouri.Redact(cfg.MongoURL), "database", mongouri.DatabaseName(cfg.MongoURL))

	store := &dbStore{}
	if db != nil {
		store.db.Store(db)
	}
	connCtx, stopConnect := context.WithCancel(ctx)
	connected := make(chan struct{})
	go func() {
		defer close(connected)
		store.connect(connCtx, logger, db, open)
	}()
	defer func() {
		stopConnect()
		<-connected
		db := store.db.Load()
		if db == nil {
			return
		}
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if cerr := db.Close(closeCtx); cerr != nil {
			logger.Warn("disconnect mongodb", "error", cerr.Error())
		}
	}()

	return app.Run(ctx, cfg, app.Deps{
		Logger:   logger,
		Store:    store,
		Unready:  store.unready,
		Registry: reg,
		Version:  version,
	})
}

var errUnhealthy = errors.New("unhealthy")
