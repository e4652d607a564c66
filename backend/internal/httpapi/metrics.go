package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
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
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight, m.ordersCreated, m.orderValue, m.stockConflicts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observeRequest(method, route string, code int, d time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
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
