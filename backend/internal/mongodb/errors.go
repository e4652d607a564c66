package mongodb

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// unavailable reports whether err means the server could not be reached
// or did not answer in time: network errors, server selection failures,
// pool wait timeouts, deadlines, cancellation and a closed client.
func unavailable(err error) bool {
	var (
		sel  topology.ServerSelectionError
		conn topology.ConnectionError
	)
	return mongo.IsNetworkError(err) ||
		mongo.IsTimeout(err) ||
		errors.As(err, &sel) ||
		errors.As(err, &conn) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.Is(err, mongo.ErrClientDisconnected)
}
