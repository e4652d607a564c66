package order

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The closed set of domain errors. Adapters translate their own errors into
// these; the HTTP layer maps exactly these to status codes.
var (
	// ErrNotFound: the product or order does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value (SKU, idempotency key) is taken, or the
	// document changed under the caller.
	ErrConflict = errors.New("conflict")
	// ErrInsufficientStock: a line asks for more units than are in stock.
	ErrInsufficientStock = errors.New("insufficient stock")
	// ErrInvalidTransition: the order's status does not allow the change.
	ErrInvalidTransition = errors.New("invalid status transition")
	// ErrIdempotencyMismatch: an Idempotency-Key was reused with a
	// different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
	// ErrUnavailable: the store cannot be reached or timed out. A write
	// that fails with it may still have been applied (see MaybeApplied).
	ErrUnavailable = errors.New("store unavailable")
)

// MaybeApplied reports whether a store write that returned err may
// nevertheless have been applied. It is the one place that decides: only
// the answers a store gives after looking at the data prove that nothing
// was written (ErrNotFound, ErrConflict, ErrInsufficientStock, a
// *ValidationError). Anything else — ErrUnavailable, a cancelled or expired
// context, a reset connection, an error this package does not know — may
// hide a write the database made before its reply was lost, so the caller
// must treat the write as possibly applied (undo it idempotently, and
// keep the order's journal until the undo is known to be done).
func MaybeApplied(err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrUnavailable),
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded):
		return true // checked first: a wrapped "not found" after a timeout is still a timeout
	case errors.Is(err, ErrNotFound),
		errors.Is(err, ErrConflict),
		errors.Is(err, ErrInsufficientStock),
		errors.As(err, new(*ValidationError)):
		return false
	}
	return true
}

// InProgressError answers a request whose Idempotency-Key belongs to an
// order that another request (or a crash, until Recover undoes it) is still
// placing. It matches ErrConflict; clients should retry after RetryAfter.
type InProgressError struct {
	OrderID    string
	RetryAfter time.Duration
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("order %s with this idempotency key is still being placed", e.OrderID)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *InProgressError) Is(target error) bool { return target == ErrConflict }

// ValidationError reports invalid input, field by field.
type ValidationError struct {
	Fields map[string]string
}

// NewValidationError returns a *ValidationError for fields, or nil if
// fields is empty, so callers can write `if err := NewValidationError(p);
// err != nil`.
func NewValidationError(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: fields}
}

func (e *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %s", k, e.Fields[k]))
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// StockError tells which product lacked stock. It matches
// ErrInsufficientStock with errors.Is.
type StockError struct {
	ProductID string
	Requested int64
	Available int64
}

func (e *StockError) Error() string {
	return fmt.Sprintf("insufficient stock for product %s: requested %d, available %d", e.ProductID, e.Requested, e.Available)
}

// Is makes errors.Is(err, ErrInsufficientStock) true.
func (e *StockError) Is(target error) bool { return target == ErrInsufficientStock }
