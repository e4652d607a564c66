package order

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// ErrUnavailable: the store cannot be reached or timed out.
	ErrUnavailable = errors.New("store unavailable")
)

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
