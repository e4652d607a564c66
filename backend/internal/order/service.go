package order

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
	// callTimeout bounds each store call made on a detached context
	// (rollback, release, Recover).
	callTimeout time.Duration
	// lease is how long a request or Recover pass owns an order it claimed
	// (see releaseStock); it must equal the grace Recover is called with.
	lease time.Duration

	mu sync.Mutex
	// undone remembers, per order being rolled back by Recover, how many
	// lines are known undone, so that the next pass goes on from there.
	undone map[string]int
	// stuck are the orders and markers Recover failed to repair, by key.
	stuck map[string]Stuck
	// tried is when each stuck entry was last tried.
	tried map[string]time.Time
	// bg counts the work left running by requests (see detach) and the
	// marker sweeps.
	bg sync.WaitGroup

	// sweepDelay is how long placed orders' reservation markers wait to be
	// cleared together (see sweepLater); negative: never, Recover does.
	sweepDelay time.Duration
	sweepMu    sync.Mutex
	sweepQ     map[string][]string // product id → markers to clear
	sweeping   bool                // a sweep is scheduled or running
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

// WithCallTimeout bounds each store call made outside a request's own
// context: rollbacks, stock releases and Recover (default 10s). Use the
// store's operation timeout (MONGODB_TIMEOUT).
func WithCallTimeout(d time.Duration) Option {
	return func(s *Service) { s.callTimeout = d }
}

// WithMarkerSweep sets how long the reservation markers of orders placed
// by this Service wait before they are cleared, together, in the
// background (default 50ms): one update per product for all the orders
// placed on it meanwhile. Negative turns the sweep off: Recover then clears
// them, a lease later (tests of Recover).
func WithMarkerSweep(d time.Duration) Option {
	return func(s *Service) { s.sweepDelay = d }
}

// WithLease sets how long a cancelling request or a Recover pass owns an
// order once it claimed it (default 1 minute). It must be the grace after
// which Recover treats an order as abandoned (RECOVERY_GRACE), and much
// longer than the call timeout.
func WithLease(d time.Duration) Option {
	return func(s *Service) { s.lease = d }
}

// NewService returns a Service on store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store: store, now: func() time.Time { return time.Now().UTC() },
		idempotencyWait: 5 * time.Second, callTimeout: 10 * time.Second, lease: time.Minute, sweepDelay: 50 * time.Millisecond,
		undone: map[string]int{}, stuck: map[string]Stuck{}, tried: map[string]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// stamp is the time stored in UpdatedAt: UTC, in milliseconds like BSON
// dates, so that ClaimOrder can compare it exactly.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// claimStamp is the UpdatedAt a claim on an order last updated at seen
// sets: always later than seen, so that the claim fences off every other
// ClaimOrder that compares seen (in the same millisecond, it would not).
func (s *Service) claimStamp(seen time.Time) time.Time {
	if t := s.stamp(); t.After(seen) {
		return t
	}
	return seen.Add(time.Millisecond)
}

// call bounds one store call.
func (s *Service) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.callTimeout)
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
//
// A keyed request does not look its key up first: the journal's insert
// claims the key (unique index), and only when it is taken does the
// request read the order that holds it (replay).
func (s *Service) PlaceOrder(ctx context.Context, req PlaceOrder) (o Order, created bool, err error) {
	if err := req.Validate(); err != nil {
		return Order{}, false, err
	}
	var hash string // only a retry with the same key compares it (replay)
	if req.IdempotencyKey != "" {
		hash = req.Hash()
	}
	deadline := s.now().Add(s.idempotencyWait)
	for {
		o, err = s.place(ctx, req, hash)
		if !errors.Is(err, errKeyTaken) {
			return o, err == nil, err
		}
		prev, done, rerr := s.replay(ctx, req.IdempotencyKey, hash, deadline)
		if done {
			return prev, false, rerr
		}
		// The order that held the key was rolled back meanwhile: place anew.
		if !s.now().Before(deadline) {
			return Order{}, false, fmt.Errorf("idempotency key keeps changing hands: %w", ErrConflict)
		}
	}
}

// errKeyTaken: the journal's insert found its Idempotency-Key taken.
var errKeyTaken = errors.New("idempotency key taken")

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
			return Order{}, true, &InProgressError{OrderID: prev.ID, RetryAfter: time.Second}
		}
		select {
		case <-ctx.Done():
			return Order{}, true, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// place runs the reservation protocol for one new order (docs/architecture.md,
// "Placing an order"), N+2 store calls for N lines:
//
//  1. insert the order as StatusReserving, with each line's product id and
//     quantity only — the journal; it claims the Idempotency-Key;
//  2. reserve each line with ApplyStock and marker r:<order>:<qty>, which
//     returns the product it reserved from: the line is priced from it
//     (no read before: the price is the one the stock was taken at);
//  3. confirm with ConfirmOrder(reserving, createdAt → pending), which also
//     writes the priced lines, currency and total.
//
// The r: markers are not the request's work: a background sweep clears
// those of the orders placed meanwhile, one update per product
// (sweepLater); Recover clears what a crash or a failed sweep left, a lease
// later (repairMarkers).
//
// Any write whose error does not prove it failed (MaybeApplied) counts as
// made: the rollback undoes it too, and the journal is deleted only once
// every line is known undone; otherwise the order stays for Recover. An
// unknown product, or products in different currencies, roll back the
// lines reserved so far and answer a validation error.
func (s *Service) place(ctx context.Context, req PlaceOrder, hash string) (Order, error) {
	now := s.stamp()
	o := Order{
		ID:             NewID(now),
		Customer:       req.Customer,
		Status:         StatusReserving,
		IdempotencyKey: req.IdempotencyKey,
		RequestHash:    hash,
		CreatedAt:      now,
		UpdatedAt:      now,
		Items:          make([]LineItem, len(req.Lines)),
	}
	for i, l := range req.Lines {
		o.Items[i] = LineItem{ProductID: l.ProductID, Quantity: l.Quantity}
	}

	// The order document goes in first: it claims the idempotency key and
	// is the journal that Recover reads if this process dies mid-way.
	if err := s.store.CreateOrder(ctx, o); err != nil {
		err = fmt.Errorf("create order %s: %w", o.ID, err)
		if errors.Is(err, ErrConflict) && o.IdempotencyKey != "" {
			return Order{}, fmt.Errorf("%w: %w", errKeyTaken, err)
		}
		if !MaybeApplied(err) {
			return Order{}, err
		}
		// The journal may exist: remove it, which frees its key.
		return Order{}, s.abort(ctx, o, 0, err)
	}
	for i, it := range o.Items {
		p, err := s.store.ApplyStock(ctx, it.ProductID, ReservationMarker(o.ID, it.Quantity), -it.Quantity)
		if err == nil && o.Currency != "" && p.Currency != o.Currency {
			// Reserved, but not with this order: undo it with the others.
			err = &ValidationError{Fields: map[string]string{
				"items": "all products of an order must have the same currency",
			}}
			return Order{}, s.abort(ctx, o, i+1, err)
		}
		if err == nil {
			o.Currency = p.Currency
			o.Items[i] = LineItem{
				ProductID: it.ProductID, SKU: p.SKU, Name: p.Name, Quantity: it.Quantity,
				UnitPriceCents: p.PriceCents, LineTotalCents: p.PriceCents * it.Quantity,
			}
			o.TotalCents += o.Items[i].LineTotalCents
			continue
		}
		reserved := i
		if MaybeApplied(err) {
			reserved = i + 1 // the reply was lost, not necessarily the update
		}
		if errors.Is(err, ErrNotFound) {
			err = &ValidationError{Fields: map[string]string{
				"items[" + strconv.Itoa(i) + "].productId": "no product with this id",
			}}
		}
		return Order{}, s.abort(ctx, o, reserved, err)
	}
	placed, err := s.store.ConfirmOrder(ctx, o, o.UpdatedAt, s.stamp())
	if err != nil {
		return s.unconfirmed(ctx, o, fmt.Errorf("confirm order %s: %w", o.ID, err))
	}
	s.sweepLater(placed)
	return placed, nil
}

// sweepLater queues the reservation markers of a placed order to be
// cleared in the background, with those of the other orders placed within
// the sweep delay: one ClearMarkers per product. Nothing can apply them
// again: only place applies r: markers, and it confirmed the order after
// every one had landed. A sweep that fails is not retried: Recover clears
// what is left.
func (s *Service) sweepLater(o Order) {
	if s.sweepDelay < 0 {
		return
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.sweepQ == nil {
		s.sweepQ = map[string][]string{}
	}
	for _, it := range o.Items {
		s.sweepQ[it.ProductID] = append(s.sweepQ[it.ProductID], ReservationMarker(o.ID, it.Quantity))
	}
	if !s.sweeping {
		s.sweeping = true
		s.scheduleSweep()
	}
}

// scheduleSweep runs sweep after the delay; s.sweepMu is held. One sweep
// at a time: the next is scheduled when it ends, if markers are queued.
func (s *Service) scheduleSweep() {
	s.bg.Add(1)
	time.AfterFunc(s.sweepDelay, func() {
		defer s.bg.Done()
		s.sweep()
	})
}

// sweep clears the queued markers, one update per product, each bounded
// by the call timeout. The first failure ends it (the store is likely
// unavailable, and each further call would wait as long): Recover clears
// what is left.
func (s *Service) sweep() {
	s.sweepMu.Lock()
	q := s.sweepQ
	s.sweepQ = nil
	s.sweepMu.Unlock()
	for productID, markers := range q {
		ctx, cancel := s.call(context.Background())
		err := s.store.ClearMarkers(ctx, productID, markers)
		cancel()
		if err != nil {
			break
		}
	}
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if len(s.sweepQ) > 0 {
		s.scheduleSweep()
		return
	}
	s.sweeping = false
}

// unconfirmed handles a confirmation (ConfirmOrder reserving → pending)
// that returned err.
func (s *Service) unconfirmed(ctx context.Context, o Order, err error) (Order, error) {
	if !MaybeApplied(err) {
		// Recover took the order over (this request outlived the recovery
		// grace) and rolls it back; it never became visible.
		return Order{}, fmt.Errorf("%v (taken over by recovery): %w", err, ErrUnavailable)
	}
	type result struct {
		o   Order
		err error
	}
	r, done := detach(s, ctx, func(dctx context.Context) result {
		// The confirmation may have been applied, or may still be. Fence
		// it: once the order is claimed with a new UpdatedAt, the
		// confirmation, which compares the old one, can never match.
		cctx, cancel := s.call(dctx)
		_, ferr := s.store.ClaimOrder(cctx, o.ID, StatusReserving, o.UpdatedAt, StatusReserving, s.claimStamp(o.UpdatedAt))
		cancel()
		switch {
		case ferr == nil:
			if _, rbErr := s.rollback(dctx, o, 0, len(o.Items), time.Time{}); rbErr != nil {
				return result{err: errors.Join(err, fmt.Errorf("roll back order %s (Recover will finish it): %w", o.ID, rbErr))}
			}
		case errors.Is(ferr, ErrConflict):
			// Confirmed after all, or taken over by Recover: look which.
			gctx, cancel := s.call(dctx)
			got, gerr := s.store.GetOrder(gctx, o.ID)
			cancel()
			if gerr == nil && got.Status != StatusReserving {
				s.sweepLater(got)
				return result{o: got} // placed, with the lines the confirmation wrote
			}
		}
		// Unknown: the order is either placed or left for Recover to undo.
		return result{err: err}
	})
	if !done {
		return Order{}, err
	}
	return r.o, r.err
}

// abort rolls back the first n lines of a reserving order and deletes it,
// and returns cause, joined with why the rollback could not finish
// (Recover then does). The rollback is detached from the request: a
// client that hangs up, or a request that times out, does not stop it.
func (s *Service) abort(ctx context.Context, o Order, n int, cause error) error {
	rbErr, done := detach(s, ctx, func(dctx context.Context) error {
		_, err := s.rollback(dctx, o, 0, n, time.Time{})
		return err
	})
	switch {
	case !done:
		return fmt.Errorf("%w (order %s is being rolled back)", cause, o.ID)
	case rbErr != nil:
		return errors.Join(cause, fmt.Errorf("roll back order %s (Recover will finish it): %w", o.ID, rbErr))
	}
	return cause
}

// detach runs f on a context that keeps ctx's values but not its
// cancellation, so that f finishes whatever the client does, and waits for
// it only while ctx lasts: the answer is not held beyond the request's
// deadline (nor at all once the client has hung up), and f goes on alone,
// each of its store calls bounded by the call timeout. done tells whether
// f's result is there. Service.Wait waits for such work.
func detach[T any](s *Service, ctx context.Context, f func(context.Context) T) (v T, done bool) {
	ch := make(chan T, 1)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ch <- f(context.WithoutCancel(ctx))
	}()
	if ctx.Err() != nil {
		return v, false
	}
	select {
	case v = <-ch:
		return v, true
	case <-ctx.Done():
		return v, false
	}
}

// Wait waits until the work requests left running on their own
// (rollbacks, stock releases) is done. Call it before shutting down, and
// in tests before looking at the store.
func (s *Service) Wait() { s.bg.Wait() }

// rollback releases the stock reserved for lines [from, n) of a reserving
// order and, once every line is known undone, deletes the order. Each call
// gets its own timeout. It stops before a call it would start after stop
// (if not zero), and returns how many lines are known undone.
func (s *Service) rollback(ctx context.Context, o Order, from, n int, stop time.Time) (int, error) {
	for i := from; i < n; i++ {
		if !stop.IsZero() && s.now().After(stop) {
			return i, errLeaseOver
		}
		it := o.Items[i]
		cctx, cancel := s.call(ctx)
		err := s.store.RevertStock(cctx, it.ProductID, ReservationMarker(o.ID, it.Quantity), -it.Quantity)
		cancel()
		if err != nil && !errors.Is(err, ErrNotFound) {
			return i, fmt.Errorf("release product %s: %w", it.ProductID, err)
		}
	}
	cctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.store.DeleteOrder(cctx, o.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return n, fmt.Errorf("delete order: %w", err)
	}
	return n, nil
}

// errLeaseOver stops work on an order whose claim is about to lapse; the
// next Recover pass claims it again and goes on.
var errLeaseOver = errors.New("claim on the order lapsed; the next recovery pass goes on")

// CancelOrder cancels a pending or paid order and puts its stock back.
func (s *Service) CancelOrder(ctx context.Context, id string) (Order, error) {
	return s.SetStatus(ctx, id, StatusCancelled)
}

// maxStatusAttempts bounds SetStatus's conditional updates. The lifecycle
// has at most four steps, so conflicts end by themselves; this bounds the
// retries after an uncertain outcome.
const maxStatusAttempts = 8

// SetStatus moves an order to status `to` if the lifecycle allows it. The
// change is a conditional update on the status read; if the order changed
// in between, it re-reads and retries as long as the change is still legal
// from the status now stored (cancel racing `paid` cancels the paid order).
// If the outcome of the update is unknown, the re-read tells: an order
// already in status `to` is the answer.
func (s *Service) SetStatus(ctx context.Context, id string, to Status) (Order, error) {
	if !ValidID(id) {
		return Order{}, ErrNotFound
	}
	if _, ok := ParseStatus(string(to)); !ok {
		return Order{}, &ValidationError{Fields: map[string]string{"status": StatusChoices()}}
	}
	var (
		o         Order
		uncertain error
	)
	for attempt := 0; ; attempt++ {
		cur, err := s.GetOrder(ctx, id)
		if err != nil {
			if uncertain != nil {
				return Order{}, uncertain
			}
			return Order{}, err
		}
		if uncertain != nil && cur.Status == to {
			o = cur // the update was applied after all (or an identical one)
			break
		}
		if !CanTransition(cur.Status, to) {
			return Order{}, fmt.Errorf("order %s is %s, cannot become %s: %w", id, cur.Status, to, ErrInvalidTransition)
		}
		if attempt == maxStatusAttempts {
			if uncertain != nil {
				return Order{}, uncertain
			}
			return Order{}, fmt.Errorf("order %s keeps changing, cannot become %s: %w", id, to, ErrConflict)
		}
		o, err = s.store.SetOrderStatus(ctx, id, cur.Status, to, s.stamp())
		if err == nil {
			break
		}
		switch {
		case errors.Is(err, ErrConflict):
			continue // changed since read: check again against what is stored now
		case MaybeApplied(err) && ctx.Err() == nil:
			uncertain = fmt.Errorf("set order %s status: %w", id, err)
			continue
		}
		return Order{}, fmt.Errorf("set order %s status: %w", id, err)
	}
	if to == StatusCancelled && !o.StockReleased {
		// Detached: the cancellation stands whatever the client does, and
		// Recover finishes a release that fails here.
		stop := o.UpdatedAt.Add(s.lease / 2)
		err, done := detach(s, ctx, func(dctx context.Context) error { return s.releaseStock(dctx, o, stop) })
		if done && err == nil {
			o.StockReleased = true
		}
	}
	return o, nil
}

// releaseStock puts back the stock of a cancelled order, exactly once: each
// line's release is an ApplyStock with marker c:<order>:<qty> (a repeat
// changes nothing while the marker is there), then the order is marked
// StockReleased.
//
// The release markers are not cleared here: a release of the same order by
// another worker may still be on its way (two cancels whose answers were
// lost, a request and Recover), and would apply twice once its marker is
// gone. Every worker stops sending releases at stop, half a lease after the
// UpdatedAt it started from, and Recover clears the markers of released
// orders only once they are a lease old (repairMarker), by when every
// release has landed or never will.
func (s *Service) releaseStock(ctx context.Context, o Order, stop time.Time) error {
	for _, it := range o.Items {
		if s.now().After(stop) {
			return errLeaseOver
		}
		cctx, cancel := s.call(ctx)
		_, err := s.store.ApplyStock(cctx, it.ProductID, ReleaseMarker(o.ID, it.Quantity), it.Quantity)
		cancel()
		if err != nil && !errors.Is(err, ErrNotFound) { // a deleted product has nothing to restock
			return fmt.Errorf("release stock of product %s: %w", it.ProductID, err)
		}
	}
	cctx, cancel := s.call(ctx)
	err := s.store.MarkStockReleased(cctx, o.ID, s.stamp())
	cancel()
	if err != nil {
		return fmt.Errorf("mark order %s released: %w", o.ID, err)
	}
	return nil
}
