package main

import (
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// Fields 14 and 15 are utime and stime in ticks of 1/100 s, counted after
// the command name, which may hold spaces and ')'.
func TestParseStatCPU(t *testing.T) {
	line := "4242 (odd) name)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 12345 1000000 500 18446744073709551615"
	got, err := parseStatCPU(line)
	if err != nil || got != 3.25 {
		t.Errorf("parseStatCPU = %v, %v; want 3.25 s (250+75 ticks)", got, err)
	}
	for _, bad := range []string{"", "4242 (x S 1 2", "4242 (x) S 1 2 3", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) = nil error", bad)
		}
	}
	// This process's own line parses, and burning CPU makes it grow.
	before, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; ; x++ {
		if now, _ := procCPU(os.Getpid()); now > before {
			break
		}
		if x > 1e9 {
			t.Fatal("CPU time did not grow after 1e9 iterations")
		}
	}
}

// The bare server answers what the service answered, reading the body of
// a POST as a real handler must.
func TestBareHandler(t *testing.T) {
	h := bareHandler([]byte(`{"id":"p"}`), []byte(`{"id":"o"}`))
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/api/v1/products/0123456789abcdef01234567", "", 200, `{"id":"p"}`},
		{"POST", "/api/v1/orders", `{"items":[]}`, 201, `{"id":"o"}`},
		{"GET", "/readyz", "", 200, `{"status":"ready"}`},
		{"GET", "/api/v1/orders", "", 404, "404 page not found\n"},
	} {
		body := &countingReader{r: strings.NewReader(c.body)}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, body))
		if w.Code != c.code || w.Body.String() != c.want {
			t.Errorf("%s %s = %d %q, want %d %q", c.method, c.path, w.Code, w.Body, c.code, c.want)
		}
		if c.method == "POST" && body.n != len(c.body) {
			t.Errorf("POST read %d of %d body bytes", body.n, len(c.body))
		}
		if c.code < 300 && w.Header().Get("Content-Type") == "" && c.path != "/readyz" {
			t.Errorf("%s %s: no Content-Type", c.method, c.path)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestCeilingRatio(t *testing.T) {
	c := ceilingResult{
		Service: []ceilingRound{{Requests: 1000, CPU: 0.06, Wall: 1}, {Requests: 3000, CPU: 0.14, Wall: 2}},
		Bare:    []ceilingRound{{Requests: 2000, CPU: 0.05, Wall: 1}, {Requests: 2000, CPU: 0.05, Wall: 1}},
	}
	if got := cpuPerRequest(c.Service); got < 49.99 || got > 50.01 {
		t.Errorf("service CPU/request = %v µs, want 50", got)
	}
	if got := c.Ratio(); got < 1.999 || got > 2.001 {
		t.Errorf("ratio = %v, want 2", got)
	}
	if c.BaselineRatio() != 0 {
		t.Errorf("baseline ratio without a baseline = %v, want 0", c.BaselineRatio())
	}
	c.Baseline = []ceilingRound{{Requests: 1000, CPU: 0.075, Wall: 1}}
	if got := c.BaselineRatio(); got < 2.999 || got > 3.001 {
		t.Errorf("baseline ratio = %v, want 3", got)
	}
	if got := medianRate(c.Service); got != 1500 {
		t.Errorf("median rate = %v, want 1500", got)
	}
}
