package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// randomJSONValues picks strings (plain, random bytes, and every kind
// encoding/json escapes), integers and times for the fast encoders' tests.
type randomJSONValues struct{ rng *rand.Rand }

var oddStrings = []string{"", "plain", `quo"te`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r", "nul\x00bel\x07", "\b\f",
	"ünïcødé €", "bad utf8 \xff\xfe", "line sep \u2028 para \u2029", "bidi \u202e", "\x7f del", strings.Repeat("x", 600)}

func (r randomJSONValues) str() string {
	if r.rng.IntN(3) == 0 {
		return oddStrings[r.rng.IntN(len(oddStrings))]
	}
	b := make([]byte, r.rng.IntN(20))
	for i := range b {
		b[i] = byte(r.rng.IntN(256))
	}
	return string(b)
}

func (r randomJSONValues) int() int64 { return r.rng.Int64() - r.rng.Int64() }

func (r randomJSONValues) time() time.Time {
	times := []time.Time{time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), {}}
	return times[r.rng.IntN(len(times))]
}

// matchesEncodingJSON fails t unless fast(v) plus a newline is what
// json.Encoder writes for v.
func matchesEncodingJSON[T any](t *testing.T, v T, fast func([]byte, *T) ([]byte, bool)) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(v); err != nil {
		t.Fatal(err)
	}
	got, ok := fast(nil, &v)
	if !ok {
		t.Fatalf("fast encoding of %+v not ok", v)
	}
	if got = append(got, '\n'); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("fast encoding of %+v\n got %s\nwant %s", v, got, want.Bytes())
	}
}

// The fast product encoding is byte for byte what encoding/json writes,
// for plain values and for every kind of string encoding/json escapes.
func TestAppendProductJSONMatchesEncodingJSON(t *testing.T) {
	r := randomJSONValues{rand.New(rand.NewPCG(1, 2))}
	for i := range 2000 {
		p := productJSON{ID: r.str(), SKU: r.str(), Name: r.str(), Description: r.str(), Currency: r.str(),
			PriceCents: r.int(), Stock: int64(r.rng.IntN(1000)) - 10, CreatedAt: r.time(), UpdatedAt: r.time()}
		if i < len(oddStrings) {
			p.Name = oddStrings[i]
		}
		matchesEncodingJSON(t, p, appendProductJSON)
	}
	// A year encoding/json refuses falls back to it (which then fails).
	if _, ok := appendProductJSON(nil, &productJSON{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); ok {
		t.Error("year 10000: ok, want the encoding/json fallback")
	}
}

// The fast order encoding likewise, with no, nil, one and several items.
func TestAppendOrderJSONMatchesEncodingJSON(t *testing.T) {
	r := randomJSONValues{rand.New(rand.NewPCG(3, 4))}
	for i := range 2000 {
		o := orderJSON{ID: r.str(), Customer: customerJSON{Name: r.str(), Email: r.str()}, TotalCents: r.int(),
			Currency: r.str(), Status: r.str(), CreatedAt: r.time(), UpdatedAt: r.time()}
		if n := r.rng.IntN(5) - 1; n >= 0 {
			o.Items = make([]lineItemJSON, n)
		}
		for j := range o.Items {
			o.Items[j] = lineItemJSON{ProductID: r.str(), SKU: r.str(), Name: r.str(), Quantity: r.int(),
				UnitPriceCents: r.int(), LineTotalCents: r.int()}
		}
		if i < len(oddStrings) {
			o.Customer.Name = oddStrings[i]
		}
		matchesEncodingJSON(t, o, appendOrderJSON)
	}
	if _, ok := appendOrderJSON(nil, &orderJSON{UpdatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}); ok {
		t.Error("year -1: ok, want the encoding/json fallback")
	}
}
