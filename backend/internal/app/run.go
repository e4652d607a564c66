package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderstack/orderstack/backend/internal/httpapi"
	"github.com/orderstack/orderstack/backend/internal/order"
)

// Deps are what Run needs from its caller.
type Deps struct {
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
	// Store is where products and orders live. Run does not close it.
	Store order.Store
	// Registry is the private Prometheus registry served on /metrics. The
	// caller may have registered its store's collectors on it; Run adds the
	// Go and process collectors, orders_build_info and the HTTP metrics.
	// nil means a fresh one.
	Registry *prometheus.Registry
	// Version is reported by orders_build_info and the start-up log.
	Version string
	// Unready, if not nil, reports why Store cannot be used yet (cmd/orders:
	// the client is not open, or the indexes do not exist). While it
	// returns an error, /readyz and the API answer 503 and Recover waits;
	// Store is not called. nil means the store is usable from the start.
	Unready func() error
	// Ready, if not nil, receives the bound addresses once both listeners
	// are open (so tests can use PORT=0). Run does not block on it longer
	// than the context lasts; give it a buffer of 1.
	Ready chan<- Addrs
}

// Addrs are the addresses Run listens on, as host:port.
type Addrs struct {
	API     string
	Metrics string
}

// Run serves the API, /healthz and /readyz on cfg.Port and /metrics on
// cfg.MetricsPort, and runs Service.Recover at start and every
// cfg.RecoveryInterval. When ctx ends (the caller wires SIGTERM and SIGINT
// to it) it shuts down: /readyz turns 503, it waits cfg.ShutdownDrainDelay
// so load balancers stop sending, then closes the listeners and gives
// requests in flight cfg.ShutdownTimeout to finish. It returns nil after a
// clean shutdown; the caller then closes the store.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if deps.Store == nil {
		return errors.New("app.Run: no store")
	}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if err := registerRuntime(reg, deps.Version); err != nil {
		return err
	}
	metrics, err := httpapi.NewMetrics(reg)
	if err != nil {
		return err
	}

	recMetrics, err := newRecoveryMetrics(reg)
	if err != nil {
		return err
	}

	opts := []order.Option{order.WithLease(cfg.RecoveryGrace)}
	if cfg.MongoTimeout > 0 {
		opts = append(opts, order.WithCallTimeout(cfg.MongoTimeout))
	}
	svc := order.NewService(deps.Store, opts...)
	var draining atomic.Bool
	api := &http.Server{
		Handler: httpapi.NewServer(logger, svc, metrics, httpapi.Config{
			AdminToken:     cfg.AdminToken,
			MaxBodyBytes:   cfg.MaxBodyBytes,
			ReadyTimeout:   cfg.ReadyTimeout,
			RequestTimeout: cfg.RequestTimeout,
			Draining:       draining.Load,
			Unready:        deps.Unready,
		}),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}))
	metricsSrv := &http.Server{
		Handler:           metricsMux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	apiLn, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	metricsLn, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.MetricsPort)))
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("listen on METRICS_PORT %d: %w", cfg.MetricsPort, err)
	}
	addrs := Addrs{API: apiLn.Addr().String(), Metrics: metricsLn.Addr().String()}

	serveErr := make(chan error, 2)
	go func() { serveErr <- serve(api, apiLn, "api") }()
	go func() { serveErr <- serve(metricsSrv, metricsLn, "metrics") }()

	recCtx, stopRecovery := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { recoverLoop(recCtx, logger, svc, cfg, recMetrics, deps.Unready) })
	defer func() {
		stopRecovery()
		wg.Wait()
	}()

	logger.Info("listening", "api", addrs.API, "metrics", addrs.Metrics, "version", deps.Version)
	if deps.Ready != nil {
		select {
		case deps.Ready <- addrs:
		case <-ctx.Done():
		}
	}

	var failed error
	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining", "drain_delay", cfg.ShutdownDrainDelay.String())
		draining.Store(true)
		api.SetKeepAlivesEnabled(false) // clients reconnect, to another pod
		drain := time.NewTimer(cfg.ShutdownDrainDelay)
		select {
		case <-drain.C:
		case failed = <-serveErr:
			drain.Stop()
		}
	case failed = <-serveErr:
		logger.Error("server failed, shutting down", "error", failed)
	}

	// A fresh context: ctx is already done.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if failed != nil {
		errs = append(errs, failed)
	}
	// Both at once: their listeners close together, and /metrics keeps
	// being scraped until then.
	var mu sync.Mutex
	var sd sync.WaitGroup
	for name, srv := range map[string]*http.Server{"api": api, "metrics": metricsSrv} {
		sd.Go(func() {
			if err := srv.Shutdown(shutCtx); err != nil {
				srv.Close()
				mu.Lock()
				errs = append(errs, fmt.Errorf("shut down %s server: %w", name, err))
				mu.Unlock()
			}
		})
	}
	sd.Wait()
	// Rollbacks and stock releases that requests left running finish
	// within the shutdown timeout too (Recover redoes what they do not).
	waited := make(chan struct{})
	go func() { svc.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-shutCtx.Done():
		logger.Warn("shutdown: stock work of requests still running; Recover will finish it")
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	logger.Info("shut down cleanly")
	return nil
}

// serve runs srv until it is shut down; a nil result means it was.
func serve(srv *http.Server, ln net.Listener, name string) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s server: %w", name, err)
	}
	return nil
}

func registerRuntime(reg *prometheus.Registry, version string) error {
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "orders", Name: "build_info",
		Help:        "Always 1; the version label tells which build is running.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	buildInfo.Set(1)
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue // the caller registered it already
			}
			return fmt.Errorf("register runtime metrics: %w", err)
		}
	}
	return nil
}

// recoverLoop runs Service.Recover once the store is usable and then every
// cfg.RecoveryInterval until ctx ends. Each pass is bounded by the interval
// (each database call by MONGODB_TIMEOUT); what a pass leaves is taken up by
// the next. Orders and markers Recover cannot repair are logged and counted
// in orders_recovery_stuck.
func recoverLoop(ctx context.Context, logger *slog.Logger, svc *order.Service, cfg Config, m *recoveryMetrics, unready func() error) {
	// Wait for the store (polling: it becomes usable once, at start).
	for unready != nil && unready() != nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t := time.NewTicker(cfg.RecoveryInterval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, cfg.RecoveryInterval)
		rep, err := svc.Recover(rctx, time.Now().Add(-cfg.RecoveryGrace))
		cancel()
		m.observe(rep)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("recover half-done orders", "error", err.Error())
		case rep.RolledBack > 0 || rep.Released > 0 || rep.Orphans > 0:
			logger.Info("recovered half-done orders", "rolled_back", rep.RolledBack, "released", rep.Released,
				"orphans", rep.Orphans, "markers_cleared", rep.Cleared)
		}
		for _, st := range rep.Stuck {
			logger.Warn("recovery stuck", "order_id", st.OrderID, "product_id", st.ProductID,
				"since", st.Since.UTC().Format(time.RFC3339), "error", st.Err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// recoveryMetrics are orders_recovered_total and orders_recovery_stuck.
type recoveryMetrics struct {
	recovered *prometheus.CounterVec
	stuck     prometheus.Gauge
}

func newRecoveryMetrics(reg prometheus.Registerer) (*recoveryMetrics, error) {
	m := &recoveryMetrics{
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orders", Name: "recovered_total",
			Help: "What Recover repaired: rolled_back (orders left reserving), released (cancelled orders), orphans (reservations whose order was gone).",
		}, []string{"action"}),
		stuck: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "orders", Name: "recovery_stuck",
			Help: "Orders and markers Recover failed to repair and has not repaired since; above 0 for long, stock is held (see the logs: recovery stuck).",
		}),
	}
	for _, a := range []string{"rolled_back", "released", "orphans"} {
		m.recovered.WithLabelValues(a) // served at 0 from the start
	}
	for _, c := range []prometheus.Collector{m.recovered, m.stuck} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register recovery metrics: %w", err)
		}
	}
	return m, nil
}

func (m *recoveryMetrics) observe(rep order.RecoverReport) {
	m.recovered.WithLabelValues("rolled_back").Add(float64(rep.RolledBack))
	m.recovered.WithLabelValues("released").Add(float64(rep.Released))
	m.recovered.WithLabelValues("orphans").Add(float64(rep.Orphans))
	m.stuck.Set(float64(len(rep.Stuck)))
}
