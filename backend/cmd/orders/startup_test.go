package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSRVLookupFailureKeepsRetrying: a mongodb+srv:// name that does not
// resolve at start (here: under .invalid, which never resolves) is not a
// configuration error. The service listens, stays unready (/readyz 503),
// logs the DNS failure without the password, keeps retrying, and stops
// cleanly on cancel.
func TestSRVLookupFailureKeepsRetrying(t *testing.T) {
	logs := &logWatch{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(map[string]string{
			"MONGODB_URL":          "mongodb+srv://app:hunter2@orders-db.invalid/shop",
			"HOST":                 "127.0.0.1",
			"PORT":                 "0",
			"METRICS_PORT":         "0",
			"SHUTDOWN_DRAIN_DELAY": "0s",
		}), logs, io.Discard)
	}()

	var api string
	retries := 0
	for deadline := time.Now().Add(60 * time.Second); api == "" || retries < 2; {
		retries = 0
		for _, l := range logs.lines() {
			switch l["msg"] {
			case "listening":
				api = "http://" + l["api"].(string)
			case "mongodb not usable yet; retrying":
				retries++
				if e, _ := l["error"].(string); !strings.Contains(e, "orders-db.invalid") {
					t.Errorf("retry log does not name the lookup that failed: %v", l)
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run() = %v, want it to keep running while the SRV name does not resolve\n%s", err, logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: listening at %q, %d retries logged; want both, 2 or more retries\n%s", api, retries, logs)
		}
	}
	resp, err := http.Get(api + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while the SRV name does not resolve = %d, want 503", resp.StatusCode)
	}
	resp, err = http.Get(api + "/api/v1/products")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /api/v1/products while the SRV name does not resolve = %d, want 503", resp.StatusCode)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("logs leak the password:\n%s", logs)
	}

	stopRun(t, stop, done)
}

// TestRunReportsEveryBadSetting: run() refuses to start with one line that
// names every bad setting, MONGODB_URL included, and never the password.
func TestRunReportsEveryBadSetting(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"MONGODB_URL": "nope", "PORT": "x"}, []string{"MONGODB_URL", "PORT"}},
		{map[string]string{"MONGODB_URL": "mongodb://u:hunter2@bad host/x", "LOG_LEVEL": "loud", "MONGODB_TIMEOUT": "1"}, []string{"MONGODB_URL", `"bad host"`, "LOG_LEVEL", "MONGODB_TIMEOUT"}},
		{map[string]string{"PORT": "x"}, []string{"MONGODB_URL is required", "PORT"}},
	} {
		logs := &logWatch{}
		err := run(context.Background(), nil, env(tt.env), logs, io.Discard)
		if err == nil {
			t.Errorf("run(%v) = nil, want an error", tt.env)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("run(%v) = %q, want it to name %s", tt.env, err, w)
			}
		}
		if msg := err.Error() + logs.String(); strings.Contains(msg, "hunter2") || strings.Contains(err.Error(), "\n") {
			t.Errorf("run(%v) = %q (logs %q): want one line, no password", tt.env, err, logs)
		}
	}
}

// TestHealthcheckReadsPortThroughTheTable: orders healthcheck parses PORT
// with the server's own parser (a bad value names PORT) and refuses PORT=0
// without -url (the server picked some free port; there is nothing to
// guess), instead of probing port 0.
func TestHealthcheckReadsPortThroughTheTable(t *testing.T) {
	ctx := context.Background()
	for port, want := range map[string]string{"http": "PORT", "70000": "PORT", "0": "-url"} {
		err := run(ctx, []string{"healthcheck"}, env(map[string]string{"PORT": port}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("healthcheck with PORT=%s = %v, want an error naming %s", port, err, want)
		}
	}
}
