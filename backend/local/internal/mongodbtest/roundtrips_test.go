package mongodbtest

import "testing"

// TestRoundTripsPerOrder counts, with the driver's command monitor, the
// database commands one order costs on the happy path, with and without an
// Idempotency-Key, and checks the bound of docs/architecture.md ("Placing
// an order"): one insert (the journal), one reservation per line, one
// confirmation — N+2 for N lines. No product read, no key lookup before
// the insert, no marker clear on the request's path (Recover clears them).
func TestRoundTripsPerOrder(t *testing.T) {
	for _, key := range []string{"", "rt-key"} {
		for _, lines := range []int{1, 5} {
			rt, err := countRoundTrips(t.Context(), serverURI, lines, key)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d-line order, key %q: %d round trips %v", lines, key, rt.Total, rt.Commands)
			if limit := lines + 2; rt.Total > limit {
				t.Errorf("%d-line order, key %q: %d round trips %v, want at most %d (N+2)", lines, key, rt.Total, rt.Commands, limit)
			}
		}
	}
}
