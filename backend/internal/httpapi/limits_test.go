package httpapi

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// TestOpenAPILimitsAreTheCode: the limits and the status list that
// openapi.yaml promises are the ones the code enforces and its messages
// quote (internal/order's constants, this package's page sizes), so the
// document cannot drift from the checks.
func TestOpenAPILimitsAreTheCode(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas
	prop := func(schema, name string) *openapi3.Schema {
		t.Helper()
		p := s[schema].Value.Properties[name]
		if p == nil {
			t.Fatalf("openapi.yaml: %s has no property %s", schema, name)
		}
		return p.Value
	}
	maxOf := func(v *float64) float64 {
		if v == nil {
			return -1
		}
		return *v
	}
	items := prop("OrderCreate", "items")
	limit := doc.Components.Parameters["Limit"].Value.Schema.Value
	checks := []struct {
		what      string
		doc, code float64
	}{
		{"ProductCreate.sku maxLength", float64(*ptr(prop("ProductCreate", "sku").MaxLength)), order.MaxSKULen},
		{"ProductCreate.name maxLength", float64(*ptr(prop("ProductCreate", "name").MaxLength)), order.MaxNameLen},
		{"ProductPatch.name maxLength", float64(*ptr(prop("ProductPatch", "name").MaxLength)), order.MaxNameLen},
		{"Customer.name maxLength", float64(*ptr(prop("Customer", "name").MaxLength)), order.MaxNameLen},
		{"ProductCreate.description maxLength", float64(*ptr(prop("ProductCreate", "description").MaxLength)), order.MaxDescriptionLen},
		{"ProductPatch.description maxLength", float64(*ptr(prop("ProductPatch", "description").MaxLength)), order.MaxDescriptionLen},
		{"ProductCreate.priceCents maximum", maxOf(prop("ProductCreate", "priceCents").Max), order.MaxPriceCents},
		{"ProductPatch.priceCents maximum", maxOf(prop("ProductPatch", "priceCents").Max), order.MaxPriceCents},
		{"ProductCreate.stock maximum", maxOf(prop("ProductCreate", "stock").Max), order.MaxStock},
		{"ProductPatch.stock maximum", maxOf(prop("ProductPatch", "stock").Max), order.MaxStock},
		{"Customer.email maxLength", float64(*ptr(prop("Customer", "email").MaxLength)), order.MaxEmailLen},
		{"OrderCreate.items maxItems", float64(*ptr(items.MaxItems)), order.MaxLines},
		{"OrderCreate.items[].quantity maximum", maxOf(items.Items.Value.Properties["quantity"].Value.Max), order.MaxQuantity},
		{"limit maximum", maxOf(limit.Max), maxLimit},
		{"limit default", limit.Default.(float64), defaultLimit},
	}
	for _, c := range checks {
		if c.doc != c.code {
			t.Errorf("openapi.yaml %s = %v, the code enforces %v", c.what, c.doc, c.code)
		}
	}
	var enum []string
	for _, v := range s["Status"].Value.Enum {
		enum = append(enum, v.(string))
	}
	var public []string
	for _, st := range order.PublicStatuses {
		public = append(public, string(st))
	}
	if len(enum) != len(public) {
		t.Fatalf("openapi.yaml Status enum = %v, order.PublicStatuses = %v", enum, public)
	}
	for i := range enum {
		if enum[i] != public[i] {
			t.Errorf("openapi.yaml Status enum = %v, order.PublicStatuses = %v", enum, public)
			break
		}
	}
}

func ptr[T any](v *T) *T {
	if v == nil {
		return new(T)
	}
	return v
}
