package mongodbtest

import (
	"maps"
	"testing"
)

// TestRoundTripsPerOrder counts, with the driver's command monitor, the
// database commands one order costs on the happy path, with and without an
// Idempotency-Key, and checks the bound of docs/architecture.md ("Placing
// an order"): one insert (the journal), one reservation per line, one
// confirmation — N+2 for N lines. No product read, no key lookup before
// the insert, no marker clear on the request's path: the background sweep
// clears them afterwards, at most one update per product.
func TestRoundTripsPerOrder(t *testing.T) {
	for _, key := range []string{"", "rt-key"} {
		for _, lines := range []int{1, 5} {
			rt, err := countRoundTrips(t.Context(), serverURI, lines, key)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d-line order, key %q: %d round trips %v; in the background %v", lines, key, rt.Total, rt.Commands, rt.Background)
			if limit := lines + 2; rt.Total > limit {
				t.Errorf("%d-line order, key %q: %d round trips %v, want at most %d (N+2)", lines, key, rt.Total, rt.Commands, limit)
			}
			if want := map[string]int{"update": lines}; !maps.Equal(rt.Background, want) {
				t.Errorf("%d-line order, key %q: background commands %v, want %v (the marker sweep, one per product)", lines, key, rt.Background, want)
			}
		}
	}
}
