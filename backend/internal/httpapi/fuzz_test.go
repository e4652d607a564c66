package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzOrderCreate: whatever the body, POST /api/v1/orders answers a
// documented status below 500 with a JSON body, and stock never goes
// negative. The seeds run in `go test`; `make fuzz-service` explores further.
func FuzzOrderCreate(f *testing.F) {
	e := newTestEnvQuiet(f)
	p := e.createProduct(f, "FUZZ", 100, 3)
	for _, seed := range []string{
		orderBody("a@example.com", p.ID, 1),
		orderBody("a@example.com", p.ID, 4),
		`{"customer":{"name":"A","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1e3}]}`,
		`{"customer":{"name":"\u0000","email":"a@b.c"},"items":[{"productId":"` + p.ID + `","quantity":-9223372036854775808}]}`,
		`{"items":null,"customer":null}`, `null`, `[]`, `{}`, `{"customer":{}}{}`, `"x"`, ``, `{`, `{"a":1}`,
	} {
		f.Add(seed)
	}
	allowed := map[int]bool{200: true, 201: true, 400: true, 409: true, 413: true, 422: true}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/orders", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.srv.handler.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("POST /orders %q = %d %s, want one of 200, 201, 400, 409, 413, 422", body, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST /orders %q answered a body that is not JSON: %q", body, w.Body)
		}
		if w.Code == http.StatusCreated {
			// Put the stock back so the product never runs dry.
			var o orderJSON
			_ = json.Unmarshal(w.Body.Bytes(), &o)
			cw := httptest.NewRecorder()
			e.srv.handler.ServeHTTP(cw, httptest.NewRequest("POST", "/api/v1/orders/"+o.ID+"/cancel", nil))
		}
		got, err := e.store.GetProduct(r.Context(), p.ID)
		if err != nil || got.Stock < 0 || got.Stock > 3 {
			t.Fatalf("stock = %d, %v; want 0..3", got.Stock, err)
		}
	})
}
