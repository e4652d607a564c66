package main

import (
	"github.com/orderstack/orderstack/backend/internal/syncbuf"

	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the built orders-local binary as `make run` does (the
// embedded FerretDB, data in a temporary directory), paste the commands its
// banner prints and the README's walk-through into sh, and check what they
// did through the API.

// builtBinary is this command, built once per test run (parallel tests
// wait for the one build).
var builtBinary struct {
	once sync.Once
	path string
	err  error
}

func binaryPath(t *testing.T) string {
	t.Helper()
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "orders-local-bin-")
		if err != nil {
			builtBinary.err = err
			return
		}
		builtBinary.path = filepath.Join(dir, "orders-local")
		cmd := exec.Command("go", "build", "-o", builtBinary.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			builtBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtBinary.err != nil {
		t.Fatal(builtBinary.err)
	}
	return builtBinary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary.path != "" {
		os.RemoveAll(filepath.Dir(builtBinary.path))
	}
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a running orders-local binary.
type process struct {
	api, metrics int // ports
	out          *syncbuf.Buffer
}

// banner is what the process printed from its first blank line to the
// blank line after "Try".
func (p process) banner() string {
	s := p.out.String()
	i := strings.Index(s, "\norders-local is serving")
	if i < 0 {
		return ""
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n\n"); j >= 0 {
		s = s[:j+1]
	}
	return s
}

// startBinary starts orders-local with env added to a minimal environment
// (PATH, HOME, fresh ports) and waits for its banner.
func startBinary(t *testing.T, env ...string) process {
	t.Helper()
	bin := binaryPath(t)
	p := process{api: freePort(t), out: &syncbuf.Buffer{}}
	for p.metrics == 0 || p.metrics == p.api { // the kernel may hand out the same free port twice
		p.metrics = freePort(t)
	}
	cmd := exec.Command(bin, "-data", t.TempDir())
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		fmt.Sprintf("PORT=%d", p.api), fmt.Sprintf("METRICS_PORT=%d", p.metrics),
	}, env...)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("orders-local after SIGTERM: %v\n%s", err, p.out)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("orders-local still running 30s after SIGTERM")
		}
	})
	deadline := time.After(90 * time.Second)
	for p.banner() == "" || !strings.Contains(p.banner(), "/api/v1/products\n") {
		select {
		case err := <-exited:
			exited <- err // for the cleanup, which would otherwise wait 30 s for it
			t.Fatalf("orders-local exited before its banner: %v\n%s", err, p.out)
		case <-deadline:
			t.Fatalf("no banner after 90s:\n%s", p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return p
}

// shell runs script with sh -eu (POSIX sh: what works there works in bash
// and zsh too) in env and returns its output, failing the test on a
// non-zero exit.
func shell(t *testing.T, script string, env ...string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("the banner's and the README's commands use curl: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-eu", "-c", script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\nscript:\n%s\noutput:\n%s", err, script, out)
	}
	return string(out)
}

// noErrors fails when an API answer in out is an error document.
func noErrors(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, `{"error":`) {
		t.Errorf("%s answered an error:\n%s", what, out)
	}
}

// commands is the shell text of the banner after its "Try" line.
func commands(t *testing.T, banner string) string {
	t.Helper()
	_, after, ok := strings.Cut(banner, "\nTry")
	if !ok {
		t.Fatalf("banner has no Try line:\n%s", banner)
	}
	_, cmds, _ := strings.Cut(after, "\n")
	return cmds
}

// TestBannerCommandsWork: the commands the banner prints, pasted into sh,
// create a product and list it, with the generated token and with one
// from ADMIN_TOKEN (then not printed, and read from the shell's variable).
func TestBannerCommandsWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs orders-local")
	}
	t.Run("generated token", func(t *testing.T) {
		t.Parallel() // two processes, each on its own data directory and ports
		p := startBinary(t)
		banner := p.banner()
		cmds := commands(t, banner)
		if !regexp.MustCompile(`(?m)^  export ADMIN_TOKEN=[0-9a-f]{48}$`).MatchString(cmds) {
			t.Errorf("banner does not export the generated token:\n%s", banner)
		}
		out := shell(t, cmds) // no ADMIN_TOKEN in the shell: the banner sets it
		noErrors(t, "the banner's commands", out)
		if n := strings.Count(out, `"sku":"DEMO-`); n != 2 {
			t.Errorf("the banner's commands printed the DEMO product %d times, want 2 (created, listed):\n%s", n, out)
		}
		if !strings.Contains(banner, "serving on 127.0.0.1 ") {
			t.Errorf("banner does not say it serves on 127.0.0.1:\n%s", banner)
		}
	})
	t.Run("token from ADMIN_TOKEN", func(t *testing.T) {
		t.Parallel() // two processes, each on its own data directory and ports
		const token = "walkthrough-token-0123456789"
		p := startBinary(t, "ADMIN_TOKEN="+token)
		banner := p.banner()
		if strings.Contains(p.out.String(), token) {
			t.Errorf("the token from ADMIN_TOKEN was printed:\n%s", p.out)
		}
		out := shell(t, commands(t, banner), "ADMIN_TOKEN="+token)
		noErrors(t, "the banner's commands", out)
		if n := strings.Count(out, `"sku":"DEMO-`); n != 2 {
			t.Errorf("the banner's commands printed the DEMO product %d times, want 2:\n%s", n, out)
		}
	})
}

// TestListensOnLoopbackByDefault: without HOST the API and metrics are not
// reachable on the machine's other addresses; HOST=0.0.0.0 opens them.
func TestListensOnLoopbackByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs orders-local")
	}
	other := nonLoopbackIPv4(t)
	get := func(host string, port int) error {
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get(fmt.Sprintf("http://%s/healthz", net.JoinHostPort(host, fmt.Sprint(port))))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	p := startBinary(t)
	if err := get("127.0.0.1", p.api); err != nil {
		t.Fatalf("GET /healthz on 127.0.0.1: %v", err)
	}
	if err := get(other, p.api); err == nil {
		t.Errorf("API answered on %s without HOST: want loopback only", other)
	}
	if err := get(other, p.metrics); err == nil {
		t.Errorf("metrics answered on %s without HOST: want loopback only", other)
	}
	open := startBinary(t, "HOST=0.0.0.0")
	if err := get(other, open.api); err != nil {
		t.Errorf("with HOST=0.0.0.0, GET /healthz on %s: %v", other, err)
	}
	if !strings.Contains(open.banner(), "serving on all interfaces") {
		t.Errorf("banner with HOST=0.0.0.0 does not say so:\n%s", open.banner())
	}
}

// nonLoopbackIPv4 is an address of this machine other than loopback.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no IPv4 address besides loopback")
	return ""
}

// readmeWalkthrough is the first ```sh block under "## Try it" in README.md.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		b                  strings.Builder
		inSection, inBlock bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			if inSection && b.Len() > 0 {
				return b.String()
			}
			inSection = line == "## Try it"
		case inSection && !inBlock && line == "```sh":
			if b.Len() > 0 {
				return b.String()
			}
			inBlock = true
		case inBlock && line == "```":
			return b.String()
		case inBlock:
			b.WriteString(line + "\n")
		}
	}
	t.Fatal(`README.md has no "## Try it" section with a sh block`)
	return ""
}

// TestReadmeWalkthrough runs the README's walk-through, as written, after
// the banner's commands (as a newcomer does: paste the banner, then follow
// the README), against orders-local. The only change is the ports:
// localhost:3000 and :9090 become the test's free ones.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs orders-local")
	}
	p := startBinary(t)
	walk := readmeWalkthrough(t)
	for _, want := range []string{"localhost:3000", "localhost:9090"} {
		if !strings.Contains(walk, want) {
			t.Fatalf("README walk-through lacks %s (the test swaps it for its port):\n%s", want, walk)
		}
	}
	walk = strings.NewReplacer(
		"localhost:3000", fmt.Sprintf("localhost:%d", p.api),
		"localhost:9090", fmt.Sprintf("localhost:%d", p.metrics),
	).Replace(walk)
	// The ids the walk-through kept, for the checks below.
	script := commands(t, p.banner()) + walk + "\necho \"IDS $PRODUCT $ORDER $SECOND\"\n"
	out := shell(t, script)
	noErrors(t, "the README walk-through", out)
	m := regexp.MustCompile(`(?m)^IDS (\S+) (\S+) (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the walk-through did not keep PRODUCT, ORDER and SECOND:\n%s", out)
	}
	product, first, second := m[1], m[2], m[3]

	api := fmt.Sprintf("http://localhost:%d/api/v1", p.api)
	token := regexp.MustCompile(`export ADMIN_TOKEN=(\S+)`).FindStringSubmatch(p.banner())[1]
	var got struct {
		Stock int64 `json:"stock"`
	}
	getJSON(t, api+"/products/"+product, "", &got)
	if got.Stock != 8 {
		t.Errorf("stock after the walk-through = %d, want 8 (10, 2 ordered, 1 ordered and cancelled)", got.Stock)
	}
	for id, want := range map[string]string{first: "shipped", second: "cancelled"} {
		var o struct{ Status string }
		getJSON(t, api+"/orders/"+id, "", &o)
		if o.Status != want {
			t.Errorf("order %s is %q, want %q", id, o.Status, want)
		}
	}
	var list struct{ Items []struct{ ID string } }
	getJSON(t, api+"/orders?email=ada@example.com&limit=100", token, &list)
	if len(list.Items) != 2 {
		t.Errorf("orders of ada@example.com = %d, want 2 (the retry with the same Idempotency-Key made none)", len(list.Items))
	}
	for _, want := range []string{`"status":"ok"`, "orders_orders_created_total"} {
		if !strings.Contains(out, want) {
			t.Errorf("the walk-through's output lacks %s (probes, metrics):\n%s", want, out)
		}
	}
}

func getJSON(t *testing.T, url, token string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
