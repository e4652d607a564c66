package httpapi

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadInput sends what a careless or hostile client might and checks the
// documented 4xx with a JSON error body, never a 5xx.
func TestBadInput(t *testing.T) {
	e := defaultEnv(t) // MaxBodyBytes 4096
	p := e.createProduct(t, "P", 100, 5)
	o := mustDo[orderJSON](t, e, req{method: "POST", path: "/api/v1/orders", body: orderBody("ada@example.com", p.ID, 1)}, http.StatusCreated)
	missing := "0123456789abcdef01234567"
	prod := "/api/v1/products"
	ord := "/api/v1/orders"
	goodProduct := `{"sku":"X","name":"X","priceCents":1,"currency":"EUR","stock":1}`
	noCT := map[string]string{"Content-Type": ""}

	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
		wantFields []string // field names that must be in error.fields
	}{
		{"malformed json", req{method: "POST", path: ord, body: `{"customer":`}, 400, "invalid_json", nil},
		{"not json at all", req{method: "POST", path: ord, body: `hello`}, 400, "invalid_json", nil},
		{"json array body", req{method: "POST", path: ord, body: `[1,2]`}, 400, "invalid_json", nil},
		{"empty body", req{method: "POST", path: ord, header: map[string]string{"Content-Type": "application/json"}}, 400, "invalid_json", nil},
		{"trailing data", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1) + `{}`}, 400, "invalid_json", nil},
		{"trailing garbage", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1) + `xyz`}, 400, "invalid_json", nil},
		{"unknown field", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com"},"items":[],"coupon":"FREE"}`}, 400, "invalid_json", []string{"coupon"}},
		{"unknown nested field", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com","vip":true},"items":[]}`}, 400, "invalid_json", []string{"customer.vip"}},
		{"quantity as string", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":"2"}]}`}, 400, "invalid_json", []string{"items[0].quantity"}},
		{"quantity fractional", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1.5}]}`}, 400, "invalid_json", []string{"items[0].quantity"}},
		{"quantity overflow", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1e30}]}`}, 400, "invalid_json", []string{"items[0].quantity"}},
		{"unknown field in a later item", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1},{"productId":"` + p.ID + `","quantity":1,"coupon":1}]}`}, 400, "invalid_json", []string{"items[1].coupon"}},
		{"key in another case", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","PRICECENTS":1,"currency":"EUR","stock":1}`}, 400, "invalid_json", []string{"PRICECENTS"}},
		{"key in another case, nested", req{method: "POST", path: ord, body: `{"customer":{"Name":"A","email":"a@example.com"},"items":[]}`}, 400, "invalid_json", []string{"customer.Name"}},
		{"duplicate key", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","priceCents":1,"priceCents":0,"currency":"EUR","stock":1}`}, 400, "invalid_json", []string{"priceCents"}},
		{"duplicate nested key", req{method: "POST", path: ord, body: `{"customer":{"name":"A","email":"a@example.com","email":"b@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1}]}`}, 400, "invalid_json", []string{"customer.email"}},
		{"invalid UTF-8", req{method: "POST", path: prod, admin: true, body: "{\"sku\":\"X\",\"name\":\"caf\xe9\",\"priceCents\":1,\"currency\":\"EUR\",\"stock\":1}"}, 400, "invalid_json", []string{"name"}},
		{"lone surrogate", req{method: "POST", path: ord, body: `{"customer":{"name":"\ud800","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1}]}`}, 400, "invalid_json", []string{"customer.name"}},
		{"NUL in product name", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"a\u0000b","priceCents":1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"name"}},
		{"CR LF in description", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","description":"a\r\nSet-Cookie: x","priceCents":1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"description"}},
		{"escape char in patched name", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{"name":"\u001b[31mred"}`}, 400, "validation_failed", []string{"name"}},
		{"C1 control in description", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{"description":"a\u0085b"}`}, 400, "validation_failed", []string{"description"}},
		{"bidi override in customer name", req{method: "POST", path: ord, body: `{"customer":{"name":"Ada \u202egnp.exe","email":"a@example.com"},"items":[{"productId":"` + p.ID + `","quantity":1}]}`}, 400, "validation_failed", []string{"customer.name"}},
		{"bidi isolate in product name", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"a\u2066b","priceCents":1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"name"}},
		{"bidi embedding in description", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","description":"\u202a","priceCents":1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"description"}},
		{"email domain not a host name", req{method: "POST", path: ord, body: orderBody("a@b.c'--", p.ID, 1)}, 400, "validation_failed", []string{"customer.email"}},
		{"email domain label starts with hyphen", req{method: "POST", path: ord, body: orderBody("a@-b.example", p.ID, 1)}, 400, "validation_failed", []string{"customer.email"}},
		{"email domain with empty label", req{method: "POST", path: ord, body: orderBody("a@b..example", p.ID, 1)}, 400, "validation_failed", []string{"customer.email"}},
		{"customer as string", req{method: "POST", path: ord, body: `{"customer":"ada","items":[]}`}, 400, "invalid_json", []string{"customer"}},
		{"zero quantity", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 0)}, 400, "validation_failed", []string{"items[0].quantity"}},
		{"negative quantity", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, -3)}, 400, "validation_failed", []string{"items[0].quantity"}},
		{"quantity too large", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 10001)}, 400, "validation_failed", []string{"items[0].quantity"}},
		{"no items", req{method: "POST", path: ord, body: orderBody("a@example.com")}, 400, "validation_failed", []string{"items"}},
		{"bad product id", req{method: "POST", path: ord, body: orderBody("a@example.com", "nope", 1)}, 400, "validation_failed", []string{"items[0].productId"}},
		{"unknown product", req{method: "POST", path: ord, body: orderBody("a@example.com", missing, 1)}, 400, "validation_failed", []string{"items[0].productId"}},
		{"duplicate product", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1, p.ID, 1)}, 400, "validation_failed", []string{"items[1].productId"}},
		{"bad email", req{method: "POST", path: ord, body: orderBody("not-an-email", p.ID, 1)}, 400, "validation_failed", []string{"customer.email"}},
		{"missing customer", req{method: "POST", path: ord, body: `{"items":[{"productId":"` + p.ID + `","quantity":1}]}`}, 400, "validation_failed", []string{"customer.name", "customer.email"}},
		{"bad idempotency key", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1), header: map[string]string{"Idempotency-Key": "has space"}}, 400, "validation_failed", []string{"Idempotency-Key"}},
		{"idempotency key too long", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1), header: map[string]string{"Idempotency-Key": strings.Repeat("k", 129)}}, 400, "validation_failed", []string{"Idempotency-Key"}},
		{"huge body", req{method: "POST", path: ord, body: `{"customer":{"name":"` + strings.Repeat("a", 5000) + `","email":"a@example.com"},"items":[]}`}, 413, "body_too_large", nil},
		{"huge body of whitespace", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1) + strings.Repeat(" ", 5000)}, 413, "body_too_large", nil},
		{"no content type", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1), header: noCT}, 415, "unsupported_media_type", nil},
		{"text/plain", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1), header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", nil},
		{"latin1 charset", req{method: "POST", path: ord, body: orderBody("a@example.com", p.ID, 1), header: map[string]string{"Content-Type": "application/json; charset=latin1"}}, 415, "unsupported_media_type", nil},
		{"form post", req{method: "POST", path: prod, admin: true, body: `sku=x`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", nil},

		{"product missing fields", req{method: "POST", path: prod, admin: true, body: `{}`}, 400, "validation_failed", []string{"sku", "name", "priceCents", "currency", "stock"}},
		{"product negative price", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","priceCents":-1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"priceCents"}},
		{"product negative stock", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","priceCents":1,"currency":"EUR","stock":-1}`}, 400, "validation_failed", []string{"stock"}},
		{"product lower-case currency", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","priceCents":1,"currency":"eur","stock":1}`}, 400, "validation_failed", []string{"currency"}},
		{"product bad sku", req{method: "POST", path: prod, admin: true, body: `{"sku":"-x y","name":"X","priceCents":1,"currency":"EUR","stock":1}`}, 400, "validation_failed", []string{"sku"}},
		{"product price as string", req{method: "POST", path: prod, admin: true, body: `{"sku":"X","name":"X","priceCents":"1","currency":"EUR","stock":1}`}, 400, "invalid_json", []string{"priceCents"}},
		{"product sku taken", req{method: "POST", path: prod, admin: true, body: `{"sku":"P","name":"X","priceCents":1,"currency":"EUR","stock":1}`}, 409, "conflict", []string{"sku"}},
		{"patch empty", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{}`}, 400, "validation_failed", []string{"body"}},
		{"patch sku not patchable", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{"sku":"Y"}`}, 400, "invalid_json", []string{"sku"}},
		{"patch negative stock", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{"stock":-5}`}, 400, "validation_failed", []string{"stock"}},
		{"patch blank name", req{method: "PATCH", path: prod + "/" + p.ID, admin: true, body: `{"name":"  "}`}, 400, "validation_failed", []string{"name"}},
		{"patch missing product", req{method: "PATCH", path: prod + "/" + missing, admin: true, body: `{"stock":1}`}, 404, "not_found", nil},
		{"patch invalid id", req{method: "PATCH", path: prod + "/xyz", admin: true, body: `{"stock":1}`}, 404, "not_found", nil},
		{"delete missing product", req{method: "DELETE", path: prod + "/" + missing, admin: true}, 404, "not_found", nil},

		{"product invalid id", req{method: "GET", path: prod + "/not-an-id"}, 404, "not_found", nil},
		{"product upper-case id", req{method: "GET", path: prod + "/" + strings.ToUpper(p.ID)}, 404, "not_found", nil},
		{"product missing id", req{method: "GET", path: prod + "/" + missing}, 404, "not_found", nil},
		{"order invalid id", req{method: "GET", path: ord + "/%00%01"}, 404, "not_found", nil},
		{"order missing id", req{method: "GET", path: ord + "/" + missing}, 404, "not_found", nil},
		{"cancel missing order", req{method: "POST", path: ord + "/" + missing + "/cancel"}, 404, "not_found", nil},
		{"status unknown", req{method: "POST", path: ord + "/" + o.ID + "/status", admin: true, body: `{"status":"teleported"}`}, 400, "validation_failed", []string{"status"}},
		{"status reserving is internal", req{method: "POST", path: ord + "/" + o.ID + "/status", admin: true, body: `{"status":"reserving"}`}, 400, "validation_failed", []string{"status"}},
		{"status skip ahead", req{method: "POST", path: ord + "/" + o.ID + "/status", admin: true, body: `{"status":"delivered"}`}, 409, "invalid_transition", nil},
		{"status on missing order", req{method: "POST", path: ord + "/" + missing + "/status", admin: true, body: `{"status":"paid"}`}, 404, "not_found", nil},

		{"bad cursor", req{method: "GET", path: prod + "?cursor=garbage!"}, 400, "validation_failed", []string{"cursor"}},
		{"forged cursor", req{method: "GET", path: prod + "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("c1.'; drop"))}, 400, "validation_failed", []string{"cursor"}},
		{"raw id as cursor", req{method: "GET", path: prod + "?cursor=" + p.ID}, 400, "validation_failed", []string{"cursor"}},
		{"limit zero", req{method: "GET", path: prod + "?limit=0"}, 400, "validation_failed", []string{"limit"}},
		{"limit too big", req{method: "GET", path: prod + "?limit=101"}, 400, "validation_failed", []string{"limit"}},
		{"limit negative", req{method: "GET", path: prod + "?limit=-1"}, 400, "validation_failed", []string{"limit"}},
		{"limit not a number", req{method: "GET", path: prod + "?limit=ten"}, 400, "validation_failed", []string{"limit"}},
		{"limit empty", req{method: "GET", path: prod + "?limit="}, 400, "validation_failed", []string{"limit"}},
		{"order list bad status", req{method: "GET", path: ord + "?status=lost", admin: true}, 400, "validation_failed", []string{"status"}},
		{"order list bad limit and cursor", req{method: "GET", path: ord + "?limit=1000&cursor=x", admin: true}, 400, "validation_failed", []string{"limit", "cursor"}},

		{"admin token missing", req{method: "POST", path: prod, body: goodProduct}, 401, "unauthorized", nil},
		{"admin token wrong", req{method: "POST", path: prod, body: goodProduct, header: map[string]string{"Authorization": "Bearer nope"}}, 403, "forbidden", nil},
		{"admin token prefix", req{method: "POST", path: prod, body: goodProduct, header: map[string]string{"Authorization": "Bearer " + testToken[:5]}}, 403, "forbidden", nil},
		{"admin basic auth", req{method: "POST", path: prod, body: goodProduct, header: map[string]string{"Authorization": "Basic YTpi"}}, 401, "unauthorized", nil},
		{"admin bearer empty", req{method: "POST", path: prod, body: goodProduct, header: map[string]string{"Authorization": "Bearer "}}, 401, "unauthorized", nil},
		{"list orders no token", req{method: "GET", path: ord}, 401, "unauthorized", nil},
		{"delete no token", req{method: "DELETE", path: prod + "/" + p.ID}, 401, "unauthorized", nil},
		{"patch wrong token", req{method: "PATCH", path: prod + "/" + p.ID, body: `{"stock":1}`, header: map[string]string{"Authorization": "Bearer x"}}, 403, "forbidden", nil},
		{"status no token", req{method: "POST", path: ord + "/" + o.ID + "/status", body: `{"status":"paid"}`}, 401, "unauthorized", nil},

		{"unknown route", req{method: "GET", path: "/api/v1/nothing"}, 404, "not_found", nil},
		{"root", req{method: "GET", path: "/"}, 404, "not_found", nil},
		{"trailing slash", req{method: "GET", path: "/api/v1/products/"}, 404, "not_found", nil},
		{"method not allowed", req{method: "PUT", path: prod + "/" + p.ID, body: `{}`}, 405, "method_not_allowed", nil},
		{"delete collection", req{method: "DELETE", path: ord}, 405, "method_not_allowed", nil},
		{"get cancel", req{method: "GET", path: ord + "/" + o.ID + "/cancel"}, 405, "method_not_allowed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(t, tt.r)
			if w.Code != tt.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tt.r.method, tt.r.path, w.Code, w.Body, tt.wantStatus)
			}
			got := errorOf(t, w)
			if got.Code != tt.wantCode || got.Message == "" {
				t.Errorf("error = %+v, want code %q and a message", got, tt.wantCode)
			}
			var gotFields []string
			for _, f := range tt.wantFields {
				if _, ok := got.Fields[f]; ok {
					gotFields = append(gotFields, f)
				}
			}
			if diff := cmp.Diff(tt.wantFields, gotFields); diff != "" {
				t.Errorf("error fields %v: missing (-want +got):\n%s", got.Fields, diff)
			}
		})
	}
	// None of it changed the stock.
	if got := mustDo[productJSON](t, e, req{method: "GET", path: prod + "/" + p.ID}, http.StatusOK); got.Stock != 4 {
		t.Errorf("stock after bad requests = %d, want 4", got.Stock)
	}
}

func TestMethodNotAllowedAllowHeader(t *testing.T) {
	e := defaultEnv(t)
	w := e.do(t, req{method: "DELETE", path: "/api/v1/orders"})
	if got := w.Header().Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "POST") {
		t.Errorf("Allow = %q, want GET and POST", got)
	}
}

func TestAdminDisabledWithoutToken(t *testing.T) {
	e := newTestEnv(t, Config{})
	for _, auth := range []string{"", "Bearer ", "Bearer anything"} {
		w := e.do(t, req{method: "GET", path: "/api/v1/orders", header: map[string]string{"Authorization": auth}})
		if w.Code != http.StatusUnauthorized || errorOf(t, w).Code != "unauthorized" {
			t.Errorf("GET /orders with %q and no ADMIN_TOKEN = %d %s, want 401", auth, w.Code, w.Body)
		}
	}
}
