package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/orderstack/orderstack/backend/internal/app"
)

// The ceiling scenario: what the service costs per request against the
// least any Go HTTP server could cost on the same machine. The "bare"
// server is this binary re-executed with bareEnv set: a plain net/http
// handler (no router, middleware, metrics, store) that answers the two
// requests with the bytes the service answered them with, on an
// http.Server with the service's own settings, started and seeded like the
// service. Both run pinned to CPU 0 when taskset exists (the client to the
// other CPUs); each round measures the server's CPU time (utime+stime in
// /proc/<pid>/stat) over the requests it answered in a closed-loop run.

const (
	bareEnv        = "LOADTEST_BARE"         // "1": serve the bare handler
	bareProductEnv = "LOADTEST_BARE_PRODUCT" // file: body of GET /api/v1/products/{id}
	bareOrderEnv   = "LOADTEST_BARE_ORDER"   // file: body of POST /api/v1/orders
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports (the kernel's ABI, whatever
// CONFIG_HZ is).
const clockTicks = 100

// runBare serves the bare handler until SIGTERM. It is main's job when
// bareEnv is set.
func runBare(ctx context.Context) error {
	product, err := os.ReadFile(os.Getenv(bareProductEnv))
	if err != nil {
		return err
	}
	placed, err := os.ReadFile(os.Getenv(bareOrderEnv))
	if err != nil {
		return err
	}
	cfg := app.DefaultConfig()
	srv := &http.Server{
		Handler:           bareHandler(product, placed),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT")))
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler answers GET /readyz, GET /api/v1/products/<anything> with
// product and POST /api/v1/orders with placed (201), reading the request
// body first as any real handler must.
func bareHandler(product, placed []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/products/"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(product)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/orders":
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(placed)
		case r.URL.Path == "/readyz":
			_, _ = w.Write([]byte(`{"status":"ready"}`))
		default:
			http.NotFound(w, r)
		}
	})
}

// ceilingRound is one closed-loop run of one scenario on one server.
type ceilingRound struct {
	Requests uint64  // answered 2xx
	Errors   uint64  // the rest
	CPU      float64 // server CPU seconds (user + system) over the run
	Wall     float64 // seconds the run lasted
}

// ceilingResult is the service against the bare handler for one scenario.
type ceilingResult struct {
	Scenario      string
	Goal          float64 // ratio of CPU per request the issue asks for at most
	BodyBytes     int     // size of the response body both servers send
	Service, Bare []ceilingRound
	// Baseline are the rounds of -ceiling-baseline (another orders-local
	// build, e.g. before a change), measured in the same rotation.
	Baseline []ceilingRound
}

// cpuPerRequest is the server's CPU µs per answered request over rounds.
func cpuPerRequest(rs []ceilingRound) float64 {
	var cpu float64
	var n uint64
	for _, r := range rs {
		cpu, n = cpu+r.CPU, n+r.Requests
	}
	if n == 0 {
		return 0
	}
	return cpu / float64(n) * 1e6
}

// medianRate is the median of the rounds' answered requests per second.
func medianRate(rs []ceilingRound) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		if r.Wall > 0 {
			v[i] = float64(r.Requests) / r.Wall
		}
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// Ratio is the service's CPU per request over the bare handler's.
func (c ceilingResult) Ratio() float64 {
	b := cpuPerRequest(c.Bare)
	if b == 0 {
		return 0
	}
	return cpuPerRequest(c.Service) / b
}

// BaselineRatio is the baseline's CPU per request over the bare handler's;
// 0 without a baseline.
func (c ceilingResult) BaselineRatio() float64 {
	b := cpuPerRequest(c.Bare)
	if b == 0 || len(c.Baseline) == 0 {
		return 0
	}
	return cpuPerRequest(c.Baseline) / b
}

// procCPU returns utime+stime of pid (all its threads), in seconds.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat
// line. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted after its last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no ')' in %q", stat)
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name, want ≥ 13", len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc stat: %w", err)
	}
	return float64(utime+stime) / clockTicks, nil
}

// pinning returns the argv prefix that pins a server to CPU 0, and pins
// this process (every thread: vegeta's workers) to the other CPUs; unpin
// gives this process every CPU back. No taskset or one CPU: no pinning.
func pinning() (prefix []string, unpin func(), note string) {
	ts, err := exec.LookPath("taskset")
	n := runtime.NumCPU()
	if err != nil || n < 2 {
		return nil, func() {}, "not pinned (no taskset or one CPU): client and server share every CPU"
	}
	self := strconv.Itoa(os.Getpid())
	if out, err := exec.Command(ts, "-a", "-p", "-c", fmt.Sprintf("1-%d", n-1), self).CombinedOutput(); err != nil {
		return nil, func() {}, fmt.Sprintf("not pinned (taskset: %v %s)", err, bytes.TrimSpace(out))
	}
	unpin = func() { _ = exec.Command(ts, "-a", "-p", "-c", fmt.Sprintf("0-%d", n-1), self).Run() }
	return []string{ts, "-c", "0"}, unpin, fmt.Sprintf("server pinned to CPU 0 (`taskset -c 0`), client to CPUs 1-%d", n-1)
}

// measureCeiling runs rounds × {service, bare} × {product-read,
// order-create}, alternating the servers so that changing load on the
// machine falls on both alike.
func measureCeiling(ctx context.Context, o config, bin, tmp string, stdout io.Writer) ([]ceilingResult, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	prefix, unpin, note := pinning()
	defer unpin()
	fmt.Fprintf(stdout, "ceiling: %s\n", note)

	// The bodies the bare server sends: the service's own answers.
	svc, err := startProcess(ctx, append(slices.Clone(prefix), bin, "-store", "memory", "-data", filepath.Join(tmp, "ceiling-probe")), nil, 60*time.Second)
	if err != nil {
		return nil, "", err
	}
	ids, err := seedProducts(ctx, svc.baseURL, svc.token, o.products)
	var product, placed []byte
	if err == nil {
		product, placed, err = sampleBodies(ctx, svc.baseURL, ids[0])
	}
	_ = svc.stop()
	if err != nil {
		return nil, "", err
	}
	productFile, orderFile := filepath.Join(tmp, "bare-product.json"), filepath.Join(tmp, "bare-order.json")
	if err := errors.Join(os.WriteFile(productFile, product, 0o600), os.WriteFile(orderFile, placed, 0o600)); err != nil {
		return nil, "", err
	}

	results := []ceilingResult{
		{Scenario: "product-read", Goal: 1.15, BodyBytes: len(product)},
		{Scenario: "order-create", Goal: 1.6, BodyBytes: len(placed)},
	}
	kinds := []string{"service", "bare"}
	if o.ceilingBaseline != "" {
		kinds = append(kinds, "baseline")
	}
	for round := range o.ceilingRounds {
		for k := range kinds {
			kind := kinds[(k+round)%len(kinds)] // each round starts with the next server
			var argv, env []string
			switch kind {
			case "service", "baseline":
				b := bin
				if kind == "baseline" {
					b = o.ceilingBaseline
				}
				argv = append(slices.Clone(prefix), b, "-store", "memory", "-data", filepath.Join(tmp, fmt.Sprintf("ceiling-%s-%d", kind, round)))
			case "bare":
				argv = append(slices.Clone(prefix), self)
				env = []string{bareEnv + "=1", bareProductEnv + "=" + productFile, bareOrderEnv + "=" + orderFile}
			}
			s, err := startProcess(ctx, argv, env, 60*time.Second)
			if err != nil {
				return nil, "", err
			}
			ids, err := seedProducts(ctx, s.baseURL, s.token, o.products)
			if kind == "bare" { // the bare server ignores ids; any will do
				ids, err = []string{"0123456789abcdef01234567"}, nil
			}
			for i := range results {
				if err != nil {
					break
				}
				var r ceilingRound
				r, err = ceilingRun(s, scenarioNamed(results[i].Scenario).targeter(s.baseURL, ids), o)
				switch kind {
				case "service":
					results[i].Service = append(results[i].Service, r)
				case "bare":
					results[i].Bare = append(results[i].Bare, r)
				case "baseline":
					results[i].Baseline = append(results[i].Baseline, r)
				}
				fmt.Fprintf(stdout, "[ceiling %d] %-12s %-8s %7d ok  %6d errors  %7.0f req/s  %6.1f µs CPU/req\n",
					round+1, results[i].Scenario, kind, r.Requests, r.Errors, float64(r.Requests)/r.Wall, r.CPU/float64(max(r.Requests, 1))*1e6)
			}
			if stopErr := s.stop(); err == nil && stopErr != nil {
				err = stopErr
			}
			if err != nil {
				return nil, "", err
			}
		}
	}
	return results, note, nil
}

// ceilingRun drives s closed-loop for o.ceilingDuration and reads its CPU
// time before and after.
func ceilingRun(s *server, tr vegeta.Targeter, o config) (ceilingRound, error) {
	pid := s.cmd.Process.Pid
	before, err := procCPU(pid)
	if err != nil {
		return ceilingRound{}, err
	}
	began := time.Now()
	m := attack(tr, 0, uint64(o.workers), o.ceilingDuration)
	wall := time.Since(began).Seconds()
	after, err := procCPU(pid)
	if err != nil {
		return ceilingRound{}, err
	}
	r := toResult("", "", 0, m)
	return ceilingRound{Requests: r.Requests - r.Errors, Errors: r.Errors, CPU: after - before, Wall: wall}, nil
}

// sampleBodies fetches the body the service answers a product read with,
// and the body of one placed order.
func sampleBodies(ctx context.Context, baseURL, productID string) (product, placed []byte, err error) {
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(req *http.Request, want int) ([]byte, error) {
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s %s = %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
		}
		return b, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/products/"+productID, nil)
	if err != nil {
		return nil, nil, err
	}
	if product, err = get(req, http.StatusOK); err != nil {
		return nil, nil, err
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/orders", bytes.NewReader(orderBody(0, productID)))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	placed, err = get(req, http.StatusCreated)
	return product, placed, err
}

func scenarioNamed(name string) scenario {
	for _, sc := range scenarios {
		if sc.name == name {
			return sc
		}
	}
	panic("no scenario " + name)
}
