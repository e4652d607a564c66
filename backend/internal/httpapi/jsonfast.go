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

// appendOrderJSON appends o as encoding/json encodes it, like
// appendProductJSON (TestAppendOrderJSONMatchesEncodingJSON): the order
// is the answer of POST /orders, where encoding/json was about a tenth of
// the handler's CPU (docs/benchmarks.md).
func appendOrderJSON(dst []byte, o *orderJSON) (_ []byte, ok bool) {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, o.ID)
	dst = append(dst, `,"customer":{"name":`...)
	dst = appendJSONString(dst, o.Customer.Name)
	dst = append(dst, `,"email":`...)
	dst = appendJSONString(dst, o.Customer.Email)
	dst = append(dst, `},"items":`...)
	if o.Items == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range o.Items {
			it := &o.Items[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"productId":`...)
			dst = appendJSONString(dst, it.ProductID)
			dst = append(dst, `,"sku":`...)
			dst = appendJSONString(dst, it.SKU)
			dst = append(dst, `,"name":`...)
			dst = appendJSONString(dst, it.Name)
			dst = append(dst, `,"quantity":`...)
			dst = strconv.AppendInt(dst, it.Quantity, 10)
			dst = append(dst, `,"unitPriceCents":`...)
			dst = strconv.AppendInt(dst, it.UnitPriceCents, 10)
			dst = append(dst, `,"lineTotalCents":`...)
			dst = strconv.AppendInt(dst, it.LineTotalCents, 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"totalCents":`...)
	dst = strconv.AppendInt(dst, o.TotalCents, 10)
	dst = append(dst, `,"currency":`...)
	dst = appendJSONString(dst, o.Currency)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, o.Status)
	dst = append(dst, `,"createdAt":`...)
	if dst, ok = appendJSONTime(dst, o.CreatedAt); !ok {
		return dst, false
	}
	dst = append(dst, `,"updatedAt":`...)
	if dst, ok = appendJSONTime(dst, o.UpdatedAt); !ok {
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
