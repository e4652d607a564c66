package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// requestInfo is what the outer middleware learns from the inner layers
// (the matched route pattern). It travels on the status writer that
// observeMiddleware hands down (infoOf), not as a context value, which
// would copy the request (http.Request.WithContext) on every request. It
// is allocated once per request together with that writer.
type requestInfo struct {
	id    string
	route string
	// through is set once a registered route's handler runs (server.handle):
	// until then the writer keeps what is written in rec, which is the
	// mux's own answer to an unknown path or method, for server.route to
	// translate. It saves matching each request twice (mux.Handler, then
	// mux.ServeHTTP).
	through bool
	rec     discardRecorder
	// deadline is the request's context under withTimeout, kept here so
	// that it costs no allocation of its own.
	deadline lazyDeadline
}

// infoOf finds the request info on w: the status writer of
// observeMiddleware, or a writer wrapping it (Unwrap); nil without one.
func infoOf(w http.ResponseWriter) *requestInfo {
	for {
		switch v := w.(type) {
		case *statusWriter:
			return v.info
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return nil
		}
	}
}

// statusWriter records the status code written. While info.through is
// false (no registered route has taken the request yet) it writes into
// info.rec instead of the response.
type statusWriter struct {
	http.ResponseWriter
	status int
	info   *requestInfo
}

func (w *statusWriter) Header() http.Header {
	if !w.info.through {
		if w.info.rec.header == nil {
			w.info.rec.header = http.Header{}
		}
		return w.info.rec.header
	}
	return w.ResponseWriter.Header()
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.info.through {
		w.info.rec.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.info.through {
		return w.info.rec.Write(b)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// recoverMiddleware turns a panic into a logged 500. http.ErrAbortHandler
// is re-panicked: it is how a handler asks net/http to drop the connection.
func recoverMiddleware(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("request_id", w.Header().Get("X-Request-ID")),
					slog.String("method", methodLabel(r.Method)),
					slog.String("panic", fmt.Sprint(v)))
				writeError(w, r, slog.New(slog.DiscardHandler), fmt.Errorf("panic: %v", v))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

const maxRequestIDLen = 128

// validRequestID accepts 1-128 characters of letters, digits, '-', '_', '.'
// and ':', so a client-sent id can go into logs and headers unchanged.
func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID is 32 hex digits from math/rand/v2's global generator
// (ChaCha8, seeded from the OS, no lock): unique and unguessable enough for
// an id that only joins log lines, and cheaper than a crypto/rand read.
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	var h [32]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}

// Header keys in canonical form: indexing the header map with them skips
// the canonicalisation (and its allocation) of Header.Get and Header.Set;
// the bytes on the wire are the same.
const hdrRequestID = "X-Request-Id"

// observed is one request's shared state: its info and the status writer
// that carries it. One allocation instead of one per layer.
type observed struct {
	statusWriter
	info  requestInfo
	idHdr [1]string // the X-Request-Id header's value slice
}

// observeMiddleware is the request id, the access log and the metrics in
// one layer (they were three, each with its own status writer):
//   - it honours a valid X-Request-ID from the client, makes one up
//     otherwise, and returns it in the response header;
//   - it counts and times the request by route pattern (curried observers
//     cached per method, route and code: Metrics.observeRequest);
//   - it writes one access line per request; probes log at debug.
//
// A panic below is recorded as 500 (recoverMiddleware, outside, answers it).
func observeMiddleware(logger *slog.Logger, m *Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			var id string
			if v := r.Header[hdrRequestID]; len(v) > 0 && validRequestID(v[0]) {
				id = v[0]
			} else {
				id = newRequestID()
			}
			o := &observed{statusWriter: statusWriter{ResponseWriter: w}, info: requestInfo{id: id, route: "unmatched"}, idHdr: [1]string{id}}
			o.statusWriter.info = &o.info
			w.Header()[hdrRequestID] = o.idHdr[:]
			m.inFlight.Inc()
			status := http.StatusInternalServerError // if next panics
			defer func() {
				m.inFlight.Dec()
				d := time.Since(start)
				m.observeRequest(r.Method, o.info.route, status, d)
				level := slog.LevelInfo
				if o.info.route == "GET /healthz" || o.info.route == "GET /readyz" {
					level = slog.LevelDebug
				}
				if !logger.Enabled(r.Context(), level) {
					return
				}
				logger.LogAttrs(r.Context(), level, "request",
					slog.String("method", methodLabel(r.Method)),
					slog.String("route", o.info.route),
					slog.Int("status", status),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("request_id", id))
			}()
			next.ServeHTTP(&o.statusWriter, r)
			status = o.code()
		})
	}
}

// ready answers 503 unavailable while unready reports an error: the
// store is not open yet, so there is nothing to ask.
func ready(logger *slog.Logger, unready func() error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := unready(); err != nil {
			writeError(w, r, logger, fmt.Errorf("%w: %w", order.ErrUnavailable, err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminOnly requires "Authorization: Bearer <token>": missing → 401, wrong
// → 403. An empty token disables admin endpoints: always 401. The compare
// is constant-time over SHA-256 digests, so neither content nor length
// leaks through timing.
func adminOnly(logger *slog.Logger, token string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if token == "" {
				writeError(w, r, logger, &apiError{status: http.StatusUnauthorized, code: "unauthorized",
					message: "admin endpoints are disabled on this server (no ADMIN_TOKEN set)"})
				return
			}
			auth := r.Header.Get("Authorization")
			scheme, got, ok := strings.Cut(auth, " ")
			if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="orders"`)
				writeError(w, r, logger, &apiError{status: http.StatusUnauthorized, code: "unauthorized",
					message: "this endpoint needs an Authorization: Bearer <admin token> header"})
				return
			}
			gotSum := sha256.Sum256([]byte(got))
			if subtle.ConstantTimeCompare(gotSum[:], want[:]) != 1 {
				writeError(w, r, logger, &apiError{status: http.StatusForbidden, code: "forbidden",
					message: "the admin token is wrong"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
