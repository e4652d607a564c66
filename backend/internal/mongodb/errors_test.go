package mongodb

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// clearedPool stands for the driver's unexported poolClearedError: a
// checkout refused because the pool was cleared after another
// operation's network error (seen in the outage test as a 500).
type clearedPool struct{}

func (clearedPool) Error() string {
	return "connection pool for 127.0.0.1:1 was cleared because another operation failed"
}
func (clearedPool) Retryable() bool { return true }

func TestTranslateUnavailable(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("get product: %w", clearedPool{}),
	} {
		if got := translate(err); !errors.Is(got, order.ErrUnavailable) {
			t.Errorf("translate(%v) = %v, want order.ErrUnavailable", err, got)
		}
	}
	if got := translate(errors.New("something else")); errors.Is(got, order.ErrUnavailable) {
		t.Errorf("translate(unknown) = %v, want it not unavailable", got)
	}
}
