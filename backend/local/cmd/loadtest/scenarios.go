package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// scenario is one kind of traffic.
type scenario struct {
	name string
	desc string
	// targeter returns a fresh vegeta.Targeter over the seeded product ids.
	targeter func(baseURL string, ids []string) vegeta.Targeter
}

var jsonHeader = http.Header{"Content-Type": []string{"application/json"}}

// orderCounter makes each order's customer distinct, like real traffic.
var orderCounter atomic.Uint64

func productRead(baseURL string, ids []string) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body, t.Header = http.MethodGet, baseURL+"/api/v1/products/"+ids[rand.IntN(len(ids))], nil, nil
		return nil
	}
}

func productList(baseURL string, _ []string) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body, t.Header = http.MethodGet, baseURL+"/api/v1/products?limit=20", nil, nil
		return nil
	}
}

func orderCreate(baseURL string, ids []string) vegeta.Targeter {
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Header = http.MethodPost, baseURL+"/api/v1/orders", jsonHeader
		t.Body = orderBody(orderCounter.Add(1), ids[rand.IntN(len(ids))])
		return nil
	}
}

// mixed is 80 % product reads and 20 % order creations.
func mixed(baseURL string, ids []string) vegeta.Targeter {
	read, create := productRead(baseURL, ids), orderCreate(baseURL, ids)
	return func(t *vegeta.Target) error {
		if rand.IntN(5) == 0 {
			return create(t)
		}
		return read(t)
	}
}

func orderBody(n uint64, productID string) []byte {
	b, _ := json.Marshal(map[string]any{ // cannot fail: plain types
		"customer": map[string]string{"name": fmt.Sprintf("Load %d", n), "email": fmt.Sprintf("load%d@example.com", n)},
		"items":    []map[string]any{{"productId": productID, "quantity": 1}},
	})
	return b
}

var scenarios = []scenario{
	{"product-read", "GET /api/v1/products/{id}, random of the seeded products", productRead},
	{"product-list", "GET /api/v1/products?limit=20", productList},
	{"order-create", "POST /api/v1/orders, one line, quantity 1, distinct customers", orderCreate},
	{"mixed", "80 % product-read, 20 % order-create", mixed},
}

// seedProducts creates n products with stock enough for any run.
func seedProducts(ctx context.Context, baseURL, token string, n int) ([]string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	ids := make([]string, 0, n)
	run := time.Now().UnixNano()
	for i := range n {
		body, _ := json.Marshal(map[string]any{
			"sku": fmt.Sprintf("LOAD-%d-%d", run, i), "name": fmt.Sprintf("Load product %d", i),
			"description": "created by cmd/loadtest", "priceCents": 100 + i, "currency": "EUR", "stock": order.MaxStock,
		})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/products", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("seed product %d: %w", i, err)
		}
		var p struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil {
			return nil, fmt.Errorf("seed product %d: status %d, decode %v", i, resp.StatusCode, err)
		}
		ids = append(ids, p.ID)
	}
	return ids, nil
}

// result is one measured run of a scenario.
type result struct {
	Store, Scenario string
	Rate            int // requests/s asked; 0 = closed loop at full speed
	Workers         int // clients of a closed-loop run
	Requests        uint64
	Achieved        float64 // successful responses per second
	P50, P95, P99   time.Duration
	Max             time.Duration
	Errors          uint64 // transport errors and non-2xx/3xx answers
	Codes           map[string]int
	PeakRSS         int64 // server VmHWM during the run, bytes
}

// attack runs one scenario at rate requests/s (0: closed loop with
// workers) for du and returns its metrics. Every request has a 5 s timeout,
// so a run ends at most 5 s after du.
func attack(tr vegeta.Targeter, rate int, workers uint64, du time.Duration) vegeta.Metrics {
	opts := []func(*vegeta.Attacker){vegeta.Timeout(5 * time.Second), vegeta.KeepAlive(true)}
	pacer := vegeta.Pacer(vegeta.ConstantPacer{Freq: rate, Per: time.Second})
	if rate == 0 {
		opts = append(opts, vegeta.Workers(workers), vegeta.MaxWorkers(workers))
	} else {
		opts = append(opts, vegeta.MaxWorkers(uint64(rate))) // at most 1 s of backlog
	}
	atk := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	for res := range atk.Attack(tr, pacer, du, "loadtest") {
		m.Add(res)
	}
	m.Close()
	return m
}

func toResult(store, scen string, rate int, m vegeta.Metrics) result {
	var ok uint64
	for code, n := range m.StatusCodes {
		if len(code) == 3 && code[0] == '2' {
			ok += uint64(n)
		}
	}
	achieved := 0.0
	if m.Duration+m.Wait > 0 {
		achieved = float64(ok) / (m.Duration + m.Wait).Seconds()
	}
	return result{
		Store: store, Scenario: scen, Rate: rate, Requests: m.Requests, Achieved: achieved,
		P50: m.Latencies.P50, P95: m.Latencies.P95, P99: m.Latencies.P99, Max: m.Latencies.Max,
		Errors: m.Requests - ok, Codes: m.StatusCodes,
	}
}

func codesString(codes map[string]int) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		label := k
		if k == "0" {
			label = "transport-error"
		}
		fmt.Fprintf(&b, "%s:%d", label, codes[k])
	}
	return b.String()
}
