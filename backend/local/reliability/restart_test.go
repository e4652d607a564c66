package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// pollInterval is how often the test's load balancer probes /readyz, as
// a Kubernetes readiness probe with periodSeconds would; a backend leaves
// after failureThreshold failed probes in a row, as the chart's
// readinessProbe.failureThreshold (2) says: one probe lost on a starved
// machine does not take a healthy backend out.
const (
	pollInterval     = 100 * time.Millisecond
	failureThreshold = 2
)

// balancer is a small reverse proxy that, like a Kubernetes Service
// backed by readiness probes, sends requests round-robin to the backends
// whose /readyz last answered 200.
type balancer struct {
	mu       sync.Mutex
	backends []*lbBackend
	next     int
	noneUp   atomic.Int64 // requests that found no ready backend
}

type lbBackend struct {
	name   string
	url    string
	proxy  *httputil.ReverseProxy
	ready  atomic.Bool
	served atomic.Int64
	fails  int // failed probes in a row (the probe goroutine's)
}

func (b *balancer) add(name, rawURL string) {
	u, _ := url.Parse(rawURL)
	be := &lbBackend{name: name, url: rawURL, proxy: httputil.NewSingleHostReverseProxy(u)}
	be.proxy.ErrorLog = nil
	b.mu.Lock()
	b.backends = append(b.backends, be)
	b.mu.Unlock()
}

// probe runs until ctx ends, checking every backend's /readyz. A probe
// may take up to 1 s (Kubernetes' default timeoutSeconds), so a busy
// machine does not fail a healthy backend.
func (b *balancer) probe(ctx context.Context) {
	client := &http.Client{Timeout: time.Second}
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		b.mu.Lock()
		bs := append([]*lbBackend(nil), b.backends...)
		b.mu.Unlock()
		for _, be := range bs {
			resp, err := client.Get(be.url + "/readyz")
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				resp.Body.Close()
			}
			if ok {
				be.fails = 0
				be.ready.Store(true)
			} else if be.fails++; be.fails >= failureThreshold {
				be.ready.Store(false)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	var pick *lbBackend
	for range b.backends {
		be := b.backends[b.next%len(b.backends)]
		b.next++
		if be.ready.Load() {
			pick = be
			break
		}
	}
	b.mu.Unlock()
	if pick == nil {
		b.noneUp.Add(1)
		http.Error(w, "no ready backend", http.StatusServiceUnavailable)
		return
	}
	pick.served.Add(1)
	pick.proxy.ServeHTTP(w, r)
}

// TestZeroDowntimeRestart runs two cmd/orders processes on one embedded
// FerretDB behind a readiness-probing load balancer, keeps a steady load
// of product reads and order creations on it, and restarts one instance
// with SIGTERM the way a rolling update does: no request may fail. It
// relies on SHUTDOWN_DRAIN_DELAY (1 s, longer than the 100 ms probe
// interval): /readyz turns 503 at once, the balancer stops routing there,
// and only then does the listener close. Heavy mode restarts both, in turn,
// under twice the rate for longer.
func TestZeroDowntimeRestart(t *testing.T) {
	skipShort(t)
	t.Parallel()
	bin := binary(t, "orders")
	db, err := localdb.Start(t.Context(), localdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	env := []string{
		"MONGODB_URL=" + db.URI() + "orders", "MONGODB_TIMEOUT=2s", "MONGODB_MAX_POOL_SIZE=2",
		"SHUTDOWN_DRAIN_DELAY=1s", "SHUTDOWN_TIMEOUT=5s",
	}
	rate, duration, restarts := 50, 5*time.Second, 1
	if heavy() {
		rate, duration, restarts = 100, 15*time.Second, 2
	}

	inst := []*proc{start(t, "orders-a", bin, nil, env...), start(t, "orders-b", bin, nil, env...)}
	lb := &balancer{}
	for _, p := range inst {
		lb.add(p.name, p.url)
	}
	probeCtx, stopProbe := context.WithCancel(t.Context())
	defer stopProbe()
	go lb.probe(probeCtx)
	front := httptest.NewServer(lb)
	defer front.Close()

	c := newClient()
	var products []product
	for i := range 5 {
		products = append(products, createProduct(t, c, inst[0].url, fmt.Sprint("ZDT-", i), 1_000_000))
	}
	time.Sleep(2 * pollInterval) // both backends probed ready

	var (
		mu       sync.Mutex
		failures []string
		codes    = map[int]int{}
		wg       sync.WaitGroup
		sent     atomic.Int64
	)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		end := time.Now().Add(duration)
		for n := 0; time.Now().Before(end); n++ {
			<-tick.C
			sent.Add(1)
			wg.Go(func() {
				p := products[rand.IntN(len(products))]
				var code int
				var raw []byte
				var err error
				if n%5 == 0 {
					code, raw, err = c.do(t.Context(), "POST", front.URL+"/api/v1/orders", orderRequest(n, p.ID, 1), false, nil)
				} else {
					code, raw, err = c.do(t.Context(), "GET", front.URL+"/api/v1/products/"+p.ID, nil, false, nil)
				}
				mu.Lock()
				defer mu.Unlock()
				codes[code]++
				if err != nil || code >= 300 {
					failures = append(failures, fmt.Sprintf("request %d at %s: %d %s %v", n, time.Now().Format("15:04:05.000"), code, raw, err))
				}
			})
		}
		wg.Wait()
	}()

	// Rolling restart: SIGTERM one instance, let it drain and exit, start
	// its replacement, wait until the balancer sees it ready.
	step := duration / time.Duration(restarts+1)
	for i := range restarts {
		time.Sleep(step / 2)
		old := inst[i%2]
		t.Logf("SIGTERM %s at %s", old.name, time.Now().Format("15:04:05.000"))
		if err := old.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-old.done:
		case <-time.After(15 * time.Second):
			t.Fatalf("%s did not exit within 15s of SIGTERM", old.name)
		}
		if old.err != nil {
			t.Errorf("%s exited with %v after SIGTERM, want a clean exit\n%s", old.name, old.err, old.out)
		}
		// The old backend stays in the balancer: only its failing probe
		// keeps traffic away, as with a terminating pod's endpoint.
		fresh := start(t, fmt.Sprintf("%s-%d", old.name, i+1), bin, nil, env...)
		lb.add(fresh.name, fresh.url)
		inst[i%2] = fresh
		t.Logf("%s ready at %s", fresh.name, time.Now().Format("15:04:05.000"))
	}
	<-loadDone

	t.Logf("%d req/s for %v with %d rolling restart(s): answers %v; no-ready-backend %d", rate, duration, restarts, codes, lb.noneUp.Load())
	for _, f := range failures {
		t.Error(f)
	}
	// Every request sent must be a 2xx (failures above); and the load must
	// have run: a starved machine drops ticker ticks, so count what was
	// sent, and ask only for half the nominal rate.
	nominal := rate * int(duration/time.Second)
	if total := codes[200] + codes[201]; int64(total) != sent.Load() || total < nominal/2 {
		t.Errorf("%d requests answered 2xx of %d sent (nominal %d): the load did not run", total, sent.Load(), nominal)
	}
}
