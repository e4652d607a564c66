// Package httpapi is the HTTP transport of the order service: routes,
// handlers, JSON encoding, the mapping of domain errors to status codes,
// middleware and the OpenAPI document (openapi.yaml, the reference).
package httpapi

import (
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Config holds what the handlers need from the service settings.
type Config struct {
	// AdminToken is the bearer token of admin endpoints; empty disables
	// them (401).
	AdminToken string
	// MaxBodyBytes caps request bodies (413 above it). Default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ReadyTimeout bounds the database ping of /readyz. Default
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// RequestTimeout bounds the work of one API request. Default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Draining reports whether the server is shutting down; /readyz is 503
	// while it returns true. nil means never.
	Draining func() bool
	// Unready, if not nil, reports why the service cannot serve yet (its
	// store is not open); while it returns an error, /readyz and every API
	// route answer 503 unavailable without touching the store.
	Unready func() error
}

// The defaults of Config, which are also the defaults of the service's
// settings MAX_BODY_BYTES, READY_TIMEOUT and REQUEST_TIMEOUT (internal/app).
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultReadyTimeout   = time.Second
	DefaultRequestTimeout = 10 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Draining == nil {
		c.Draining = func() bool { return false }
	}
	if c.Unready == nil {
		c.Unready = func() error { return nil }
	}
	return c
}

// server is the routed handler with the list of its patterns, which the
// OpenAPI test compares with the document.
type server struct {
	mux      *http.ServeMux
	patterns map[string]bool
	logger   *slog.Logger
	metrics  *Metrics
	handler  http.Handler
}

// NewServer returns the service's HTTP handler: the API under /api/v1,
// /healthz and /readyz, wrapped in recover → observe (request id, access log,
// metrics). metrics comes from NewMetrics.
func NewServer(logger *slog.Logger, svc *order.Service, metrics *Metrics, cfg Config) http.Handler {
	return newServer(logger, svc, metrics, cfg).handler
}

func newServer(logger *slog.Logger, svc *order.Service, metrics *Metrics, cfg Config) *server {
	cfg = cfg.withDefaults()
	s := &server{mux: http.NewServeMux(), patterns: map[string]bool{}, logger: logger, metrics: metrics}
	addRoutes(s.handle, logger, svc, metrics, cfg)
	var h http.Handler = http.HandlerFunc(s.route)
	h = observeMiddleware(logger, metrics)(h)
	h = recoverMiddleware(logger)(h)
	s.handler = h
	return s
}

// handle registers h for pattern behind a wrapper that records the
// pattern for the log and metrics, and lets the response through (see
// requestInfo.through).
func (s *server) handle(pattern string, h http.Handler) {
	s.patterns[pattern] = true
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoOf(w); info != nil {
			info.route, info.through = pattern, true
		}
		h.ServeHTTP(w, r)
	}))
}

// route dispatches to the mux, and answers unknown paths and methods with
// JSON errors. Behind observeMiddleware the request is matched once: a
// registered route records its pattern and writes through; otherwise the
// mux's own answer (404, 405, a path-cleaning redirect) lands in info.rec
// and is translated here. Without it (no request info) the mux's answer is
// run into a recorder first.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	info := infoOf(w)
	if info == nil {
		h, pattern := s.mux.Handler(r)
		if pattern != "" && s.patterns[pattern] {
			s.mux.ServeHTTP(w, r)
			return
		}
		info = &requestInfo{}
		h.ServeHTTP(&info.rec, r)
	} else {
		s.mux.ServeHTTP(w, r)
		if info.through {
			return
		}
		info.through = true // the answer below is written
		if s.patterns[r.Pattern] {
			// The mux redirected to the cleaned path of a registered route
			// (it sets r.Pattern to that route's): its answer goes out as
			// it is, recorded under that pattern, as mux.Handler matched it.
			info.route = r.Pattern
			maps.Copy(w.Header(), info.rec.header)
			w.WriteHeader(info.rec.code)
			_, _ = w.Write(info.rec.body)
			return
		}
	}
	rec := &info.rec
	if rec.header == nil {
		rec.header = http.Header{}
	}
	switch rec.code {
	case http.StatusNotFound:
		writeError(w, r, s.logger, errNotFound)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeError(w, r, s.logger, &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			message: "method " + r.Method + " is not allowed here; allowed: " + rec.header.Get("Allow")})
	default:
		for k, v := range rec.header {
			if k != "Content-Type" && k != "X-Content-Type-Options" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.code)
	}
}

type discardRecorder struct {
	header http.Header
	code   int
	body   []byte // kept only while small (a redirect's note)
}

func (d *discardRecorder) Header() http.Header {
	if d.header == nil {
		d.header = http.Header{}
	}
	return d.header
}
func (d *discardRecorder) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	if len(d.body)+len(b) <= 4<<10 {
		d.body = append(d.body, b...)
	}
	return len(b), nil
}
func (d *discardRecorder) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

// inFlightGauge is for tests.
func (s *server) inFlightGauge() prometheus.Gauge { return s.metrics.inFlight }
