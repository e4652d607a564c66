// Package order is the domain of the order service: products, stock and
// orders, the rules that govern them, the errors they return and the Store
// they are kept in.
//
// It imports no driver and carries no struct tags: the HTTP layer
// (internal/httpapi) and the MongoDB adapter (internal/mongodb) convert to
// and from these types at their edges.
//
// Stock without transactions. Placing an order reserves stock line by line
// with conditional single-document updates, and cancelling releases it, so
// the service works on MongoDB-compatible stores without multi-document
// transactions. Each stock change is applied together with a marker on the
// product document ("r:<order id>:<qty>" for a reservation,
// "c:<order id>:<qty>" for a release) in the same atomic update, which makes
// it idempotent and undoable, even when its order is gone. Any write whose
// error does not prove it failed counts as applied (MaybeApplied); orders
// are confirmed and taken over with a compare-and-set (Store.ConfirmOrder,
// Store.ClaimOrder); Service.Recover finishes or rolls back whatever a
// crash, a lost reply or a client that hung up left half done, and clears
// the markers of placed orders. docs/architecture.md ("Placing an
// order") describes the protocol and the faults it is tested against.
package order
