package mongodb

import (
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// ProductDoc is a product as stored. Markers are the pending stock changes
// (see order.Store.ApplyStock); always an array, so $push works. Exported
// for the local store (backend/local/internal/localstore), which reads
// products with their markers by _id itself.
type ProductDoc struct {
	ID          bson.ObjectID `bson:"_id"`
	SKU         string        `bson:"sku"`
	Name        string        `bson:"name"`
	Description string        `bson:"description"`
	PriceCents  int64         `bson:"priceCents"`
	Currency    string        `bson:"currency"`
	Stock       int64         `bson:"stock"`
	Markers     []string      `bson:"markers"`
	CreatedAt   time.Time     `bson:"createdAt"`
	UpdatedAt   time.Time     `bson:"updatedAt"`
}

type customerDoc struct {
	Name  string `bson:"name"`
	Email string `bson:"email"`
}

type lineItemDoc struct {
	ProductID      bson.ObjectID `bson:"productId"`
	SKU            string        `bson:"sku"`
	Name           string        `bson:"name"`
	Quantity       int64         `bson:"quantity"`
	UnitPriceCents int64         `bson:"unitPriceCents"`
	LineTotalCents int64         `bson:"lineTotalCents"`
}

// orderDoc is an order as stored. IdempotencyKey is omitted when empty so
// that the sparse unique index skips orders without one.
type orderDoc struct {
	ID             bson.ObjectID `bson:"_id"`
	Customer       customerDoc   `bson:"customer"`
	Items          []lineItemDoc `bson:"items"`
	TotalCents     int64         `bson:"totalCents"`
	Currency       string        `bson:"currency"`
	Status         string        `bson:"status"`
	StockReleased  bool          `bson:"stockReleased"`
	IdempotencyKey string        `bson:"idempotencyKey,omitempty"`
	RequestHash    string        `bson:"requestHash"`
	CreatedAt      time.Time     `bson:"createdAt"`
	UpdatedAt      time.Time     `bson:"updatedAt"`
}

// objectID parses a domain id. A malformed id cannot name a stored
// document, so it is order.ErrNotFound.
func ObjectID(id string) (bson.ObjectID, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil || !order.ValidID(id) {
		return bson.ObjectID{}, fmt.Errorf("id %q: %w", id, order.ErrNotFound)
	}
	return oid, nil
}

func toProductDoc(p order.Product) (ProductDoc, error) {
	oid, err := bson.ObjectIDFromHex(p.ID)
	if err != nil {
		return ProductDoc{}, fmt.Errorf("product id %q: %w", p.ID, err)
	}
	return ProductDoc{
		ID: oid, SKU: p.SKU, Name: p.Name, Description: p.Description,
		PriceCents: p.PriceCents, Currency: p.Currency, Stock: p.Stock,
		Markers:   []string{},
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}, nil
}

// Product is the domain product the document holds (without its markers).
func (d ProductDoc) Product() order.Product {
	return order.Product{
		ID: d.ID.Hex(), SKU: d.SKU, Name: d.Name, Description: d.Description,
		PriceCents: d.PriceCents, Currency: d.Currency, Stock: d.Stock,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}

func toOrderDoc(o order.Order) (orderDoc, error) {
	oid, err := bson.ObjectIDFromHex(o.ID)
	if err != nil {
		return orderDoc{}, fmt.Errorf("order id %q: %w", o.ID, err)
	}
	items := make([]lineItemDoc, len(o.Items))
	for i, it := range o.Items {
		pid, err := bson.ObjectIDFromHex(it.ProductID)
		if err != nil {
			return orderDoc{}, fmt.Errorf("order %s item %d product id %q: %w", o.ID, i, it.ProductID, err)
		}
		items[i] = lineItemDoc{
			ProductID: pid, SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPriceCents: it.UnitPriceCents, LineTotalCents: it.LineTotalCents,
		}
	}
	return orderDoc{
		ID:       oid,
		Customer: customerDoc{Name: o.Customer.Name, Email: o.Customer.Email},
		Items:    items, TotalCents: o.TotalCents, Currency: o.Currency,
		Status: string(o.Status), StockReleased: o.StockReleased,
		IdempotencyKey: o.IdempotencyKey, RequestHash: o.RequestHash,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}, nil
}

func (d orderDoc) order() order.Order {
	var items []order.LineItem
	for _, it := range d.Items {
		items = append(items, order.LineItem{
			ProductID: it.ProductID.Hex(), SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPriceCents: it.UnitPriceCents, LineTotalCents: it.LineTotalCents,
		})
	}
	return order.Order{
		ID:       d.ID.Hex(),
		Customer: order.Customer{Name: d.Customer.Name, Email: d.Customer.Email},
		Items:    items, TotalCents: d.TotalCents, Currency: d.Currency,
		Status: order.Status(d.Status), StockReleased: d.StockReleased,
		IdempotencyKey: d.IdempotencyKey, RequestHash: d.RequestHash,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}
