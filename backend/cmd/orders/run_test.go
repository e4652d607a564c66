package main

import (
	"github.com/orderstack/orderstack/backend/internal/syncbuf"

	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // substrings of the error
		notWant []string // must not appear in the error or output
	}{
		{"missing MONGODB_URL", nil, []string{"MONGODB_URL is required"}, nil},
		{"blank MONGODB_URL", map[string]string{"MONGODB_URL": "  "}, []string{"MONGODB_URL is required"}, nil},
		{"not a mongodb url", map[string]string{"MONGODB_URL": "postgres://admin:hunter2@db:5432/x"},
			[]string{"MONGODB_URL"}, []string{"hunter2"}},
		{"bad port with password", map[string]string{"MONGODB_URL": "mongodb://admin:hunter2@db:notaport/orders"},
			[]string{"MONGODB_URL"}, []string{"hunter2"}},
		{"bad option with password", map[string]string{"MONGODB_URL": "mongodb://admin:s3cr%40t@db/orders?maxPoolSize=lots&password=x9"},
			[]string{"MONGODB_URL"}, []string{"s3cr", "x9"}},
		{"bad PORT", map[string]string{"MONGODB_URL": "mongodb://db/orders", "PORT": "http"}, []string{"PORT"}, nil},
		{"bad LOG_LEVEL", map[string]string{"MONGODB_URL": "mongodb://db/orders", "LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}, nil},
		{"bad MONGODB_TIMEOUT", map[string]string{"MONGODB_URL": "mongodb://db/orders", "MONGODB_TIMEOUT": "1"}, []string{"MONGODB_TIMEOUT"}, nil},
		{"bad MONGODB_MAX_POOL_SIZE", map[string]string{"MONGODB_URL": "mongodb://db/orders", "MONGODB_MAX_POOL_SIZE": "-1"}, []string{"MONGODB_MAX_POOL_SIZE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, nil, env(tt.env), &stdout, &stderr)
			if err == nil {
				t.Fatal("run() = nil, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("run() error spans lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("run() = %q, want it to mention %q", msg, w)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(msg+stdout.String()+stderr.String(), nw) {
					t.Errorf("run() error or output leaks %q: %q %q", nw, msg, stdout.String())
				}
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, env(nil), &stdout, io.Discard); err != nil {
		t.Fatalf("run(-version) = %v", err)
	}
	if got, want := stdout.String(), "orders dev\n"; got != want {
		t.Errorf("run(-version) printed %q, want %q", got, want)
	}
	if err := run(context.Background(), []string{"serve"}, env(nil), io.Discard, io.Discard); err == nil {
		t.Error("run(serve) = nil, want an error for the unknown argument")
	}
}

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer ts.Close()
	port := ts.URL[strings.LastIndexByte(ts.URL, ':')+1:]
	ctx := context.Background()

	if err := run(ctx, []string{"healthcheck", "-url", ts.URL + "/readyz"}, env(nil), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck on a 200 = %v, want nil", err)
	}
	// Default URL: 127.0.0.1:$PORT/readyz.
	if err := run(ctx, []string{"healthcheck"}, env(map[string]string{"PORT": port}), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck with PORT=%s = %v, want nil", port, err)
	}
	status = http.StatusServiceUnavailable
	err := run(ctx, []string{"healthcheck", "-url", ts.URL + "/readyz"}, env(nil), io.Discard, io.Discard)
	if !errors.Is(err, errUnhealthy) || !strings.Contains(err.Error(), "503") {
		t.Errorf("healthcheck on a 503 = %v, want unhealthy naming 503", err)
	}
	ts.Close()
	if err := run(ctx, []string{"healthcheck", "-url", ts.URL + "/readyz", "-timeout", "1s"}, env(nil), io.Discard, io.Discard); !errors.Is(err, errUnhealthy) {
		t.Errorf("healthcheck on a closed server = %v, want unhealthy", err)
	}
}

// TestNoFerretDBInProductionBinary: the embedded database is for `make
// run` and vegeta for `make bench`, both in the backend/local module; neither
// may be linked into cmd/orders. The list is made the
// way scripts/build.sh and the Dockerfile build, with GOWORK=off, so this
// also fails when backend/go.sum lacks an entry the release build needs.
func TestNoFerretDBInProductionBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GOWORK=off go list -deps (as the release build): %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages; want the full list:\n%s", len(deps), out)
	}
	for _, want := range []string{"github.com/orderstack/orderstack/backend/internal/mongodb", "go.mongodb.org/mongo-driver/v2/mongo"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("deps of cmd/orders lack %s: is the list right?", want)
		}
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/FerretDB/") || strings.HasPrefix(d, "github.com/tsenart/vegeta") ||
			strings.HasPrefix(d, "github.com/orderstack/orderstack/backend/local/") || strings.HasSuffix(d, "/internal/memstore") {
			t.Errorf("cmd/orders links %s", d)
		}
	}
}

// stopRun cancels run()'s context and waits for it to return nil.
func stopRun(t *testing.T, stop func(), done <-chan error) {
	t.Helper()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run() after cancel = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run() did not return after its context was cancelled")
	}
}

// logWatch collects run()'s JSON log lines and finds the "listening" one.
type logWatch struct{ syncbuf.Buffer }

func (l *logWatch) lines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestRunEndToEnd runs the binary's run() against the MongoDB server of
// TEST_MONGODB_URL (CI: a mongod container; make test-store: the embedded
// FerretDB, started by backend/local/internal/mongodbtest), waits for
// /readyz, drives product → order → cancel, then stops it. Without
// TEST_MONGODB_URL it skips.
func TestRunEndToEnd(t *testing.T) {
	server := os.Getenv("TEST_MONGODB_URL")
	if server == "" {
		t.Skip("needs TEST_MONGODB_URL (make test-store runs it on the embedded FerretDB)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("TEST_MONGODB_URL: %v", err)
	}
	// A database of its own on the shared server (an ephemeral one: the
	// CI container or FerretDB in a temporary directory).
	database := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	u.Path = "/" + database

	const token = "e2e-admin-token"
	logs := &logWatch{}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, nil, env(map[string]string{
			"MONGODB_URL":          u.String(),
			"HOST":                 "127.0.0.1",
			"PORT":                 "0",
			"METRICS_PORT":         "0",
			"ADMIN_TOKEN":          token,
			"SHUTDOWN_DRAIN_DELAY": "100ms",
			"SHUTDOWN_TIMEOUT":     "5s",
		}), logs, io.Discard)
	}()

	var api, metrics string
	for api == "" {
		for _, l := range logs.lines() {
			if l["msg"] == "listening" {
				api, metrics = "http://"+l["api"].(string), "http://"+l["metrics"].(string)
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run() returned early: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	waitReady(t, api+"/readyz")
	started := false
	for _, l := range logs.lines() {
		if l["msg"] == "starting" {
			started = true
			if l["database"] != database || strings.Contains(fmt.Sprint(l["mongodb"]), "@") {
				t.Errorf("start log = %v, want database %s (from the URI path) and a redacted URI", l, database)
			}
		}
	}
	if !started {
		t.Errorf("no start log line:\n%s", logs)
	}

	c := &client{t: t, base: api, token: token}
	var p struct {
		ID    string `json:"id"`
		Stock int64  `json:"stock"`
	}
	c.do("POST", "/api/v1/products", `{"sku":"E2E-1","name":"Mug","priceCents":1200,"currency":"EUR","stock":5}`, true, http.StatusCreated, &p)
	var o struct {
		ID, Status string
		TotalCents int64
	}
	c.do("POST", "/api/v1/orders", `{"customer":{"name":"Ada","email":"ada@example.com"},"items":[{"productId":"`+p.ID+`","quantity":2}]}`, false, http.StatusCreated, &o)
	if o.TotalCents != 2400 || o.Status != "pending" {
		t.Errorf("order = %+v, want total 2400 pending", o)
	}
	c.do("GET", "/api/v1/products/"+p.ID, "", false, http.StatusOK, &p)
	if p.Stock != 3 {
		t.Errorf("stock after order = %d, want 3", p.Stock)
	}
	c.do("POST", "/api/v1/orders/"+o.ID+"/cancel", "", false, http.StatusOK, &o)
	c.do("GET", "/api/v1/products/"+p.ID, "", false, http.StatusOK, &p)
	if o.Status != "cancelled" || p.Stock != 5 {
		t.Errorf("after cancel: order %s, stock %d; want cancelled, 5", o.Status, p.Stock)
	}
	var body string
	c.do("GET", "/metrics", "", false, http.StatusOK, &body, metrics)
	for _, m := range []string{"orders_orders_created_total 1", "orders_build_info{version=\"dev\"} 1", "orders_mongodb_commands_total", "go_goroutines"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
	// The metrics docs/development.md promises (and the chart's alerts and
	// dashboard are checked against) are exactly the orders_* families served.
	if diff := cmp.Diff(documentedMetrics(t), servedMetrics(body, "orders_")); diff != "" {
		t.Errorf("orders_* metrics: docs/development.md (-) vs /metrics (+):\n%s", diff)
	}

	stopRun(t, stop, done)
	if logs := logs.String(); !strings.Contains(logs, "shut down cleanly") || strings.Contains(logs, token) {
		t.Errorf("logs: want a clean shutdown and no admin token:\n%s", logs)
	}
}

func waitReady(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after 30s (last: %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type client struct {
	t     testing.TB
	base  string
	token string
}

// do sends a request and decodes the answer into out (a *string gets the
// raw body). base overrides the API address.
func (c *client) do(method, path, body string, admin bool, want int, out any, base ...string) {
	c.t.Helper()
	u := c.base
	if len(base) > 0 {
		u = base[0]
	}
	r, err := http.NewRequest(method, u+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if admin {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if s, ok := out.(*string); ok {
		*s = string(b)
		return
	}
	if err := json.Unmarshal(b, out); err != nil {
		c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
	}
}

// documentedMetrics returns the metric names in the table of
// docs/development.md (rows starting with "| `orders_").
func documentedMetrics(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "development.md"))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `orders_"); ok {
			names = append(names, "orders_"+rest[:strings.IndexByte(rest, '`')])
		}
	}
	if len(names) == 0 {
		tb.Fatal("no metrics table in docs/development.md")
	}
	slices.Sort(names)
	return names
}

// servedMetrics returns the metric families with prefix named by # TYPE
// lines of a Prometheus text exposition.
func servedMetrics(exposition, prefix string) []string {
	var names []string
	for _, line := range strings.Split(exposition, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" && strings.HasPrefix(f[2], prefix) {
			names = append(names, f[2])
		}
	}
	slices.Sort(names)
	return names
}
