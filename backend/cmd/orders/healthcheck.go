package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/orderstack/orderstack/backend/internal/app"
)

// healthcheck is `orders healthcheck [-url URL] [-timeout D]`: nil (exit 0)
// when URL answers 200, an error (exit 1) otherwise. It lets `helm test`
// and distroless images, which have no shell or curl, probe the service.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	// PORT is read through the service's settings table, so the default
	// and the parser are the server's own.
	cfg, err := app.SettingFromEnv(getenv, "PORT")
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	fs := flag.NewFlagSet("orders healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:"+strconv.Itoa(cfg.Port)+"/readyz", "URL that must answer 200")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected arguments %q", fs.Args())
	}
	if cfg.Port == 0 && !isFlagSet(fs, "url") {
		return errors.New("healthcheck: PORT=0 picks a free port at start; pass -url")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: -url %q: %w", *url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w: %w", errUnhealthy, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %w: %s answered %s", errUnhealthy, *url, resp.Status)
	}
	return nil
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
