package mongodbtest

import "testing"

// TestRoundTripsPerOrder counts, with the driver's command monitor, the
// database commands one order costs on the happy path, and checks them
// against the protocol of docs/architecture.md: per order one insert (the
// journal) and one confirmation, per line one product read, one
// reservation and one marker clear. `make bench` reports the same counts.
func TestRoundTripsPerOrder(t *testing.T) {
	for _, lines := range []int{1, 5} {
		rt, err := CountRoundTrips(t.Context(), serverURI, lines)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d-line order: %d round trips %v", lines, rt.Total, rt.Commands)
		if want := 3*lines + 2; rt.Total != want {
			t.Errorf("%d-line order: %d round trips %v, want %d (3 per line + 2)", lines, rt.Total, rt.Commands, want)
		}
	}
}
