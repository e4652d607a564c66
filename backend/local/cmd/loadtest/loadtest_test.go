package main

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/internal/app"
	"github.com/orderstack/orderstack/backend/internal/memstore"
	"github.com/orderstack/orderstack/backend/local/internal/mongodbtest"
)

// startInProcess runs the service on the in-memory store on a free
// loopback port until the test ends and returns its base URL.
func startInProcess(tb testing.TB) string {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.Host, cfg.Port, cfg.MetricsPort, cfg.ShutdownDrainDelay = "127.0.0.1", 0, 0, 0
	cfg.AdminToken = "t"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan app.Addrs, 1)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, app.Deps{Store: memstore.New(), Ready: ready}) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("app.Run = %v", err)
		}
	})
	select {
	case a := <-ready:
		return "http://" + a.API
	case err := <-done:
		tb.Fatalf("app.Run = %v", err)
	case <-time.After(10 * time.Second):
		tb.Fatal("service not ready after 10s")
	}
	return ""
}

// Every scenario sends requests the service accepts: at a fixed rate for a
// second, each one is answered 2xx, and about the rate asked for is sent.
func TestScenariosAreValidRequests(t *testing.T) {
	base := startInProcess(t)
	ids, err := seedProducts(t.Context(), base, "t", 5)
	if err != nil {
		t.Fatal(err)
	}
	// Paced by time, a second each: side by side (subtests started from
	// goroutines, not bounded by -parallel).
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, sc := range scenarios {
		wg.Go(func() {
			t.Run(sc.name, func(t *testing.T) {
				m := attack(sc.targeter(base, ids), 50, 1, time.Second)
				r := toResult("memory", sc.name, 50, m)
				// vegeta paces by elapsed time: a hit more or less at the edges.
				if r.Requests < 45 || r.Requests > 51 || r.Errors != 0 {
					t.Errorf("%s at 50/s for 1s: %d requests, %d errors (%s), want about 50 and 0", sc.name, r.Requests, r.Errors, codesString(r.Codes))
				}
				if r.P50 <= 0 || r.P99 < r.P50 {
					t.Errorf("%s: p50 %v, p99 %v: want 0 < p50 <= p99", sc.name, r.P50, r.P99)
				}
			})
		})
	}
}

// The closed-loop mode keeps exactly `workers` requests in flight and
// reports the successes per second it reached.
func TestAttackClosedLoop(t *testing.T) {
	base := startInProcess(t)
	ids, err := seedProducts(t.Context(), base, "t", 2)
	if err != nil {
		t.Fatal(err)
	}
	r := toResult("memory", "product-read", 0, attack(productRead(base, ids), 0, 2, 500*time.Millisecond))
	if r.Requests < 10 || r.Errors != 0 || r.Achieved <= 0 {
		t.Errorf("closed loop: %d requests, %d errors, %.0f ok/s; want >= 10, 0, > 0", r.Requests, r.Errors, r.Achieved)
	}
}

// A failing answer counts as an error, with its status code kept.
func TestErrorsCounted(t *testing.T) {
	base := startInProcess(t)
	r := toResult("memory", "product-read", 20, attack(productRead(base, []string{"000000000000000000000000"}), 20, 1, 500*time.Millisecond))
	if r.Errors != r.Requests || r.Requests == 0 || r.Codes["404"] != int(r.Requests) {
		t.Errorf("reads of a missing product: %d requests, %d errors, codes %v; want all 404 errors", r.Requests, r.Errors, r.Codes)
	}
}

func TestPeakRSS(t *testing.T) {
	pid := os.Getpid()
	if err := resetPeakRSS(pid); err != nil {
		t.Fatalf("resetPeakRSS: %v", err)
	}
	rss, err := peakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 || rss > 8<<30 {
		t.Errorf("peakRSS(self) = %d bytes, want between 1 MiB and 8 GiB", rss)
	}
	if _, err := peakRSS(1 << 30); err == nil {
		t.Error("peakRSS(no such pid) = nil error")
	}
}

func TestReplaceBetween(t *testing.T) {
	doc := "# B\n\nintro\n" + beginMarker + "\nold\ntable\n" + endMarker + "\n\nafter\n"
	got, err := replaceBetween(doc, "new\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# B\n\nintro\n" + beginMarker + "\nnew\n" + endMarker + "\n\nafter\n"
	if got != want {
		t.Errorf("replaceBetween = %q, want %q", got, want)
	}
	for _, bad := range []string{
		"no markers",
		beginMarker + " only",
		endMarker + "\n" + beginMarker,
		beginMarker + beginMarker + endMarker,
	} {
		if _, err := replaceBetween(bad, "x"); err == nil {
			t.Errorf("replaceBetween(%q) = nil error, want one", bad)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.stores, ",") != "memory,ferretdb" || len(o.rates) != 2 || o.rates[0] != 500 || o.rates[1] != 1000 || len(o.ferretRates) != 2 || o.duration != 5*time.Second || o.ferretWorkers != 20 || len(o.scenarios) != 4 {
		t.Errorf("defaults = %+v, want stores memory,ferretdb, rates 500,1000, 5s, 20 FerretDB buyers, 4 scenarios", o)
	}
	for _, args := range [][]string{
		{"-store", "postgres"},
		{"-rates", "0"},
		{"-rates", "fast"},
		{"-ferretdb-rates", "0"},
		{"-duration", "0s"},
		{"-duration", "1h"},
		{"-workers", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) = nil error, want one", args)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	o, _ := parseFlags(nil, io.Discard)
	rep := report{
		Machine: machine{CPUs: 2, CPUModel: "Test CPU", GoVersion: "go1.x", Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), LoadAvg: "1 / 1 / 1"},
		Options: o, Ready: map[string][]time.Duration{"memory": {30 * time.Millisecond, 12 * time.Millisecond, 10 * time.Millisecond}}, IdleRSS: map[string]int64{"memory": 20 << 20},
		Results: []result{
			{Store: "memory", Scenario: "product-read", Rate: 1000, Requests: 10000, Achieved: 1000, P50: 300 * time.Microsecond, P99: 2 * time.Millisecond, PeakRSS: 30 << 20},
			{Store: "ferretdb", Scenario: "product-read", Rate: 0, Workers: 8, Requests: 3000, Achieved: 600, Errors: 2, Codes: map[string]int{"200": 2998, "0": 2}},
		},
		Driver:     []driverResult{{Op: "FindOne", PerSec: 1200, P50: time.Millisecond}},
		BinarySize: 12 << 20,
		RoundTrips: []mongodbtest.RoundTrips{{Lines: 1, Total: 3, Commands: map[string]int{"update": 2, "find": 1}}},
		Ceiling: []ceilingResult{{Scenario: "product-read", Goal: 1.15, BodyBytes: 264,
			Service: []ceilingRound{{Requests: 1000, CPU: 0.06, Wall: 1}}, Bare: []ceilingRound{{Requests: 1000, CPU: 0.05, Wall: 1, Errors: 2}}}},
		CeilingNote: "pinned",
	}
	md := renderMarkdown(rep)
	for _, want := range []string{
		"2 CPUs (`nproc`), Test CPU, go1.x",
		"| memory | 3 | 12.00 ms | 30.00 ms | 20.0 MB |",
		"**12.0 MB**",
		"| memory | product-read | 1000/s | 10000 | 1000 | 0.30 | 0.00 | 2.00 | 0.00 | 0 | 30.0 MB |",
		"ferretdb product-read max/8c: transport-error:2 200:2998",
		"| FindOne | 1200 | 1.00 | 0.00 | product-read | 600 | 0.50 |",
		"| 1 line(s) | 3 | find 1, update 2 |",
		"| product-read | 264 | 60.0 | 50.0 | **1.20×** | ≤ 1.15× (not met) | 1000 | 1000 | 2 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestLocalStoreGoal: the verdict on #14's local-store goal follows the
// closed-loop order-create run on FerretDB: the rate, and any 503.
func TestLocalStoreGoal(t *testing.T) {
	run := func(achieved float64, codes map[string]int) []result {
		return []result{
			{Store: "memory", Scenario: "order-create", Workers: 8, Achieved: 5000, Codes: map[string]int{"201": 1}},
			{Store: "ferretdb", Scenario: "order-create", Rate: 20, Achieved: 20, Codes: map[string]int{"201": 100}},
			{Store: "ferretdb", Scenario: "order-create", Workers: 20, Achieved: achieved, Codes: codes},
		}
	}
	for _, c := range []struct {
		name    string
		results []result
		want    string
	}{
		{"met", run(150, map[string]int{"201": 1500}), "**150 orders/s** at 20 concurrent buyers (`order-create max/20c`, status codes 201:1500); goal ≥ 135 orders/s (3 × the 30–45 before #14) with no 503: met."},
		{"slow", run(16, map[string]int{"201": 101}), "**16 orders/s** at 20 concurrent buyers (`order-create max/20c`, status codes 201:101); goal ≥ 135 orders/s (3 × the 30–45 before #14) with no 503: not met."},
		{"503", run(140, map[string]int{"201": 1400, "503": 3}), "with no 503: not met: 3 × 503."},
		{"no run", run(0, nil)[:2], ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := localStoreGoal(c.results)
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("localStoreGoal = %q, want it to contain %q", got, c.want)
			}
		})
	}
}
