package reliability

import (
	"github.com/orderstack/orderstack/backend/internal/syncbuf"

	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const adminToken = "reliability-admin-token"

// heavy reports whether RELIABILITY_HEAVY asks for the long versions.
func heavy() bool { return os.Getenv("RELIABILITY_HEAVY") != "" }

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the service as processes; not with -short")
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary returns the path of cmd/<name> built for this test run (built
// once, both binaries together, into a directory removed by TestMain).
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "reliability-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "../cmd/orders-local", "../../cmd/orders")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// parallelTests is how many of the tests run at once unless -test.parallel
// says otherwise: all five. They spend most of their time waiting (fixed
// phases of load, outage and restart, Recover's interval), not on the CPU,
// so the default of GOMAXPROCS (2 here) would only queue them.
const parallelTests = 5

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(parallelTests))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// proc is a service process.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:port
	out  *syncbuf.Buffer
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// freePort returns a loopback port that is free now and lies below the
// kernel's ephemeral range (ip_local_port_range): the process that gets it
// binds it a moment later, and no outgoing connection on this machine (a
// client redialling, a TCP self-connect) can take a port from outside
// that range in between, as it could take one from ":0".
func freePort(t *testing.T) int {
	t.Helper()
	lo := 32768 // Linux's default start of the range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				lo = n
			}
		}
	}
	const from = 10000
	if lo <= from+1000 {
		t.Fatalf("ip_local_port_range starts at %d: no room below it for test ports", lo)
	}
	for range 100 {
		port := from + rand.IntN(lo-from)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken: try another
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port below the ephemeral range after 100 tries")
	return 0
}

// start runs bin with args and env (plus loopback ports and the admin
// token) and waits until /readyz answers 200. The process is killed when
// the test ends if it is still running.
func start(t *testing.T, name, bin string, args []string, env ...string) *proc {
	t.Helper()
	port := freePort(t)
	p := &proc{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), out: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "METRICS_PORT="+strconv.Itoa(freePort(t)),
		"ADMIN_TOKEN="+adminToken, "LOG_LEVEL=warn")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.out)
		}
	})
	p.waitReady(t, 60*time.Second)
	return p
}

func (p *proc) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := client.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before ready: %v\n%s", p.name, p.err, p.out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v\n%s", p.name, within, p.out)
		}
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	<-p.done
}

// apiClient talks JSON to the service.
type apiClient struct {
	http *http.Client
}

func newClient() *apiClient {
	return &apiClient{http: &http.Client{Timeout: 10 * time.Second}}
}

// do sends a request and decodes a JSON answer into out (if not nil). It
// returns the status and the raw body; err only for transport failures.
func (c *apiClient) do(ctx context.Context, method, url string, body any, admin bool, out any) (int, []byte, error) {
	return c.send(ctx, method, url, body, admin, "", out)
}

// doKey is do with an Idempotency-Key.
func (c *apiClient) doKey(ctx context.Context, method, url string, body any, key string, out any) (int, []byte, error) {
	return c.send(ctx, method, url, body, false, key, out)
}

func (c *apiClient) send(ctx context.Context, method, url string, body any, admin bool, key string, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, raw, err
	}
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, raw, fmt.Errorf("decode %s %s: %w: %q", method, url, err, raw)
		}
	}
	return resp.StatusCode, raw, nil
}

type product struct {
	ID    string `json:"id"`
	SKU   string `json:"sku"`
	Stock int64  `json:"stock"`
}

type orderJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Items  []struct {
		ProductID string `json:"productId"`
		Quantity  int64  `json:"quantity"`
	} `json:"items"`
}

func createProduct(t *testing.T, c *apiClient, base, sku string, stock int64) product {
	t.Helper()
	var p product
	code, raw, err := c.do(t.Context(), "POST", base+"/api/v1/products", map[string]any{
		"sku": sku, "name": "Product " + sku, "priceCents": 250, "currency": "EUR", "stock": stock,
	}, true, &p)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create product %s = %d %s %v", sku, code, raw, err)
	}
	return p
}

func orderRequest(n int, productID string, qty int64) map[string]any {
	return map[string]any{
		"customer": map[string]string{"name": fmt.Sprint("Buyer ", n), "email": fmt.Sprintf("buyer%d@example.com", n)},
		"items":    []map[string]any{{"productId": productID, "quantity": qty}},
	}
}

// allOrders pages through GET /api/v1/orders.
func allOrders(t *testing.T, c *apiClient, base string) []orderJSON {
	t.Helper()
	var all []orderJSON
	cursor := ""
	for {
		var page struct {
			Items      []orderJSON `json:"items"`
			NextCursor string      `json:"nextCursor"`
		}
		url := base + "/api/v1/orders?limit=100"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		code, raw, err := c.do(t.Context(), "GET", url, nil, true, &page)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /orders = %d %s %v", code, raw, err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// errorBody is the service's error shape.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
