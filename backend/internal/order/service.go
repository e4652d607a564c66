package order

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Service carries out the use cases on a Store. It is safe for concurrent
// use if the Store is.
type Service struct {
	store Store
	now   func() time.Time
	// idempotencyWait bounds how long a retry waits for the first request
	// with the same key to finish reserving.
	idempotencyWait time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIdempotencyWait sets how long a retry waits for an in-flight request
// with the same Idempotency-Key (default 5s).
func WithIdempotencyWait(d time.Duration) Option {
	return func(s *Service) { s.idempotencyWait = d }
}

// NewService returns a Service on store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: func() time.Time { return time.Now().UTC() }, idempotencyWait: 5 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Ping checks the store.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// CreateProduct validates p, gives it an id and timestamps, and stores it.
func (s *Service) CreateProduct(ctx context.Context, p Product) (Product, error) {
	if err := p.Validate(); err != nil {
		return Product{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p.ID, p.CreatedAt, p.UpdatedAt = NewID(now), now, now
	if err := s.store.CreateProduct(ctx, p); err != nil {
		return Product{}, fmt.Errorf("create product %s: %w", p.SKU, err)
	}
	return p, nil
}

// GetProduct returns a product.
func (s *Service) GetProduct(ctx context.Context, id string) (Product, error) {
	if !ValidID(id) {
		return Product{}, ErrNotFound
	}
	return s.store.GetProduct(ctx, id)
}

// ListProducts returns a page of products after the id `after`.
func (s *Service) ListProducts(ctx context.Context, after string, limit int) ([]Product, error) {
	return s.store.ListProducts(ctx, after, limit)
}

// UpdateProduct validates and applies a patch.
func (s *Service) UpdateProduct(ctx context.Context, id string, patch ProductPatch) (Product, error) {
	if err := patch.Validate(); err != nil {
		return Product{}, err
	}
	if !ValidID(id) {
		return Product{}, ErrNotFound
	}
	return s.store.UpdateProduct(ctx, id, patch, s.now().UTC().Truncate(time.Millisecond))
}

// DeleteProduct deletes a product. Orders keep their copy of its details.
func (s *Service) DeleteProduct(ctx context.Context, id string) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	return s.store.DeleteProduct(ctx, id)
}

// GetOrder returns a placed order (never one still reserving).
func (s *Service) GetOrder(ctx context.Context, id string) (Order, error) {
	if !ValidID(id) {
		return Order{}, ErrNotFound
	}
	o, err := s.store.GetOrder(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if o.Status == StatusReserving {
		return Order{}, ErrNotFound
	}
	return o, nil
}

// ListOrders returns a page of orders.
func (s *Service) ListOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	return s.store.ListOrders(ctx, f)
}

// PlaceOrder places an order and reserves its stock. created is false when
// the request is a retry of one already placed with the same
// Idempotency-Key; the original order is returned then.
func (s *Service) PlaceOrder(ctx context.Context, req PlaceOrder) (o Order, created bool, err error) {
	if err := req.Validate(); err != nil {
		return Order{}, false, err
	}
	hash := req.Hash()
	deadline := s.now().Add(s.idempotencyWait)
	for {
		if req.IdempotencyKey != "" {
			prev, done, err := s.replay(ctx, req.IdempotencyKey, hash, deadline)
			if err != nil || done {
				return prev, false, err
			}
		}
		o, err = s.place(ctx, req, hash)
		if errors.Is(err, ErrConflict) && req.IdempotencyKey != "" {
			continue // another request with this key got there first
		}
		return o, err == nil, err
	}
}

// replay looks for an order placed with key. done is true when the caller
// should return (prev, err) instead of placing a new order.
func (s *Service) replay(ctx context.Context, key, hash string, deadline time.Time) (prev Order, done bool, err error) {
	for {
		prev, err := s.store.GetOrderByIdempotencyKey(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			return Order{}, false, nil
		case err != nil:
			return Order{}, true, fmt.Errorf("look up idempotency key: %w", err)
		case prev.RequestHash != hash:
			return Order{}, true, ErrIdempotencyMismatch
		case prev.Status != StatusReserving:
			return prev, true, nil
		}
		// The first request is still reserving: wait for it to finish.
		if s.now().After(deadline) {
			return Order{}, true, fmt.Errorf("order %s with this idempotency key is still being placed: %w", prev.ID, ErrConflict)
		}
		select {
		case <-ctx.Done():
			return Order{}, true, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *Service) place(ctx context.Context, req PlaceOrder, hash string) (Order, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	o := Order{
		ID:             NewID(now),
		Customer:       req.Customer,
		Status:         StatusReserving,
		IdempotencyKey: req.IdempotencyKey,
		RequestHash:    hash,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	for i, l := range req.Lines {
		p, err := s.store.GetProduct(ctx, l.ProductID)
		if errors.Is(err, ErrNotFound) {
			return Order{}, &ValidationError{Fields: map[string]string{
				"items[" + strconv.Itoa(i) + "].productId": "no product with this id",
			}}
		}
		if err != nil {
			return Order{}, fmt.Errorf("get product %s: %w", l.ProductID, err)
		}
		if o.Currency == "" {
			o.Currency = p.Currency
		} else if p.Currency != o.Currency {
			return Order{}, &ValidationError{Fields: map[string]string{
				"items": "all products of an order must have the same currency",
			}}
		}
		item := LineItem{
			ProductID: p.ID, SKU: p.SKU, Name: p.Name, Quantity: l.Quantity,
			UnitPriceCents: p.PriceCents, LineTotalCents: p.PriceCents * l.Quantity,
		}
		o.Items = append(o.Items, item)
		o.TotalCents += item.LineTotalCents
	}

	// The order document goes in first: it claims the idempotency key and
	// is the journal that Recover reads if this process dies mid-way.
	if err := s.store.CreateOrder(ctx, o); err != nil {
		return Order{}, fmt.Errorf("create order %s: %w", o.ID, err)
	}
	marker := ReservationMarker(o.ID)
	for i, it := range o.Items {
		err := s.store.ApplyStock(ctx, it.ProductID, marker, -it.Quantity)
		if err == nil {
			continue
		}
		if errors.Is(err, ErrNotFound) {
			err = &ValidationError{Fields: map[string]string{
				"items[" + strconv.Itoa(i) + "].productId": "no product with this id",
			}}
		}
		// Roll back with a context that outlives the request's: a client
		// that hangs up must not leave stock reserved.
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rbErr := s.rollback(rbCtx, o, i); rbErr != nil {
			return Order{}, errors.Join(err, fmt.Errorf("roll back order %s (Recover will finish it): %w", o.ID, rbErr))
		}
		return Order{}, err
	}
	placed, err := s.store.SetOrderStatus(ctx, o.ID, StatusReserving, StatusPending, s.now().UTC().Truncate(time.Millisecond))
	if err != nil {
		return Order{}, fmt.Errorf("confirm order %s: %w", o.ID, err)
	}
	for _, it := range o.Items {
		// Best effort: a marker left behind is harmless and Recover clears it.
		_ = s.store.ClearMarker(ctx, it.ProductID, marker)
	}
	return placed, nil
}

// rollback releases the stock reserved for the first n items of a
// reserving order and deletes the order.
func (s *Service) rollback(ctx context.Context, o Order, n int) error {
	marker := ReservationMarker(o.ID)
	for _, it := range o.Items[:n] {
		if err := s.store.RevertStock(ctx, it.ProductID, marker, -it.Quantity); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("release product %s: %w", it.ProductID, err)
		}
	}
	if err := s.store.DeleteOrder(ctx, o.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete order: %w", err)
	}
	return nil
}

// CancelOrder cancels a pending or paid order and puts its stock back.
func (s *Service) CancelOrder(ctx context.Context, id string) (Order, error) {
	return s.SetStatus(ctx, id, StatusCancelled)
}

// SetStatus moves an order to status `to` if the lifecycle allows it.
func (s *Service) SetStatus(ctx context.Context, id string, to Status) (Order, error) {
	if !ValidID(id) {
		return Order{}, ErrNotFound
	}
	if _, ok := ParseStatus(string(to)); !ok {
		return Order{}, &ValidationError{Fields: map[string]string{"status": "must be one of pending, paid, shipped, delivered, cancelled"}}
	}
	cur, err := s.GetOrder(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !CanTransition(cur.Status, to) {
		return Order{}, fmt.Errorf("order %s is %s, cannot become %s: %w", id, cur.Status, to, ErrInvalidTransition)
	}
	o, err := s.store.SetOrderStatus(ctx, id, cur.Status, to, s.now().UTC().Truncate(time.Millisecond))
	if errors.Is(err, ErrConflict) {
		return Order{}, fmt.Errorf("order %s changed concurrently, cannot become %s: %w", id, to, ErrInvalidTransition)
	}
	if err != nil {
		return Order{}, fmt.Errorf("set order %s status: %w", id, err)
	}
	if to == StatusCancelled {
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.releaseStock(relCtx, o); err != nil {
			// The cancellation stands; Recover finishes the release.
			return o, nil
		}
		o.StockReleased = true
	}
	return o, nil
}

// releaseStock puts back the stock of a cancelled order, exactly once.
func (s *Service) releaseStock(ctx context.Context, o Order) error {
	marker := ReleaseMarker(o.ID)
	for _, it := range o.Items {
		err := s.store.ApplyStock(ctx, it.ProductID, marker, it.Quantity)
		if err != nil && !errors.Is(err, ErrNotFound) { // a deleted product has nothing to restock
			return fmt.Errorf("release stock of product %s: %w", it.ProductID, err)
		}
	}
	if err := s.store.MarkStockReleased(ctx, o.ID, s.now().UTC().Truncate(time.Millisecond)); err != nil {
		return fmt.Errorf("mark order %s released: %w", o.ID, err)
	}
	for _, it := range o.Items {
		_ = s.store.ClearMarker(ctx, it.ProductID, marker)
	}
	return nil
}

// RecoverReport counts what Recover did.
type RecoverReport struct {
	RolledBack int // orders left reserving: stock released, order removed
	Released   int // cancelled orders whose stock release was finished
}

// Recover finishes what a crash left half done in orders last updated
// before cutoff: orders still reserving are rolled back, cancelled orders
// get their stock back. It is idempotent and safe to run from several
// replicas at once. Pick a cutoff older than any request can take.
func (s *Service) Recover(ctx context.Context, cutoff time.Time) (RecoverReport, error) {
	var rep RecoverReport
	for {
		stale, err := s.store.ListStaleOrders(ctx, cutoff, 100)
		if err != nil {
			return rep, fmt.Errorf("list stale orders: %w", err)
		}
		if len(stale) == 0 {
			return rep, nil
		}
		for _, o := range stale {
			switch o.Status {
			case StatusReserving:
				if err := s.rollback(ctx, o, len(o.Items)); err != nil {
					return rep, fmt.Errorf("roll back order %s: %w", o.ID, err)
				}
				rep.RolledBack++
			case StatusCancelled:
				if err := s.releaseStock(ctx, o); err != nil {
					return rep, err
				}
				rep.Released++
			}
		}
	}
}
