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
// transactions. Each stock change is made exactly once and can be undone or
// redone after a crash: it is applied together with a marker on the product
// document ("r:<order id>" for a reservation, "c:<order id>" for a release),
// in the same atomic update, and the marker is cleared once the order
// document records the outcome. Service.Recover finishes or rolls back
// whatever a crash left half done.
package order
