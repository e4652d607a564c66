package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running orders-local child process.
type server struct {
	cmd       *exec.Cmd
	baseURL   string
	token     string
	readyTook time.Duration // exec to the first 200 on /readyz
	out       *bytes.Buffer
	done      chan error
}

// buildBinary builds the package pkg of the module in backendDir into dir.
func buildBinary(ctx context.Context, backendDir, dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = backendDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// freePort asks the kernel for a free loopback port. The child binds it a
// moment later; on a quiet machine nothing takes it in between.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer execs bin with -store store and waits (up to timeout) for
// /readyz to answer 200, measuring how long that took from exec.
func startServer(ctx context.Context, bin, store, dataDir string, timeout time.Duration) (*server, error) {
	return startProcess(ctx, []string{bin, "-store", store, "-data", dataDir}, nil, timeout)
}

// startProcess execs argv with the service's settings (loopback port,
// admin token, error-level logs) plus env, and waits (up to timeout) for
// /readyz to answer 200, measuring how long that took from exec.
func startProcess(ctx context.Context, argv, env []string, timeout time.Duration) (*server, error) {
	bin := argv[0]
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{
		baseURL: "http://127.0.0.1:" + strconv.Itoa(port),
		token:   "loadtest-admin-token",
		out:     &bytes.Buffer{},
		done:    make(chan error, 1),
	}
	s.cmd = exec.Command(bin, argv[1:]...)
	s.cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"METRICS_PORT="+strconv.Itoa(mport),
		"ADMIN_TOKEN="+s.token,
		"LOG_LEVEL=error", // one access line per request would measure the log pipe
		"SHUTDOWN_DRAIN_DELAY=0s",
	)
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	client := &http.Client{Timeout: time.Second}
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := began.Add(timeout)
	for {
		resp, err := client.Get(s.baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.readyTook = time.Since(began)
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("%s exited before ready: %v\n%s", bin, err, s.out)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after %v\n%s", bin, timeout, s.out)
		}
	}
}

// stop sends SIGTERM and waits up to 10 s, then kills.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("did not stop within 10s of SIGTERM: killed")
	}
}

// resetPeakRSS makes the kernel forget the process's peak RSS (VmHWM), so
// the next reading is the peak of the next scenario only. Linux ≥ 4.0.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// peakRSS reads VmHWM (peak resident set) of pid, in bytes.
func peakRSS(pid int) (int64, error) {
	return statusField(pid, "VmHWM:")
}

func statusField(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: unexpected %q", pid, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: %q: %w", pid, sc.Text(), err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, name)
}
