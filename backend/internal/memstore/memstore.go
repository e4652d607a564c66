// Package memstore is an in-memory order.Store. It keeps the same atomicity
// as the MongoDB adapter: every method is one step under a single mutex, and
// the conditional updates behave exactly as the order.Store documentation
// says. It is used by tests, benchmarks and `orders-local -store=memory`.
//
// Faults can be injected with SetDown (every call fails with
// order.ErrUnavailable) and SetFault (a function that picks which calls fail).
package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/orderstack/orderstack/backend/internal/order"
)

var _ order.Store = (*Store)(nil)

// Store is an in-memory order.Store, safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	products map[string]*product
	skus     map[string]string // sku → product id
	orders   map[string]order.Order
	idemKeys map[string]string // idempotency key → order id
	down     bool
	fault    func(op string) error
}

type product struct {
	p       order.Product
	markers map[string]bool
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		products: map[string]*product{},
		skus:     map[string]string{},
		orders:   map[string]order.Order{},
		idemKeys: map[string]string{},
	}
}

// SetDown makes every call fail with order.ErrUnavailable while down is true,
// as if the database could not be reached.
func (s *Store) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetFault installs fn, called with the method name ("ApplyStock",
// "MarkStockReleased", ...) before each call; a non-nil result is returned
// instead of doing the call. nil removes it.
func (s *Store) SetFault(fn func(op string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fn
}

// begin locks the store and checks the context and injected faults. The
// caller must unlock when err is nil.
func (s *Store) begin(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore %s: %w: %w", op, order.ErrUnavailable, err)
	}
	s.mu.Lock()
	if s.down {
		s.mu.Unlock()
		return fmt.Errorf("memstore %s: %w", op, order.ErrUnavailable)
	}
	if s.fault != nil {
		if err := s.fault(op); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	return nil
}

// Ping reports whether the store is up.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.begin(ctx, "Ping"); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// CreateProduct inserts p; a taken SKU or id is order.ErrConflict.
func (s *Store) CreateProduct(ctx context.Context, p order.Product) error {
	if err := s.begin(ctx, "CreateProduct"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.skus[p.SKU]; ok {
		return fmt.Errorf("sku %s: %w", p.SKU, order.ErrConflict)
	}
	if _, ok := s.products[p.ID]; ok {
		return fmt.Errorf("product %s: %w", p.ID, order.ErrConflict)
	}
	s.products[p.ID] = &product{p: p, markers: map[string]bool{}}
	s.skus[p.SKU] = p.ID
	return nil
}

// GetProduct returns a product or order.ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, id string) (order.Product, error) {
	if err := s.begin(ctx, "GetProduct"); err != nil {
		return order.Product{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return order.Product{}, order.ErrNotFound
	}
	return p.p, nil
}

// ListProducts returns up to limit products with ID > after, by ID.
func (s *Store) ListProducts(ctx context.Context, after string, limit int) ([]order.Product, error) {
	if err := s.begin(ctx, "ListProducts"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []order.Product{}
	for id, p := range s.products {
		if id > after {
			out = append(out, p.p)
		}
	}
	slices.SortFunc(out, func(a, b order.Product) int { return cmp.Compare(a.ID, b.ID) })
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// UpdateProduct applies patch and sets UpdatedAt.
func (s *Store) UpdateProduct(ctx context.Context, id string, patch order.ProductPatch, now time.Time) (order.Product, error) {
	if err := s.begin(ctx, "UpdateProduct"); err != nil {
		return order.Product{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return order.Product{}, order.ErrNotFound
	}
	if patch.Name != nil {
		p.p.Name = *patch.Name
	}
	if patch.Description != nil {
		p.p.Description = *patch.Description
	}
	if patch.PriceCents != nil {
		p.p.PriceCents = *patch.PriceCents
	}
	if patch.Stock != nil {
		p.p.Stock = *patch.Stock
	}
	p.p.UpdatedAt = now
	return p.p, nil
}

// DeleteProduct removes a product.
func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	if err := s.begin(ctx, "DeleteProduct"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return order.ErrNotFound
	}
	delete(s.skus, p.p.SKU)
	delete(s.products, id)
	return nil
}

// ApplyStock adds delta and marker atomically unless marker is already
// there, and returns the product as it is then.
func (s *Store) ApplyStock(ctx context.Context, productID, marker string, delta int64) (order.Product, error) {
	if err := s.begin(ctx, "ApplyStock"); err != nil {
		return order.Product{}, err
	}
	defer s.mu.Unlock()
	p, ok := s.products[productID]
	if !ok {
		return order.Product{}, order.ErrNotFound
	}
	if p.markers[marker] {
		return p.p, nil
	}
	if delta < 0 && p.p.Stock+delta < 0 {
		return order.Product{}, &order.StockError{ProductID: productID, Requested: -delta, Available: p.p.Stock}
	}
	p.p.Stock += delta
	p.markers[marker] = true
	return p.p, nil
}

// RevertStock subtracts delta and removes marker if the product carries it.
func (s *Store) RevertStock(ctx context.Context, productID, marker string, delta int64) error {
	if err := s.begin(ctx, "RevertStock"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	p, ok := s.products[productID]
	if !ok || !p.markers[marker] {
		return nil // nothing was applied, so nothing to undo
	}
	p.p.Stock -= delta
	delete(p.markers, marker)
	return nil
}

// ClearMarkers removes markers, keeping the stock changes.
func (s *Store) ClearMarkers(ctx context.Context, productID string, markers []string) error {
	if err := s.begin(ctx, "ClearMarkers"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if p, ok := s.products[productID]; ok {
		for _, m := range markers {
			delete(p.markers, m)
		}
	}
	return nil
}

// ListMarkedProducts returns the markers of up to limit products that carry
// any, with ID > after, by ID.
func (s *Store) ListMarkedProducts(ctx context.Context, after string, limit int) ([]order.ProductMarkers, error) {
	if err := s.begin(ctx, "ListMarkedProducts"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []order.ProductMarkers{}
	for id, p := range s.products {
		if id > after && len(p.markers) > 0 {
			out = append(out, order.ProductMarkers{ProductID: id, Markers: sortedMarkers(p)})
		}
	}
	slices.SortFunc(out, func(a, b order.ProductMarkers) int { return cmp.Compare(a.ProductID, b.ProductID) })
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortedMarkers(p *product) []string {
	var out []string
	for m := range p.markers {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// Markers returns the markers a product carries, sorted (tests).
func (s *Store) Markers(productID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[productID]
	if !ok {
		return nil
	}
	return sortedMarkers(p)
}

// CreateOrder inserts o; a taken id or idempotency key is order.ErrConflict.
func (s *Store) CreateOrder(ctx context.Context, o order.Order) error {
	if err := s.begin(ctx, "CreateOrder"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.orders[o.ID]; ok {
		return fmt.Errorf("order %s: %w", o.ID, order.ErrConflict)
	}
	if o.IdempotencyKey != "" {
		if _, ok := s.idemKeys[o.IdempotencyKey]; ok {
			return fmt.Errorf("idempotency key: %w", order.ErrConflict)
		}
		s.idemKeys[o.IdempotencyKey] = o.ID
	}
	s.orders[o.ID] = cloneOrder(o)
	return nil
}

// GetOrder returns an order, whatever its status, or order.ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, id string) (order.Order, error) {
	if err := s.begin(ctx, "GetOrder"); err != nil {
		return order.Order{}, err
	}
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return order.Order{}, order.ErrNotFound
	}
	return cloneOrder(o), nil
}

// GetOrderByIdempotencyKey returns the order placed with key.
func (s *Store) GetOrderByIdempotencyKey(ctx context.Context, key string) (order.Order, error) {
	if err := s.begin(ctx, "GetOrderByIdempotencyKey"); err != nil {
		return order.Order{}, err
	}
	defer s.mu.Unlock()
	id, ok := s.idemKeys[key]
	if !ok {
		return order.Order{}, order.ErrNotFound
	}
	return cloneOrder(s.orders[id]), nil
}

// OrderStates returns the state of each order of ids that exists.
func (s *Store) OrderStates(ctx context.Context, ids []string) ([]order.OrderState, error) {
	if err := s.begin(ctx, "OrderStates"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []order.OrderState{}
	for _, id := range ids {
		if o, ok := s.orders[id]; ok {
			out = append(out, order.OrderState{ID: o.ID, Status: o.Status, StockReleased: o.StockReleased, UpdatedAt: o.UpdatedAt})
		}
	}
	return out, nil
}

// ListOrders returns up to f.Limit public orders matching f with ID > f.After.
func (s *Store) ListOrders(ctx context.Context, f order.OrderFilter) ([]order.Order, error) {
	if err := s.begin(ctx, "ListOrders"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []order.Order{}
	for id, o := range s.orders {
		if id <= f.After || o.Status == order.StatusReserving ||
			(f.Status != "" && o.Status != f.Status) || (f.Email != "" && o.Customer.Email != f.Email) {
			continue
		}
		out = append(out, cloneOrder(o))
	}
	slices.SortFunc(out, func(a, b order.Order) int { return cmp.Compare(a.ID, b.ID) })
	if f.Limit >= 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// ListStaleOrders returns reserving orders and cancelled orders without
// StockReleased, updated before cutoff, with ID > after, by ID.
func (s *Store) ListStaleOrders(ctx context.Context, cutoff time.Time, after string, limit int) ([]order.Order, error) {
	if err := s.begin(ctx, "ListStaleOrders"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []order.Order{}
	for _, o := range s.orders {
		stale := o.Status == order.StatusReserving || (o.Status == order.StatusCancelled && !o.StockReleased)
		if stale && o.UpdatedAt.Before(cutoff) && o.ID > after {
			out = append(out, cloneOrder(o))
		}
	}
	slices.SortFunc(out, func(a, b order.Order) int { return cmp.Compare(a.ID, b.ID) })
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SetOrderStatus moves an order from `from` to `to`; another current status
// is order.ErrConflict.
func (s *Store) SetOrderStatus(ctx context.Context, id string, from, to order.Status, now time.Time) (order.Order, error) {
	if err := s.begin(ctx, "SetOrderStatus"); err != nil {
		return order.Order{}, err
	}
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return order.Order{}, order.ErrNotFound
	}
	if o.Status != from {
		return order.Order{}, fmt.Errorf("order %s is %s, not %s: %w", id, o.Status, from, order.ErrConflict)
	}
	o.Status, o.UpdatedAt = to, now
	s.orders[id] = o
	return cloneOrder(o), nil
}

// ClaimOrder moves an order from (from, seen) to (to, now); another current
// state is order.ErrConflict.
func (s *Store) ClaimOrder(ctx context.Context, id string, from order.Status, seen time.Time, to order.Status, now time.Time) (order.Order, error) {
	if err := s.begin(ctx, "ClaimOrder"); err != nil {
		return order.Order{}, err
	}
	defer s.mu.Unlock()
	return s.claim(id, from, seen, to, now, nil)
}

// claim is the compare-and-set of ClaimOrder and ConfirmOrder, with s.mu
// held: if order id is `from` as of seen, it moves to `to` at now, after
// set (if any) changed it.
func (s *Store) claim(id string, from order.Status, seen time.Time, to order.Status, now time.Time, set func(*order.Order)) (order.Order, error) {
	o, ok := s.orders[id]
	if !ok {
		return order.Order{}, order.ErrNotFound
	}
	if o.Status != from || !o.UpdatedAt.Equal(seen) {
		return order.Order{}, fmt.Errorf("order %s is %s as of %s, not %s as of %s: %w", id, o.Status, o.UpdatedAt, from, seen, order.ErrConflict)
	}
	if set != nil {
		set(&o)
	}
	o.Status, o.UpdatedAt = to, now
	s.orders[id] = o
	return cloneOrder(o), nil
}

// ConfirmOrder moves a reserving order as of seen to pending at now and
// writes o's priced lines; another current state is order.ErrConflict.
func (s *Store) ConfirmOrder(ctx context.Context, o order.Order, seen, now time.Time) (order.Order, error) {
	if err := s.begin(ctx, "ConfirmOrder"); err != nil {
		return order.Order{}, err
	}
	defer s.mu.Unlock()
	return s.claim(o.ID, order.StatusReserving, seen, order.StatusPending, now, func(cur *order.Order) {
		cur.Items, cur.Currency, cur.TotalCents = slices.Clone(o.Items), o.Currency, o.TotalCents
	})
}

// MarkStockReleased sets StockReleased on a cancelled order.
func (s *Store) MarkStockReleased(ctx context.Context, id string, now time.Time) error {
	if err := s.begin(ctx, "MarkStockReleased"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return order.ErrNotFound
	}
	if o.Status != order.StatusCancelled {
		return fmt.Errorf("order %s is %s, not cancelled: %w", id, o.Status, order.ErrConflict)
	}
	o.StockReleased, o.UpdatedAt = true, now
	s.orders[id] = o
	return nil
}

// DeleteOrder removes a reserving order and frees its idempotency key.
func (s *Store) DeleteOrder(ctx context.Context, id string) error {
	if err := s.begin(ctx, "DeleteOrder"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return order.ErrNotFound
	}
	if o.Status != order.StatusReserving {
		return fmt.Errorf("order %s is %s, not reserving: %w", id, o.Status, order.ErrConflict)
	}
	if o.IdempotencyKey != "" {
		delete(s.idemKeys, o.IdempotencyKey)
	}
	delete(s.orders, id)
	return nil
}

func cloneOrder(o order.Order) order.Order {
	o.Items = slices.Clone(o.Items)
	return o
}
