// Package app runs the order service: its settings (Config, read from the
// environment by ConfigFromEnv), its logger, and Run, which serves the API
// and the metrics until the context ends and then shuts down gracefully.
// The binaries in cmd/ open the store and call Run.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the service except MONGODB_URL, which the
// binaries read themselves. docs/config.md describes each one.
type Config struct {
	Host        string // HOST: interface to listen on; empty means all
	Port        int    // PORT: API, /healthz, /readyz
	MetricsPort int    // METRICS_PORT: /metrics only
	AdminToken  string // ADMIN_TOKEN: empty disables admin endpoints
	LogLevel    slog.Level

	ShutdownDrainDelay time.Duration // readiness 503 this long before the listener closes
	ShutdownTimeout    time.Duration // in-flight requests get this long to finish

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	RequestTimeout    time.Duration // bound on the work of one API request
	ReadyTimeout      time.Duration // bound on the /readyz database ping
	MaxBodyBytes      int64

	RecoveryInterval time.Duration // how often Service.Recover runs
	RecoveryGrace    time.Duration // Recover touches orders idle longer than this
}

// DefaultConfig returns the settings used when no variable is set.
func DefaultConfig() Config {
	return Config{
		Port:               3000,
		MetricsPort:        9090,
		LogLevel:           slog.LevelInfo,
		ShutdownDrainDelay: 5 * time.Second,
		ShutdownTimeout:    15 * time.Second,
		ReadHeaderTimeout:  5 * time.Second,
		ReadTimeout:        15 * time.Second,
		WriteTimeout:       30 * time.Second,
		IdleTimeout:        120 * time.Second,
		RequestTimeout:     10 * time.Second,
		ReadyTimeout:       time.Second,
		MaxBodyBytes:       1 << 20,
		RecoveryInterval:   time.Minute,
		RecoveryGrace:      time.Minute,
	}
}

// ConfigFromEnv reads the settings through getenv (os.Getenv in main, a
// map in tests), starting from DefaultConfig. An empty variable keeps the
// default. Every bad value is reported, each error naming its variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	var errs []error
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	port := func(name string, dst *int) {
		v := getenv(name)
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q: must be a port number from 0 to 65535", name, v))
			return
		}
		*dst = n
	}
	dur := func(name string, dst *time.Duration, min time.Duration) {
		v := getenv(name)
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			errs = append(errs, fmt.Errorf("%s=%q: must be a duration of at least %s, like 5s or 1m30s", name, v, min))
			return
		}
		*dst = d
	}

	str("HOST", &c.Host)
	port("PORT", &c.Port)
	port("METRICS_PORT", &c.MetricsPort)
	c.AdminToken = getenv("ADMIN_TOKEN")
	if v := getenv("LOG_LEVEL"); v != "" {
		switch strings.ToLower(v) {
		case "debug":
			c.LogLevel = slog.LevelDebug
		case "info":
			c.LogLevel = slog.LevelInfo
		case "warn":
			c.LogLevel = slog.LevelWarn
		case "error":
			c.LogLevel = slog.LevelError
		default:
			errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: must be debug, info, warn or error", v))
		}
	}
	dur("SHUTDOWN_DRAIN_DELAY", &c.ShutdownDrainDelay, 0)
	dur("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, time.Millisecond)
	dur("READ_HEADER_TIMEOUT", &c.ReadHeaderTimeout, time.Millisecond)
	dur("READ_TIMEOUT", &c.ReadTimeout, time.Millisecond)
	dur("WRITE_TIMEOUT", &c.WriteTimeout, time.Millisecond)
	dur("IDLE_TIMEOUT", &c.IdleTimeout, time.Millisecond)
	dur("REQUEST_TIMEOUT", &c.RequestTimeout, time.Millisecond)
	dur("READY_TIMEOUT", &c.ReadyTimeout, time.Millisecond)
	dur("RECOVERY_INTERVAL", &c.RecoveryInterval, time.Second)
	dur("RECOVERY_GRACE", &c.RecoveryGrace, time.Second)
	if v := getenv("MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 || n > 64<<20 {
			errs = append(errs, fmt.Errorf("MAX_BODY_BYTES=%q: must be a whole number of bytes from 1024 to 67108864", v))
		} else {
			c.MaxBodyBytes = n
		}
	}
	if c.Port != 0 && c.Port == c.MetricsPort {
		errs = append(errs, fmt.Errorf("PORT and METRICS_PORT are both %d: they must differ", c.Port))
	}
	if c.RequestTimeout >= c.WriteTimeout {
		errs = append(errs, fmt.Errorf("REQUEST_TIMEOUT (%s) must be shorter than WRITE_TIMEOUT (%s), or answers are cut off", c.RequestTimeout, c.WriteTimeout))
	}
	if c.RecoveryGrace <= c.RequestTimeout {
		errs = append(errs, fmt.Errorf("RECOVERY_GRACE (%s) must be longer than REQUEST_TIMEOUT (%s), or Recover undoes orders still being placed", c.RecoveryGrace, c.RequestTimeout))
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return Config{}, errors.New("configuration: " + strings.Join(msgs, "; "))
	}
	return c, nil
}
