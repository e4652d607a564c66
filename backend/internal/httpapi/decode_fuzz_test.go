package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Fuzz targets of the request edge (owner: reliability). The seeds below
// and those committed under testdata/fuzz/<Name>/ run in every `go test`;
// `make fuzz` explores each target for FUZZTIME. Invariants: no panic, no
// 5xx from any input, every answer is JSON, and what is accepted
// round-trips.

// serve sends r to the handler (no OpenAPI check: fuzz inputs are
// deliberately outside the documented shapes).
func serve(e *testEnv, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.srv.handler.ServeHTTP(w, r)
	return w
}

func jsonRequest(method, path, body string, admin bool) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if admin {
		r.Header.Set("Authorization", "Bearer "+testToken)
	}
	return r
}

// checkAnswer fails unless the status is one of allowed and the body JSON.
func checkAnswer(t *testing.T, what string, w *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	ok := false
	for _, a := range allowed {
		ok = ok || w.Code == a
	}
	if !ok {
		t.Fatalf("%s = %d %s, want one of %v", what, w.Code, w.Body, allowed)
	}
	if w.Code != http.StatusNoContent && !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s = %d with a body that is not JSON: %q", what, w.Code, w.Body)
	}
}

// FuzzDecodeOrderCreate: decodeValid of an order body either succeeds, or
// fails with a 4xx client error; a body it accepts, encoded again, decodes
// to the same request.
func FuzzDecodeOrderCreate(f *testing.F) {
	for _, s := range []string{
		orderBody("ada@example.com", "0123456789abcdef01234567", 2),
		orderBody("ada@example.com", "0123456789abcdef01234567", 1, "0123456789abcdef01234568", 3),
		`{"customer":{"name":"A","email":"a@b.co"},"items":[{"productId":"0123456789abcdef01234567","quantity":1.5}]}`,
		`{"customer":{"name":"A","email":"a@b.co"},"items":[{"productId":"0123456789abcdef01234567","quantity":1}],"x":1}`,
		`{"customer":{"name":"A","email":"a@b.co"},"items":[]} {}`, `{"customer":"x"}`, `{"items":{}}`,
		`[]`, `null`, `true`, `"\ud800"`, `{"customer":{"name":"\u0000"}}`, ``, `{`, strings.Repeat("[", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		v, err := decodeValid[orderCreateRequest](w, jsonRequest("POST", "/api/v1/orders", body, false), 4096)
		if err != nil {
			status, d := classify(err)
			var ae *apiError
			var ve *order.ValidationError
			if status < 400 || status >= 500 || (!errors.As(err, &ae) && !errors.As(err, &ve)) {
				t.Fatalf("decodeValid(%q) = %T %v → %d, want a 4xx *apiError or *order.ValidationError", body, err, err, status)
			}
			if d.Code == "" || d.Message == "" {
				t.Fatalf("decodeValid(%q) → error body %+v without code or message", body, d)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode %+v: %v", body, v, err)
		}
		v2, err := decodeValid[orderCreateRequest](httptest.NewRecorder(), jsonRequest("POST", "/api/v1/orders", string(again), false), 1<<20)
		if err != nil {
			t.Fatalf("accepted %q, but its re-encoding %s is refused: %v", body, again, err)
		}
		if diff := cmp.Diff(v, v2); diff != "" {
			t.Fatalf("accepted %q does not round-trip (-first +again):\n%s", body, diff)
		}
	})
}

// FuzzProductCreate: whatever the body, POST /products answers 201, 400,
// 409 or 413 with JSON; a created product reads back as created.
func FuzzProductCreate(f *testing.F) {
	for _, s := range []string{
		`{"sku":"MUG-1","name":"Mug","description":"d","priceCents":1200,"currency":"EUR","stock":10}`,
		`{"sku":"MUG-1","name":"Mug","priceCents":0,"currency":"EUR","stock":0}`,
		`{"sku":"","name":"","priceCents":-1,"currency":"eur","stock":-1}`,
		`{"sku":"X","name":"Y","priceCents":9223372036854775807,"currency":"EUR","stock":9223372036854775807}`,
		`{"sku":"X","name":"Y","priceCents":1e2,"currency":"EUR","stock":1}`,
		`{"sku":"X","name":"Y","priceCents":"1","currency":"EUR","stock":1}`,
		`{"sku":"\u00e9","name":"\ud83d\ude00","priceCents":1,"currency":"EUR","stock":1}`,
		`{"sku":"X","name":"Y","priceCents":1,"currency":"EUR","stock":1,"id":"0123456789abcdef01234567"}`,
		`{}`, `null`, ``, `{"sku":null}`,
	} {
		f.Add(s)
	}
	e := newTestEnvQuiet(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := serve(e, jsonRequest("POST", "/api/v1/products", body, true))
		checkAnswer(t, fmt.Sprintf("POST /products %q", body), w, 201, 400, 409, 413)
		if w.Code != http.StatusCreated {
			return
		}
		var p productJSON
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || !order.ValidID(p.ID) {
			t.Fatalf("POST /products %q = 201 %s: bad product (%v)", body, w.Body, err)
		}
		g := serve(e, httptest.NewRequest("GET", "/api/v1/products/"+p.ID, nil))
		var got productJSON
		if g.Code != http.StatusOK || json.Unmarshal(g.Body.Bytes(), &got) != nil {
			t.Fatalf("GET the product just created = %d %s", g.Code, g.Body)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Fatalf("product read back differs (-created +read):\n%s", diff)
		}
		// Free the SKU for the next input.
		if d := serve(e, jsonRequest("DELETE", "/api/v1/products/"+p.ID, "", true)); d.Code != http.StatusNoContent {
			t.Fatalf("DELETE = %d %s", d.Code, d.Body)
		}
	})
}

// FuzzProductPatch: whatever the body, PATCH answers 200, 400 or 413 with
// JSON, and the product stays valid.
func FuzzProductPatch(f *testing.F) {
	for _, s := range []string{
		`{"name":"New"}`, `{"stock":0}`, `{"stock":-1}`, `{"priceCents":null}`, `{"description":""}`,
		`{}`, `{"sku":"X"}`, `{"stock":1000000001}`, `{"name":""}`, `[]`, `{"name":"\u0000"}`,
	} {
		f.Add(s)
	}
	e := newTestEnvQuiet(f)
	p := e.createProduct(f, "PATCH", 100, 5)
	f.Fuzz(func(t *testing.T, body string) {
		w := serve(e, jsonRequest("PATCH", "/api/v1/products/"+p.ID, body, true))
		checkAnswer(t, fmt.Sprintf("PATCH /products/{id} %q", body), w, 200, 400, 413)
		if w.Code != http.StatusOK {
			return
		}
		var got productJSON
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		prod := order.Product{SKU: got.SKU, Name: got.Name, Description: got.Description, PriceCents: got.PriceCents, Currency: got.Currency, Stock: got.Stock}
		if err := prod.Validate(); err != nil {
			t.Fatalf("PATCH %q = 200 but left an invalid product %+v: %v", body, got, err)
		}
	})
}

// FuzzListQuery: whatever the cursor and limit, the product and order
// lists answer 200 or 400 with JSON; a cursor decodeCursor accepts names a
// valid id that encodes back to a cursor naming the same id.
func FuzzListQuery(f *testing.F) {
	valid := encodeCursor("0123456789abcdef01234567")
	for _, s := range [][2]string{
		{"", ""}, {valid, "20"}, {valid, "0"}, {valid, "101"}, {"", "-1"}, {"", "1e2"}, {"", " 5"},
		{"not-base64!", "5"}, {"YzEu", "5"}, {encodeCursor("zz"), "5"}, {valid + "=", "5"}, {valid[:len(valid)-1] + "A", "1"},
		{"", "99999999999999999999999"},
	} {
		f.Add(s[0], s[1])
	}
	e := newTestEnvQuiet(f)
	for i := range 3 {
		e.createProduct(f, fmt.Sprint("LIST-", i), 100, 1)
	}
	f.Fuzz(func(t *testing.T, cursor, limit string) {
		if id, ok := decodeCursor(cursor); ok && cursor != "" {
			if !order.ValidID(id) {
				t.Fatalf("decodeCursor(%q) = %q, an invalid id", cursor, id)
			}
			if back, ok := decodeCursor(encodeCursor(id)); !ok || back != id {
				t.Fatalf("cursor of %q does not round-trip: %q %v", id, back, ok)
			}
		}
		q := url.Values{"cursor": {cursor}, "limit": {limit}}.Encode()
		checkAnswer(t, "GET /products?"+q, serve(e, httptest.NewRequest("GET", "/api/v1/products?"+q, nil)), 200, 400)
		r := httptest.NewRequest("GET", "/api/v1/orders?"+q, nil)
		r.Header.Set("Authorization", "Bearer "+testToken)
		checkAnswer(t, "GET /orders?"+q, serve(e, r), 200, 400)
	})
}

// FuzzCursorRoundTrip: every id encodes to a cursor that decodes to it.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add([]byte("0123456789ab"))
	f.Add(make([]byte, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 12 {
			return
		}
		id := hex.EncodeToString(b[:12])
		if got, ok := decodeCursor(encodeCursor(id)); !ok || got != id {
			t.Fatalf("decodeCursor(encodeCursor(%q)) = %q, %v", id, got, ok)
		}
	})
}

// FuzzIdempotencyKeyHeader: an order with any Idempotency-Key is placed
// (201, or 200 on a replay) exactly when order.ValidateIdempotencyKey
// accepts the key, and is refused with 400 otherwise; never a 5xx.
func FuzzIdempotencyKeyHeader(f *testing.F) {
	for _, s := range []string{"k1", "order-0001", strings.Repeat("x", 128), strings.Repeat("x", 129), " ", "a b", "é", "\x7f", "\t"} {
		f.Add(s)
	}
	e := newTestEnvQuiet(f)
	p := e.createProduct(f, "IDEM", 100, order.MaxStock)
	body := orderBody("idem@example.com", p.ID, 1)
	f.Fuzz(func(t *testing.T, key string) {
		r := jsonRequest("POST", "/api/v1/orders", body, false)
		r.Header["Idempotency-Key"] = []string{key}
		w := serve(e, r)
		if order.ValidateIdempotencyKey(key) == "" {
			checkAnswer(t, fmt.Sprintf("POST /orders with key %q", key), w, 201, 200)
		} else {
			checkAnswer(t, fmt.Sprintf("POST /orders with key %q", key), w, 400)
		}
	})
}
