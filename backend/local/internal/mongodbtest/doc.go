// Package mongodbtest runs the MongoDB adapter (backend/internal/mongodb)
// on the embedded FerretDB, the local store of `make run`: the order.Store
// contract through the serialising decorator, what serialising prevents,
// the adapter's behaviour when the server goes away and comes back, and
// the adapter's own tests and cmd/orders' end-to-end test with
// TEST_MONGODB_URL pointing at FerretDB. It has tests only.
package mongodbtest
