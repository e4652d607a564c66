package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The fast product encoding is byte for byte what encoding/json writes,
// for plain values and for every kind of string encoding/json escapes.
func TestAppendProductJSONMatchesEncodingJSON(t *testing.T) {
	odd := []string{"", "plain", `quo"te`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r", "nul\x00bel\x07", "\b\f",
		"ünïcødé €", "bad utf8 \xff\xfe", "line sep \u2028 para \u2029", "bidi \u202e", "\x7f del", strings.Repeat("x", 600)}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string {
		if rng.IntN(3) == 0 {
			return odd[rng.IntN(len(odd))]
		}
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	times := []time.Time{time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), {}}
	for i := range 2000 {
		p := productJSON{ID: pick(), SKU: pick(), Name: pick(), Description: pick(), Currency: pick(),
			PriceCents: rng.Int64() - rng.Int64(), Stock: int64(rng.IntN(1000)) - 10,
			CreatedAt: times[rng.IntN(len(times))], UpdatedAt: times[rng.IntN(len(times))]}
		if i < len(odd) {
			p.Name = odd[i]
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(p); err != nil {
			t.Fatal(err)
		}
		got, ok := appendProductJSON(nil, &p)
		if !ok {
			t.Fatalf("appendProductJSON(%+v) not ok", p)
		}
		if got = append(got, '\n'); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendProductJSON(%+v)\n got %s\nwant %s", p, got, want.Bytes())
		}
	}
	// A year encoding/json refuses falls back to it (which then fails).
	if _, ok := appendProductJSON(nil, &productJSON{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); ok {
		t.Error("year 10000: ok, want the encoding/json fallback")
	}
}
