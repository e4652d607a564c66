package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// apiError is an error the transport itself decides on (bad JSON, auth,
// unknown route): it carries its status and code.
type apiError struct {
	status  int
	code    string
	message string
	fields  map[string]string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

var (
	errNotFound = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such resource"}
	errDraining = &apiError{status: http.StatusServiceUnavailable, code: "unavailable", message: "the server is shutting down"}
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// StatusClientClosedRequest is nginx's status for a request whose client
// hung up before the answer was ready. It is never sent (nobody is left to
// read it) but counted and logged, apart from the 5xx: a client that gives
// up is not a server failure, and must not feed the error-rate alert.
const StatusClientClosedRequest = 499

// writeError is the one place errors become HTTP responses. Client errors
// carry their message; 5xx are logged with the request id and the client
// gets a generic message.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	status, d := classify(err)
	if status >= 500 && clientGone(r, status, err) {
		status, d = StatusClientClosedRequest, errorDetail{Code: "client_closed_request", Message: "the client closed the connection before the answer"}
	}
	var busy *order.InProgressError
	if errors.As(err, &busy) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(busy.RetryAfter.Round(time.Second)/time.Second))))
	}
	if status >= 500 {
		level := slog.LevelError
		if status == http.StatusServiceUnavailable {
			level = slog.LevelWarn
			w.Header().Set("Retry-After", "1")
		}
		var id string
		if info := infoOf(w); info != nil {
			id = info.id
		}
		logger.LogAttrs(r.Context(), level, "request failed",
			slog.String("request_id", id),
			slog.String("method", methodLabel(r.Method)),
			slog.Int("status", status),
			slog.String("error", err.Error()))
	}
	encode(w, status, errorBody{Error: d})
}

// clientGone reports whether a failure is the client's hang-up: net/http
// cancels the request's context when the connection closes (our own
// REQUEST_TIMEOUT ends it with DeadlineExceeded instead). A 500 stays a
// 500 unless the error is the cancellation itself: a bug is a bug even
// when nobody waits for the answer.
func clientGone(r *http.Request, status int, err error) bool {
	if !errors.Is(r.Context().Err(), context.Canceled) {
		return false
	}
	return status == http.StatusServiceUnavailable || errors.Is(err, context.Canceled)
}

// classify maps an error to its status and body.
func classify(err error) (int, errorDetail) {
	var (
		ae    *apiError
		ve    *order.ValidationError
		stock *order.StockError
	)
	switch {
	case errors.As(err, &ae):
		return ae.status, errorDetail{Code: ae.code, Message: ae.message, Fields: ae.fields}
	case errors.As(err, &ve):
		return http.StatusBadRequest, errorDetail{Code: "validation_failed", Message: "the request has invalid fields", Fields: ve.Fields}
	case errors.As(err, &stock):
		return http.StatusConflict, errorDetail{Code: "insufficient_stock", Message: stock.Error()}
	case errors.Is(err, order.ErrInsufficientStock):
		return http.StatusConflict, errorDetail{Code: "insufficient_stock", Message: "not enough units in stock"}
	case errors.Is(err, order.ErrNotFound):
		return http.StatusNotFound, errorDetail{Code: "not_found", Message: "no such resource"}
	case errors.Is(err, order.ErrInvalidTransition):
		return http.StatusConflict, errorDetail{Code: "invalid_transition", Message: err.Error()}
	case errors.Is(err, order.ErrIdempotencyMismatch):
		return http.StatusUnprocessableEntity, errorDetail{Code: "idempotency_mismatch",
			Message: "this Idempotency-Key was used with a different request"}
	case errors.As(err, new(*order.InProgressError)):
		return http.StatusConflict, errorDetail{Code: "conflict", Message: "a request with this Idempotency-Key is still being processed; retry after Retry-After seconds"}
	case errors.Is(err, order.ErrConflict):
		// Store details (index names, other ids) stay out of the response.
		return http.StatusConflict, errorDetail{Code: "conflict", Message: "the request conflicts with the current state (a unique value is taken, or a concurrent change)"}
	case errors.Is(err, order.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, errorDetail{Code: "unavailable", Message: "the service is temporarily unavailable; retry later"}
	default:
		return http.StatusInternalServerError, errorDetail{Code: "internal", Message: "internal error"}
	}
}
