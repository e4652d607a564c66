package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RecoverReport tells what one Recover pass did.
type RecoverReport struct {
	RolledBack int // orders left reserving: stock released, order removed
	Released   int // cancelled orders whose stock release was finished
	Orphans    int // reservations whose order was gone, undone from their marker
	Cleared    int // markers of finished orders removed
	// Stuck are the orders (and markers) that Recover could not repair so
	// far, oldest first: those that failed in this pass or an earlier one
	// and have not been repaired since. Report them (log, metric): an entry
	// that stays means stock is held by something Recover cannot undo.
	Stuck []Stuck
}

// Stuck is an order or marker Recover failed to repair.
type Stuck struct {
	OrderID   string
	ProductID string // set for a marker
	Since     time.Time
	Err       error
}

// stuckTTL: an entry nobody retried for this many leases (another replica
// repaired it, or it disappeared) is dropped.
const stuckTTL = 3

// recoverPage is how many orders or products one listing call returns.
const recoverPage = 100

// Recover finishes what a crash, a lost reply or a client that hung up left
// half done, in orders last updated before cutoff (pick now minus the
// lease: older than any request can take):
//
//   - orders still reserving are claimed, their lines released and the
//     order deleted;
//   - cancelled orders whose release did not finish are claimed and
//     released;
//   - product markers are checked: a reservation whose order is gone is
//     undone (the marker carries its quantity), and markers of orders
//     finished before cutoff are cleared.
//
// Each store call has its own timeout; an order that fails is reported in
// RecoverReport.Stuck and the pass goes on with the next one. Progress is
// kept between passes (lines undone, markers, claims). It is idempotent
// and safe to run from several replicas at once. The error is only for a
// pass that could not list its work; it returns early when ctx ends.
func (s *Service) Recover(ctx context.Context, cutoff time.Time) (RecoverReport, error) {
	var rep RecoverReport
	seen := map[string]bool{}
	err := s.recoverOrders(ctx, cutoff, &rep, seen)
	if err == nil {
		err = s.repairMarkers(ctx, cutoff, &rep, seen)
	}
	if err == nil {
		s.forgetRepaired(ctx, seen)
	}
	rep.Stuck = s.stuckList()
	return rep, err
}

// forgetRepaired drops the stuck entries that a complete pass no longer
// met: another replica repaired them. An order that this pass did not list
// only because a recent claim made it look fresh is still stale, and stays.
func (s *Service) forgetRepaired(ctx context.Context, seen map[string]bool) {
	s.mu.Lock()
	var check []Stuck
	for k, st := range s.stuck {
		if !seen[k] {
			check = append(check, st)
		}
	}
	s.mu.Unlock()
	for _, st := range check {
		if st.ProductID == "" {
			cctx, cancel := s.call(ctx)
			o, err := s.store.GetOrder(cctx, st.OrderID)
			cancel()
			if err == nil && (o.Status == StatusReserving || o.Status == StatusCancelled && !o.StockReleased) {
				continue
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				continue
			}
		}
		s.noteResult(st.OrderID, st.ProductID, nil)
	}
}

func (s *Service) recoverOrders(ctx context.Context, cutoff time.Time, rep *RecoverReport, seen map[string]bool) error {
	after := ""
	for {
		cctx, cancel := s.call(ctx)
		stale, err := s.store.ListStaleOrders(cctx, cutoff, after, recoverPage)
		cancel()
		if err != nil {
			return fmt.Errorf("list stale orders: %w", err)
		}
		if len(stale) == 0 {
			return nil
		}
		for _, o := range stale {
			after = o.ID
			if err := ctx.Err(); err != nil {
				return err
			}
			seen[stuckKey(o.ID, "")] = true
			s.noteResult(o.ID, "", s.recoverOrder(ctx, o, rep))
		}
	}
}

// recoverOrder claims one stale order and finishes it.
func (s *Service) recoverOrder(ctx context.Context, o Order, rep *RecoverReport) error {
	claimedAt := s.claimStamp(o.UpdatedAt)
	cctx, cancel := s.call(ctx)
	claimed, err := s.store.ClaimOrder(cctx, o.ID, o.Status, o.UpdatedAt, o.Status, claimedAt)
	cancel()
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		return nil // moved on, or another replica has it: not ours
	}
	if err != nil {
		return fmt.Errorf("claim order: %w", err)
	}
	stop := claimedAt.Add(s.lease / 2)
	switch claimed.Status {
	case StatusReserving:
		s.mu.Lock()
		from := s.undone[o.ID]
		s.mu.Unlock()
		n, err := s.rollback(ctx, claimed, from, len(claimed.Items), stop)
		s.mu.Lock()
		if err != nil {
			s.undone[o.ID] = n
		} else {
			delete(s.undone, o.ID)
		}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("roll back: %w", err)
		}
		rep.RolledBack++
	case StatusCancelled:
		if err := s.releaseStock(ctx, claimed, stop); err != nil {
			return err
		}
		rep.Released++
	}
	return nil
}

// repairMarkers walks the products that carry markers: the reservation
// markers a placing process did not sweep (it died, or the sweep failed)
// end here, and the release markers always do. Per page of
// products, the orders their markers name are read at once (OrderStates,
// each order once per pass), and per product the markers of finished
// orders are cleared in one update.
func (s *Service) repairMarkers(ctx context.Context, cutoff time.Time, rep *RecoverReport, seen map[string]bool) error {
	after := ""
	orders := map[string]orderLookup{}
	for {
		cctx, cancel := s.call(ctx)
		page, err := s.store.ListMarkedProducts(cctx, after, recoverPage)
		cancel()
		if err != nil {
			return fmt.Errorf("list marked products: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := s.lookUpOrders(ctx, page, cutoff, orders); err != nil {
			return err
		}
		for _, p := range page {
			after = p.ProductID
			var clear, clearOrders []string
			for _, m := range p.Markers {
				if err := ctx.Err(); err != nil {
					return err
				}
				orderID, ok, err := s.repairMarker(ctx, p.ProductID, m, cutoff, rep, orders)
				seen[stuckKey(orderID, p.ProductID)] = true
				if ok {
					clear, clearOrders = append(clear, m), append(clearOrders, orderID)
					continue
				}
				s.noteResult(orderID, p.ProductID, err)
			}
			if len(clear) == 0 {
				continue
			}
			cctx, cancel := s.call(ctx)
			err := s.store.ClearMarkers(cctx, p.ProductID, clear)
			cancel()
			if err != nil {
				err = fmt.Errorf("clear markers on product %s: %w", p.ProductID, err)
			} else {
				rep.Cleared += len(clear)
			}
			for _, id := range clearOrders {
				s.noteResult(id, p.ProductID, err)
			}
		}
	}
}

// orderLookup is what repairMarkers knows of one order in this pass.
type orderLookup struct {
	state OrderState
	found bool
	err   error // the read failed: the order's markers wait for the next pass
}

// lookUpOrders reads, MaxOrderStates at a time, the orders named by the
// page's markers that are old enough to be looked at (see repairMarker)
// and not known yet.
func (s *Service) lookUpOrders(ctx context.Context, page []ProductMarkers, cutoff time.Time, orders map[string]orderLookup) error {
	var ids []string
	asked := map[string]bool{}
	for _, p := range page {
		for _, marker := range p.Markers {
			m, ok := ParseMarker(marker)
			if !ok || recent(m.OrderID, cutoff) || asked[m.OrderID] {
				continue
			}
			if _, known := orders[m.OrderID]; !known {
				asked[m.OrderID] = true
				ids = append(ids, m.OrderID)
			}
		}
	}
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := ids[:min(len(ids), MaxOrderStates)]
		ids = ids[len(batch):]
		cctx, cancel := s.call(ctx)
		states, err := s.store.OrderStates(cctx, batch)
		cancel()
		if err != nil {
			err = fmt.Errorf("get orders of markers: %w", err)
			for _, id := range batch {
				orders[id] = orderLookup{err: err}
			}
			continue
		}
		// The markers were listed before this read, and a marker is made
		// only after its order was inserted: an order missing now was
		// deleted, for good.
		for _, id := range batch {
			orders[id] = orderLookup{}
		}
		for _, st := range states {
			orders[st.ID] = orderLookup{state: st, found: true}
		}
	}
	return nil
}

// recent tells whether an order was made after cutoff, so was updated
// after it too: its owner may be at work, and its markers wait.
func recent(orderID string, cutoff time.Time) bool {
	made, ok := IDTime(orderID)
	return ok && !made.Add(time.Second).Before(cutoff)
}

// repairMarker looks at one marker: an orphaned reservation is undone;
// clear is true for the marker of an order that no longer needs it (a
// reservation of a placed order, the release of an order released before
// cutoff); anything else is left to the order's own recovery. orders holds
// the orders lookUpOrders read.
func (s *Service) repairMarker(ctx context.Context, productID, marker string, cutoff time.Time, rep *RecoverReport, orders map[string]orderLookup) (orderID string, clear bool, err error) {
	m, ok := ParseMarker(marker)
	if !ok {
		orderID, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimPrefix(marker, "r:"), "c:"), ":")
		return orderID, false, fmt.Errorf("marker %q carries no quantity (written by an older version): repair by hand", marker)
	}
	if recent(m.OrderID, cutoff) {
		// Skipped without a read, which keeps the pass light while the
		// recent orders' markers wait to be cleared.
		return m.OrderID, false, nil
	}
	got, known := orders[m.OrderID]
	o := got.state
	switch {
	case !known:
		return m.OrderID, false, fmt.Errorf("order of marker %q not read", marker) // cannot happen: lookUpOrders asked
	case got.err != nil:
		return m.OrderID, false, got.err
	case !got.found && !m.Release:
		// The order was rolled back before this reservation landed (a write
		// the database applied after its caller gave up): undo it.
		cctx, cancel := s.call(ctx)
		err := s.store.RevertStock(cctx, productID, marker, m.Delta())
		cancel()
		if err != nil {
			return m.OrderID, false, fmt.Errorf("undo orphaned reservation on product %s: %w", productID, err)
		}
		rep.Orphans++
		return m.OrderID, false, nil
	case !got.found:
		return m.OrderID, false, fmt.Errorf("release marker on product %s names no order", productID)
	case o.Status == StatusReserving, m.Release && !o.StockReleased:
		return m.OrderID, false, nil // the order's own recovery handles it
	case m.Release && !o.UpdatedAt.Before(cutoff):
		return m.OrderID, false, nil // too recent: another release may still land
	}
	// A reservation marker of a placed order: nothing can apply it again
	// (only placing applies r: markers, and it confirmed the order after
	// every one had landed). A release marker of an order released a lease
	// ago: every release has landed or never will (releaseStock).
	return m.OrderID, true, nil
}

// noteResult records the outcome of repairing an order (productID empty)
// or a marker.
func (s *Service) noteResult(orderID, productID string, err error) {
	key := stuckKey(orderID, productID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.stuck, key)
		return
	}
	st, ok := s.stuck[key]
	if !ok {
		st = Stuck{OrderID: orderID, ProductID: productID, Since: s.now()}
	}
	st.Err = err
	s.stuck[key] = st
	s.lastTry(key)
}

func stuckKey(orderID, productID string) string { return orderID + "/" + productID }

// lastTry notes when key was last tried; s.mu is held.
func (s *Service) lastTry(key string) {
	s.tried[key] = s.now()
}

// stuckList returns the stuck entries, oldest first, dropping those nobody
// tried for stuckTTL leases.
func (s *Service) stuckList() []Stuck {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Stuck
	for k, st := range s.stuck {
		if s.now().Sub(s.tried[k]) > stuckTTL*s.lease {
			delete(s.stuck, k)
			delete(s.tried, k)
			continue
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Stuck) int { return a.Since.Compare(b.Since) })
	return out
}
