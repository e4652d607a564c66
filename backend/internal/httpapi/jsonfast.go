package httpapi

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendProductJSON appends p as encoding/json encodes it (the same bytes:
// TestAppendProductJSONMatchesEncodingJSON), without reflection. The
// product read is the hottest response; encoding/json was about a third of
// its handler's CPU (docs/benchmarks.md). ok is false when a value needs
// encoding/json after all (a time outside years 0-9999), and dst is then
// unusable.
func appendProductJSON(dst []byte, p *productJSON) (_ []byte, ok bool) {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, p.ID)
	dst = append(dst, `,"sku":`...)
	dst = appendJSONString(dst, p.SKU)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, p.Name)
	dst = append(dst, `,"description":`...)
	dst = appendJSONString(dst, p.Description)
	dst = append(dst, `,"priceCents":`...)
	dst = strconv.AppendInt(dst, p.PriceCents, 10)
	dst = append(dst, `,"currency":`...)
	dst = appendJSONString(dst, p.Currency)
	dst = append(dst, `,"stock":`...)
	dst = strconv.AppendInt(dst, p.Stock, 10)
	dst = append(dst, `,"createdAt":`...)
	if dst, ok = appendJSONTime(dst, p.CreatedAt); !ok {
		return dst, false
	}
	dst = append(dst, `,"updatedAt":`...)
	if dst, ok = appendJSONTime(dst, p.UpdatedAt); !ok {
		return dst, false
	}
	return append(dst, '}'), true
}

// appendJSONString appends s quoted. Strings of printable ASCII that
// encoding/json leaves alone (no '"', '\\', and none of '<', '>', '&',
// which it escapes for HTML) are copied; any other string is encoded by
// encoding/json itself, so the escaping rules stay its own.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string: cannot fail
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendJSONTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds, quoted); false for the years MarshalJSON refuses.
func appendJSONTime(dst []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), true
}
