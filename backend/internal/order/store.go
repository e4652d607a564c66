package order

import (
	"context"
	"time"
)

// Store keeps products and orders. Every method is a single-document
// operation, atomic on its own; none needs a transaction (ListMarkedProducts
// and the list calls read, and need no snapshot). Implementations return the
// errors of this package (wrapped is fine): ErrNotFound, ErrConflict,
// ErrInsufficientStock only when the data shows it; ErrUnavailable (or a
// context error) when the store could not be asked or did not answer, in
// which case a write may or may not have been made (see MaybeApplied).
type Store interface {
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error

	// CreateProduct inserts p as given (ID and timestamps set by the caller).
	// A taken SKU is ErrConflict.
	CreateProduct(ctx context.Context, p Product) error
	GetProduct(ctx context.Context, id string) (Product, error)
	// ListProducts returns up to limit products with ID > after, by ID.
	ListProducts(ctx context.Context, after string, limit int) ([]Product, error)
	// UpdateProduct applies patch and sets UpdatedAt to now; it returns the
	// updated product.
	UpdateProduct(ctx context.Context, id string, patch ProductPatch, now time.Time) (Product, error)
	DeleteProduct(ctx context.Context, id string) error

	// ApplyStock adds delta (negative to reserve) to the product's stock and
	// adds marker to it, in one atomic update, unless the product already
	// carries marker (then it changes nothing: the change was made before).
	// It returns the product as the update left it (or as it found it, with
	// the marker), so that placing an order prices its lines from the very
	// update that reserved them, without reading the product first. A
	// reservation that would take stock below zero changes nothing and
	// returns a *StockError.
	ApplyStock(ctx context.Context, productID, marker string, delta int64) (Product, error)
	// RevertStock undoes ApplyStock: if the product carries marker, it
	// subtracts delta and removes marker atomically; otherwise it does
	// nothing and returns nil.
	RevertStock(ctx context.Context, productID, marker string, delta int64) error
	// ClearMarkers removes markers from the product in one update, keeping
	// the stock changes. A missing product or marker is not an error.
	ClearMarkers(ctx context.Context, productID string, markers []string) error
	// ListMarkedProducts returns the markers of up to limit products that
	// carry at least one, with ID > after, by ID.
	ListMarkedProducts(ctx context.Context, after string, limit int) ([]ProductMarkers, error)

	// CreateOrder inserts o as given. A taken idempotency key is ErrConflict.
	CreateOrder(ctx context.Context, o Order) error
	GetOrder(ctx context.Context, id string) (Order, error)
	GetOrderByIdempotencyKey(ctx context.Context, key string) (Order, error)
	// OrderStates returns the state of each order of ids that exists, in
	// any status (StatusReserving too), in no particular order; an id with
	// no order is left out. Recover reads the orders of many markers with
	// it at once. Callers pass at most MaxOrderStates ids.
	OrderStates(ctx context.Context, ids []string) ([]OrderState, error)
	// ListOrders returns up to f.Limit public orders (never StatusReserving)
	// matching f with ID > f.After, by ID.
	ListOrders(ctx context.Context, f OrderFilter) ([]Order, error)
	// ListStaleOrders returns up to limit orders that a crash may have left
	// half done — StatusReserving, or StatusCancelled without StockReleased —
	// last updated before cutoff, with ID > after, by ID.
	ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]Order, error)
	// SetOrderStatus changes the status from `from` to `to` if the order's
	// status is still `from`, and sets UpdatedAt to now. If the order exists
	// with another status it returns ErrConflict.
	SetOrderStatus(ctx context.Context, id string, from, to Status, now time.Time) (Order, error)
	// ClaimOrder is a compare-and-set on the whole order: if its status is
	// `from` and its UpdatedAt equals seen, it sets the status to `to` and
	// UpdatedAt to now and returns the order. If the order exists in
	// another state it returns ErrConflict. Placing fences its own
	// confirmation with it, and Recover uses it to take an order over, so
	// that at most one of them can win (see Service).
	ClaimOrder(ctx context.Context, id string, from Status, seen time.Time, to Status, now time.Time) (Order, error)
	// ConfirmOrder places a reserving order: it is ClaimOrder(o.ID,
	// StatusReserving, seen, StatusPending, now) that, in the same
	// single-document update, also writes o's priced Items, Currency and
	// TotalCents (the journal was inserted with product ids and quantities
	// only). It returns the order as updated; ErrConflict if the order is in
	// another state, ErrNotFound if there is none.
	ConfirmOrder(ctx context.Context, o Order, seen, now time.Time) (Order, error)
	// MarkStockReleased sets StockReleased on a cancelled order.
	MarkStockReleased(ctx context.Context, id string, now time.Time) error
	// DeleteOrder removes an order that is still StatusReserving (it is only
	// used to roll back a reservation); an order in any other status is
	// ErrConflict and stays.
	DeleteOrder(ctx context.Context, id string) error
}

// OrderState is what Recover needs of an order to decide about the markers
// it left on products.
type OrderState struct {
	ID            string
	Status        Status
	StockReleased bool
	UpdatedAt     time.Time
}

// MaxOrderStates bounds the ids of one Store.OrderStates call.
const MaxOrderStates = 500

// ProductMarkers are the markers a product carries (see Marker).
type ProductMarkers struct {
	ProductID string
	Markers   []string
}

// OrderFilter selects orders for ListOrders. Empty fields match all.
type OrderFilter struct {
	Status Status
	Email  string
	After  string
	Limit  int
}
