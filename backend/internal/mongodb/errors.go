package mongodb

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// unavailable reports whether err means the server could not be reached
// or did not answer in time: network errors, server selection failures,
// pool wait timeouts and a pool cleared after another operation's network
// error, an operation not sent because its deadline would pass,
// deadlines, cancellation and a closed client. (A write that failed so
// may still have been applied: order.MaybeApplied decides what to do.)
func unavailable(err error) bool {
	var (
		sel  topology.ServerSelectionError
		conn topology.ConnectionError
		pool driver.RetryablePoolError
	)
	return mongo.IsNetworkError(err) ||
		errors.As(err, &pool) ||
		errors.Is(err, driver.ErrDeadlineWouldBeExceeded) ||
		mongo.IsTimeout(err) ||
		errors.As(err, &sel) ||
		errors.As(err, &conn) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.Is(err, mongo.ErrClientDisconnected)
}
