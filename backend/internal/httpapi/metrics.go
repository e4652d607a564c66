package httpapi

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the service's own Prometheus metrics (names in
// docs/development.md). Route labels are mux patterns, never raw paths.
type Metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	inFlight       prometheus.Gauge
	ordersCreated  prometheus.Counter
	orderValue     *prometheus.HistogramVec
	stockConflicts prometheus.Counter

	obs   atomic.Pointer[map[obsKey]*obs] // see observers
	obsMu sync.Mutex
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orders", Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "orders", Name: "http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "orders", Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		ordersCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "orders", Name: "orders_created_total",
			Help: "Orders placed (idempotent replays not counted).",
		}),
		orderValue: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "orders", Name: "order_value_cents",
			Help:    "Total value of placed orders in minor units, by currency.",
			Buckets: prometheus.ExponentialBuckets(100, 4, 10), // 1.00 … 2.6M
		}, []string{"currency"}),
		stockConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "orders", Name: "stock_conflicts_total",
			Help: "Orders refused because a product had too few units.",
		}),
	}
	m.obs.Store(&map[obsKey]*obs{})
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight, m.ordersCreated, m.orderValue, m.stockConflicts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observeRequest(method, route string, code int, d time.Duration) {
	o := m.observers(obsKey{methodLabel(method), route, code})
	o.requests.Inc()
	o.duration.Observe(d.Seconds())
}

// obsKey is one series of http_requests_total. Every field is bounded: the
// method by methodLabel, the route by the registered patterns (or
// "unmatched"), the code by what the handlers write.
type obsKey struct {
	method, route string
	code          int
}

// obs are the curried children of one obsKey.
type obs struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// observers returns the children of k, from a copy-on-write map: a hit is
// an atomic load and a map lookup, where WithLabelValues hashes and checks
// every label value, takes a read lock and formats the code on every
// request. A miss (once per series) copies the map under obsMu.
func (m *Metrics) observers(k obsKey) *obs {
	if o := (*m.obs.Load())[k]; o != nil {
		return o
	}
	m.obsMu.Lock()
	defer m.obsMu.Unlock()
	cur := *m.obs.Load()
	if o := cur[k]; o != nil {
		return o
	}
	o := &obs{
		requests: m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.code)),
		duration: m.duration.WithLabelValues(k.method, k.route),
	}
	next := make(map[obsKey]*obs, len(cur)+1)
	maps.Copy(next, cur)
	next[k] = o
	m.obs.Store(&next)
	return o
}

// methodLabel bounds the method label: the client chooses the method, so
// any name outside the standard ones (RFC 9110 and PATCH) is "other", or
// each made-up name would add a series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}
