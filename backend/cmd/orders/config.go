package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderstack/orderstack/backend/internal/app"
)

// config is every setting of the binary. It is the only place that reads
// the environment.
type config struct {
	app           app.Config
	mongoURL      string        // MONGODB_URL, a secret: log only mongodb.Redact of it
	mongoTimeout  time.Duration // MONGODB_TIMEOUT: bound on each database operation
	mongoPoolSize uint64        // MONGODB_MAX_POOL_SIZE: 0 keeps the driver's default (100)
}

func loadConfig(getenv func(string) string) (config, error) {
	var errs []string
	c := config{mongoURL: strings.TrimSpace(getenv("MONGODB_URL")), mongoTimeout: 2 * time.Second}
	if c.mongoURL == "" {
		errs = append(errs, "MONGODB_URL is required: set it to a MongoDB connection string such as mongodb://user:password@host:27017/orders")
	}
	ac, err := app.ConfigFromEnv(getenv)
	if err != nil {
		errs = append(errs, err.Error())
	}
	c.app = ac
	if v := getenv("MONGODB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond {
			errs = append(errs, fmt.Sprintf("MONGODB_TIMEOUT=%q: must be a duration of at least 100ms, like 2s", v))
		}
		c.mongoTimeout = d
	}
	if v := getenv("MONGODB_MAX_POOL_SIZE"); v != "" {
		var n uint64
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > 10000 || fmt.Sprint(n) != v {
			errs = append(errs, fmt.Sprintf("MONGODB_MAX_POOL_SIZE=%q: must be a whole number from 1 to 10000", v))
		}
		c.mongoPoolSize = n
	}
	if len(errs) > 0 {
		return config{}, errors.New(strings.Join(errs, "; "))
	}
	return c, nil
}
