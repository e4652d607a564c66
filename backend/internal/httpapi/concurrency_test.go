package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// post sends a JSON body through a real HTTP connection.
func post(tb testing.TB, c *http.Client, url, body string, header map[string]string) (int, http.Header, []byte) {
	tb.Helper()
	r, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		tb.Error(err)
		return 0, nil, nil
	}
	r.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	resp, err := c.Do(r)
	if err != nil {
		tb.Error(err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func newHTTPServer(tb testing.TB, e *testEnv) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(e.srv.handler) // 127.0.0.1
	tb.Cleanup(ts.Close)
	return ts
}

// TestConcurrentBuyers: 100 buyers race for 10 units through the real
// handler; exactly 10 win, the rest get 409, and stock ends at 0.
func TestConcurrentBuyers(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "HOT", 999, 10)
	ts := newHTTPServer(t, e)
	const buyers = 100
	codes := make([]int, buyers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range buyers {
		wg.Go(func() {
			<-start
			codes[i], _, _ = post(t, ts.Client(), ts.URL+"/api/v1/orders", orderBody("buyer@example.com", p.ID, 1), nil)
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusCreated] != 10 || count[http.StatusConflict] != buyers-10 {
		t.Errorf("status counts = %v, want 10×201 and %d×409", count, buyers-10)
	}
	got := mustDo[productJSON](t, e, req{method: "GET", path: "/api/v1/products/" + p.ID}, http.StatusOK)
	if got.Stock != 0 {
		t.Errorf("stock after the race = %d, want 0", got.Stock)
	}
	orders := mustDo[page[orderJSON]](t, e, req{method: "GET", path: "/api/v1/orders?limit=100", admin: true}, http.StatusOK)
	if len(orders.Items) != 10 {
		t.Errorf("orders stored = %d, want 10", len(orders.Items))
	}
	// The reservation markers are cleared by the service's background
	// sweep, shortly after the requests.
	for deadline := time.Now().Add(5 * time.Second); len(e.store.Markers(p.ID)) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if m := e.store.Markers(p.ID); len(m) != 0 {
		t.Errorf("markers left on the product = %v, want none", m)
	}
}

// TestConcurrentIdempotentRetries: many simultaneous requests with one
// Idempotency-Key place exactly one order, and all answers carry its id.
func TestConcurrentIdempotentRetries(t *testing.T) {
	e := defaultEnv(t)
	p := e.createProduct(t, "P", 100, 1000)
	ts := newHTTPServer(t, e)
	const n = 30
	body := orderBody("ada@example.com", p.ID, 3)
	key := map[string]string{"Idempotency-Key": "checkout-7f3a"}
	ids := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			code, _, b := post(t, ts.Client(), ts.URL+"/api/v1/orders", body, key)
			codes[i] = code
			var o orderJSON
			if json.Unmarshal(b, &o) == nil {
				ids[i] = o.ID
			}
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range n {
		switch codes[i] {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("request %d = %d, want 201 or 200", i, codes[i])
		}
		if ids[i] == "" || ids[i] != ids[0] {
			t.Errorf("request %d got order %q, want the same id as request 0 (%q)", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("201 answers = %d, want exactly 1", created)
	}
	if got := mustDo[productJSON](t, e, req{method: "GET", path: "/api/v1/products/" + p.ID}, http.StatusOK).Stock; got != 997 {
		t.Errorf("stock = %d, want 997 (reserved once)", got)
	}
	orders := mustDo[page[orderJSON]](t, e, req{method: "GET", path: "/api/v1/orders", admin: true}, http.StatusOK)
	if len(orders.Items) != 1 {
		t.Errorf("orders stored = %d, want 1", len(orders.Items))
	}
	code, _, b := post(t, ts.Client(), ts.URL+"/api/v1/orders", orderBody("ada@example.com", p.ID, 4), key)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "idempotency_mismatch") {
		t.Errorf("same key, different body = %d %s, want 422 idempotency_mismatch", code, b)
	}
}
