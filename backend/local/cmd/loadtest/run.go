package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderstack/orderstack/backend/local/internal/localdb"
	"github.com/orderstack/orderstack/backend/local/internal/mongodbtest"
)

type config struct {
	backendDir      string
	stores          []string
	rates           []int
	ferretRates     []int
	duration        time.Duration
	maxDuration     time.Duration
	workers         int
	ferretWorkers   int
	driverDuration  time.Duration
	products        int
	docs            string
	bin             string
	goBench         bool
	roundTrips      bool
	scenarios       []scenario
	ceilingRounds   int
	ceilingDuration time.Duration
	ceilingBaseline string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o config
	var stores, rates, ferretRates, scens string
	fs.StringVar(&o.backendDir, "backend", "..", "the backend module directory (to build local/cmd/orders-local and cmd/orders, and run the httpapi benchmarks)")
	fs.StringVar(&stores, "store", "memory,ferretdb", "store modes to measure, comma-separated: memory, ferretdb; empty: none")
	fs.StringVar(&rates, "rates", "500,1000", "fixed request rates per second of -store memory, comma-separated")
	fs.StringVar(&ferretRates, "ferretdb-rates", "20,100", "fixed request rates per second of -store ferretdb (serialised SQLite: far lower), comma-separated")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each fixed-rate run")
	fs.DurationVar(&o.maxDuration, "max-duration", 5*time.Second, "length of each closed-loop (full speed) run; 0 skips them")
	fs.IntVar(&o.workers, "workers", 8, "concurrent clients of the closed-loop runs (and of the ceiling scenario)")
	fs.IntVar(&o.ferretWorkers, "ferretdb-workers", 20, "concurrent clients of -store ferretdb's closed-loop runs (#14: the local store's order rate at 20 concurrent buyers)")
	fs.DurationVar(&o.driverDuration, "driver-duration", 3*time.Second, "length of each raw-driver measurement; 0 skips them")
	fs.IntVar(&o.products, "products", 100, "products seeded before the runs")
	fs.StringVar(&o.docs, "docs", "", "markdown file whose loadtest markers receive the tables (e.g. ../docs/benchmarks.md); empty: print only")
	fs.StringVar(&o.bin, "bin", "", "a prebuilt orders-local binary (default: build one)")
	fs.BoolVar(&o.goBench, "gobench", false, "also run the httpapi go test benchmarks (decode+validate, handlers on the in-memory store, writeError) and include them")
	fs.StringVar(&scens, "scenarios", "product-read,product-list,order-create,mixed", "scenarios of the store runs, comma-separated")
	fs.BoolVar(&o.roundTrips, "roundtrips", true, "count the database commands of a 1-line and a 5-line order on the embedded FerretDB (driver command monitor)")
	fs.IntVar(&o.ceilingRounds, "ceiling-rounds", 3, "rounds of the ceiling scenario (service against a bare net/http handler, alternating); 0 skips it")
	fs.DurationVar(&o.ceilingDuration, "ceiling-duration", 3*time.Second, "length of each closed-loop run of the ceiling scenario")
	fs.StringVar(&o.ceilingBaseline, "ceiling-baseline", "", "an orders-local binary to measure in the ceiling scenario's rotation too (e.g. a build from before a change), reported beside the service")
	err := fs.Parse(args)
	if err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for s := range strings.SplitSeq(stores, ",") {
		if s == "" && stores == "" {
			break // -store '': no store runs (the ceiling scenario alone, say)
		}
		if s != "memory" && s != "ferretdb" {
			return config{}, fmt.Errorf("-store: %q is not memory or ferretdb", s)
		}
		o.stores = append(o.stores, s)
	}
	for name := range strings.SplitSeq(scens, ",") {
		i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.name == name })
		if i < 0 {
			return config{}, fmt.Errorf("-scenarios: no scenario %q", name)
		}
		o.scenarios = append(o.scenarios, scenarios[i])
	}
	if o.rates, err = parseRates("-rates", rates); err != nil {
		return config{}, err
	}
	if o.ferretRates, err = parseRates("-ferretdb-rates", ferretRates); err != nil {
		return config{}, err
	}
	switch {
	case o.duration <= 0 || o.duration > 5*time.Minute:
		return config{}, errors.New("-duration must be from 1ns to 5m")
	case o.maxDuration < 0 || o.maxDuration > 5*time.Minute:
		return config{}, errors.New("-max-duration must be from 0 to 5m")
	case o.workers < 1 || o.workers > 1000 || o.ferretWorkers < 1 || o.ferretWorkers > 1000:
		return config{}, errors.New("-workers and -ferretdb-workers must be from 1 to 1000")
	case o.ceilingRounds < 0 || o.ceilingRounds > 20:
		return config{}, errors.New("-ceiling-rounds must be from 0 to 20")
	case o.ceilingDuration <= 0 || o.ceilingDuration > time.Minute:
		return config{}, errors.New("-ceiling-duration must be from 1ns to 1m")
	case o.products < 1 || o.products > 10_000:
		return config{}, errors.New("-products must be from 1 to 10000")
	}
	return o, nil
}

func parseRates(flag, list string) ([]int, error) {
	var out []int
	for r := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n < 1 || n > 100_000 {
			return nil, fmt.Errorf("%s: %q is not a rate from 1 to 100000", flag, r)
		}
		out = append(out, n)
	}
	return out, nil
}

// report is everything one run measured.
type report struct {
	Machine     machine
	Options     config
	Ready       map[string][]time.Duration // store → exec to first 200 on /readyz, one per start
	IdleRSS     map[string]int64           // store → largest VmHWM right after seeding
	Results     []result
	Driver      []driverResult
	BinarySize  int64  // bytes of the stripped production binary; 0 if not built
	GoBench     string // output of the httpapi benchmarks, if run
	RoundTrips  []mongodbtest.RoundTrips
	Ceiling     []ceilingResult
	CeilingNote string // how client and server were placed on the CPUs
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := report{Machine: describeMachine(), Options: o, Ready: map[string][]time.Duration{}, IdleRSS: map[string]int64{}}
	fmt.Fprintf(stdout, "machine: %s\n", rep.Machine)

	bin := o.bin
	if bin == "" {
		fmt.Fprintln(stdout, "building local/cmd/orders-local ...")
		if bin, err = buildBinary(ctx, o.backendDir, tmp, "./local/cmd/orders-local"); err != nil {
			return err
		}
	}
	if size, err := productionBinarySize(ctx, o.backendDir, tmp); err != nil {
		fmt.Fprintf(stderr, "production binary size not measured: %v\n", err)
	} else {
		rep.BinarySize = size
		fmt.Fprintf(stdout, "production binary (scripts/build.sh: static, -trimpath, -s -w): %.1f MB\n", mb(size))
	}

	if o.ceilingRounds > 0 {
		fmt.Fprintln(stdout, "ceiling: the service against a bare net/http handler ...")
		if rep.Ceiling, rep.CeilingNote, err = measureCeiling(ctx, o, bin, tmp, stdout); err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		for _, c := range rep.Ceiling {
			fmt.Fprintf(stdout, "  %-12s service %.1f µs CPU/req, bare %.1f µs: %.2f× (goal ≤ %.2f×)",
				c.Scenario, cpuPerRequest(c.Service), cpuPerRequest(c.Bare), c.Ratio(), c.Goal)
			if len(c.Baseline) > 0 {
				fmt.Fprintf(stdout, "; baseline %.1f µs: %.2f×", cpuPerRequest(c.Baseline), c.BaselineRatio())
			}
			fmt.Fprintln(stdout)
		}
	}
	for _, store := range o.stores {
		if err := measureStore(ctx, o, bin, store, filepath.Join(tmp, "data-"+store), &rep, stdout); err != nil {
			return fmt.Errorf("store %s: %w", store, err)
		}
	}
	if o.driverDuration > 0 {
		fmt.Fprintln(stdout, "raw driver on the embedded FerretDB ...")
		if rep.Driver, err = driverBench(ctx, filepath.Join(tmp, "data-driver"), o.driverDuration); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		for _, d := range rep.Driver {
			fmt.Fprintf(stdout, "  %-50s %8.0f ops/s  p50 %v  p99 %v\n", d.Op, d.PerSec, d.P50, d.P99)
		}
	}

	if o.roundTrips {
		fmt.Fprintln(stdout, "database round trips per order (driver command monitor, embedded FerretDB) ...")
		if rep.RoundTrips, err = countRoundTrips(ctx, filepath.Join(tmp, "data-roundtrips")); err != nil {
			return fmt.Errorf("round trips: %w", err)
		}
		for _, rt := range rep.RoundTrips {
			fmt.Fprintf(stdout, "  %d-line order: %d round trips %v\n", rt.Lines, rt.Total, rt.Commands)
		}
	}

	if o.goBench {
		fmt.Fprintln(stdout, "go test -bench ./internal/httpapi/ ...")
		if rep.GoBench, err = goBench(ctx, o.backendDir); err != nil {
			return err
		}
	}

	md := renderMarkdown(rep)
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, md)
	if o.docs != "" {
		if err := updateMarkers(o.docs, md); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote the tables into %s\n", o.docs)
	}
	return nil
}

// measureStore runs every scenario at every rate of the store, each run on
// a fresh server (new process, new data, seeded anew): a saturated run
// leaves work behind (on the serialised local store, the rollbacks of
// orders whose clients gave up), and the in-memory store keeps every
// order, so sharing one server would charge one run for another.
func measureStore(ctx context.Context, o config, bin, store, dataDir string, rep *report, stdout io.Writer) error {
	rates, workers := o.rates, o.workers
	if store == "ferretdb" {
		rates, workers = o.ferretRates, o.ferretWorkers
	}
	runs := make([]int, 0, len(rates)+1)
	runs = append(runs, rates...)
	if o.maxDuration > 0 {
		runs = append(runs, 0)
	}
	n := 0
	for _, sc := range o.scenarios {
		for _, rate := range runs {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			r, err := measureRun(ctx, o, bin, store, filepath.Join(dataDir, strconv.Itoa(n)), sc, rate, workers, rep)
			if err != nil {
				return fmt.Errorf("%s at %s: %w", sc.name, rateLabel(rate, workers), err)
			}
			rep.Results = append(rep.Results, r)
			fmt.Fprintf(stdout, "[%s] %-12s %-6s %6d req  %7.0f ok/s  p50 %-10v p95 %-10v p99 %-10v errors %d  RSS %.1f MB  %s\n",
				store, sc.name, rateLabel(rate, workers), r.Requests, r.Achieved, r.P50.Round(time.Microsecond),
				r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Errors, mb(r.PeakRSS), codesString(r.Codes))
		}
	}
	return nil
}

func measureRun(ctx context.Context, o config, bin, store, dataDir string, sc scenario, rate, workers int, rep *report) (result, error) {
	s, err := startServer(ctx, bin, store, dataDir, 60*time.Second)
	if err != nil {
		return result{}, err
	}
	defer s.stop()
	rep.Ready[store] = append(rep.Ready[store], s.readyTook)
	ids, err := seedProducts(ctx, s.baseURL, s.token, o.products)
	if err != nil {
		return result{}, err
	}
	pid := s.cmd.Process.Pid
	rss, err := peakRSS(pid)
	if err != nil {
		return result{}, err
	}
	rep.IdleRSS[store] = max(rep.IdleRSS[store], rss)
	if err := resetPeakRSS(pid); err != nil {
		return result{}, fmt.Errorf("reset peak RSS: %w", err)
	}
	du := o.duration
	if rate == 0 {
		du = o.maxDuration
	}
	r := toResult(store, sc.name, rate, attack(sc.targeter(s.baseURL, ids), rate, uint64(workers), du))
	r.Workers = workers
	if r.PeakRSS, err = peakRSS(pid); err != nil {
		return result{}, err
	}
	return r, nil
}

// productionBinarySize builds cmd/orders exactly as `make build` and the
// image do (scripts/build.sh) and returns its size.
func productionBinarySize(ctx context.Context, backendDir, tmp string) (int64, error) {
	out := filepath.Join(tmp, "orders")
	cmd := exec.CommandContext(ctx, "sh", "scripts/build.sh", out)
	cmd.Dir = backendDir
	cmd.Env = append(os.Environ(), "VERSION=loadtest")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("scripts/build.sh: %w\n%s", err, b)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func rateLabel(rate, workers int) string {
	if rate == 0 {
		return fmt.Sprintf("max/%dc", workers)
	}
	return strconv.Itoa(rate) + "/s"
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// countRoundTrips counts the commands of a 1-line and a 5-line order on a
// fresh embedded FerretDB.
func countRoundTrips(ctx context.Context, dataDir string) ([]mongodbtest.RoundTrips, error) {
	srv, err := localdb.Start(ctx, localdb.Config{Dir: dataDir})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	var out []mongodbtest.RoundTrips
	for _, lines := range []int{1, 5} {
		rt, err := mongodbtest.CountRoundTrips(ctx, srv.URI(), lines)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// goBench runs the httpapi benchmarks and keeps their result lines.
func goBench(ctx context.Context, backendDir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", "1s", "./internal/httpapi/")
	cmd.Dir = backendDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go test -bench ./internal/httpapi/: %w\n%s", err, out)
	}
	var keep []string
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") {
			keep = append(keep, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(keep, "\n"), nil
}
