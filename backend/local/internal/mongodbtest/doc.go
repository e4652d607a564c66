// Package mongodbtest runs the MongoDB adapter (backend/internal/mongodb)
// on the embedded FerretDB, the local store of `make run`: the order.Store
// contract through the serialising decorator, what serialising prevents,
// the adapter's behaviour when the server goes away and comes back; and
// CountRoundTrips, the database commands one order costs, which its test
// checks and `make bench` reports. Its package onbackend runs the adapter's
// own tests and cmd/orders' end-to-end test with TEST_MONGODB_URL pointing
// at FerretDB.
package mongodbtest
