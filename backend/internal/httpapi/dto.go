package httpapi

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// JSON shapes of the API. The domain types carry no tags; these convert.

type productJSON struct {
	ID          string    `json:"id"`
	SKU         string    `json:"sku"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	PriceCents  int64     `json:"priceCents"`
	Currency    string    `json:"currency"`
	Stock       int64     `json:"stock"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

func toProductJSON(p order.Product) productJSON {
	return productJSON{
		ID: p.ID, SKU: p.SKU, Name: p.Name, Description: p.Description,
		PriceCents: p.PriceCents, Currency: p.Currency, Stock: p.Stock,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
}

type customerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type lineItemJSON struct {
	ProductID      string `json:"productId"`
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unitPriceCents"`
	LineTotalCents int64  `json:"lineTotalCents"`
}

type orderJSON struct {
	ID         string         `json:"id"`
	Customer   customerJSON   `json:"customer"`
	Items      []lineItemJSON `json:"items"`
	TotalCents int64          `json:"totalCents"`
	Currency   string         `json:"currency"`
	Status     string         `json:"status"`
	CreatedAt  time.Time      `json:"createdAt"`
	UpdatedAt  time.Time      `json:"updatedAt"`
}

func toOrderJSON(o order.Order) orderJSON {
	items := make([]lineItemJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = lineItemJSON{
			ProductID: it.ProductID, SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPriceCents: it.UnitPriceCents, LineTotalCents: it.LineTotalCents,
		}
	}
	return orderJSON{
		ID: o.ID, Customer: customerJSON{Name: o.Customer.Name, Email: o.Customer.Email},
		Items: items, TotalCents: o.TotalCents, Currency: o.Currency, Status: string(o.Status),
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// productCreateRequest is the body of POST /products. Pointers tell a
// missing number from zero.
type productCreateRequest struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  *int64 `json:"priceCents"`
	Currency    string `json:"currency"`
	Stock       *int64 `json:"stock"`
}

func (r productCreateRequest) Valid(context.Context) map[string]string {
	p := map[string]string{}
	if r.PriceCents == nil {
		p["priceCents"] = "is required"
	}
	if r.Stock == nil {
		p["stock"] = "is required"
	}
	// The domain rules run here too so the client gets every problem at once.
	if ve, ok := r.product().Validate().(*order.ValidationError); ok {
		for k, v := range ve.Fields {
			if _, taken := p[k]; !taken {
				p[k] = v
			}
		}
	}
	return p
}

func (r productCreateRequest) product() order.Product {
	p := order.Product{SKU: r.SKU, Name: r.Name, Description: r.Description, Currency: r.Currency}
	if r.PriceCents != nil {
		p.PriceCents = *r.PriceCents
	}
	if r.Stock != nil {
		p.Stock = *r.Stock
	}
	return p
}

// productPatchRequest is the body of PATCH /products/{id}: absent fields
// are left alone.
type productPatchRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	PriceCents  *int64  `json:"priceCents"`
	Stock       *int64  `json:"stock"`
}

func (r productPatchRequest) Valid(context.Context) map[string]string {
	if ve, ok := r.patch().Validate().(*order.ValidationError); ok {
		return ve.Fields
	}
	return nil
}

func (r productPatchRequest) patch() order.ProductPatch {
	return order.ProductPatch{Name: r.Name, Description: r.Description, PriceCents: r.PriceCents, Stock: r.Stock}
}

// orderCreateRequest is the body of POST /orders.
type orderCreateRequest struct {
	Customer customerJSON `json:"customer"`
	Items    []struct {
		ProductID string `json:"productId"`
		Quantity  int64  `json:"quantity"`
	} `json:"items"`
}

func (r orderCreateRequest) Valid(context.Context) map[string]string {
	if ve, ok := r.placeOrder("").Validate().(*order.ValidationError); ok {
		return ve.Fields
	}
	return nil
}

func (r orderCreateRequest) placeOrder(key string) order.PlaceOrder {
	lines := make([]order.OrderLine, len(r.Items))
	for i, it := range r.Items {
		lines[i] = order.OrderLine{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return order.PlaceOrder{
		Customer:       order.Customer{Name: r.Customer.Name, Email: r.Customer.Email},
		Lines:          lines,
		IdempotencyKey: key,
	}
}

// orderStatusRequest is the body of POST /orders/{id}/status.
type orderStatusRequest struct {
	Status string `json:"status"`
}

func (r orderStatusRequest) Valid(context.Context) map[string]string {
	if _, ok := order.ParseStatus(r.Status); !ok {
		return map[string]string{"status": order.StatusChoices()}
	}
	return nil
}

// Cursors are opaque to clients: "c1." + the last id of the page, base64url
// encoded. The prefix versions the format.
const cursorPrefix = "c1."

func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + lastID))
}

func decodeCursor(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok || !order.ValidID(id) {
		return "", false
	}
	return id, true
}
