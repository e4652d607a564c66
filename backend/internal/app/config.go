// Package app runs the order service: its settings (one table, Settings,
// read from the environment by ConfigFromEnv), its logger, and Run, which
// serves the API and the metrics until the context ends and then shuts down
// gracefully. The binaries in cmd/ open the store and call Run.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/orderstack/orderstack/backend/internal/httpapi"
	"github.com/orderstack/orderstack/backend/internal/mongouri"
)

// Config is every setting of the service. docs/config.md describes each
// one; its table is generated from Settings.
type Config struct {
	MongoURL         string        // MONGODB_URL, a secret: log only mongouri.Redact of it
	MongoTimeout     time.Duration // MONGODB_TIMEOUT: bound on each database operation
	MongoMaxPoolSize uint64        // MONGODB_MAX_POOL_SIZE: 0 keeps the driver's default (100)

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

// Setting is one environment variable: its name, its default as it would
// be written in the environment, the line docs/config.md shows for it, and
// how it is parsed into a Config. The error of set says what a good value
// is; it never quotes a secret.
type Setting struct {
	Name string
	// Default is applied when the variable is empty; "" means the zero value.
	Default string
	// DefaultDoc, when set, is shown in docs/config.md instead of Default.
	DefaultDoc string
	// Doc is the meaning column of docs/config.md (Markdown, one line).
	Doc string
	// Secret settings are never echoed, in errors or anywhere else.
	Secret bool
	set    func(c *Config, v string) error
}

// Settings is the one table of the service's settings, in the order
// docs/config.md lists them.
var Settings = []Setting{
	{Name: "MONGODB_URL", Secret: true, DefaultDoc: "none: `orders` exits 1 naming it",
		Doc: "any connection string the official driver accepts (`mongodb://` or `mongodb+srv://`), checked at start by the driver's parser plus a host-name check (`mongodb://u:p@bad host/x` is refused, the password never shown). The database is the URI's path (`mongodb://h/shop` → `shop`), else `orders`. A `mongodb+srv://` name that does not resolve yet is not fatal: the service starts unready (`/readyz` 503), logs the DNS error and retries with backoff (0.5 s doubling to 30 s). A secret: it comes from the Secret `orders-secrets`. `cmd/orders` only (`make run` checks it but does not use it).",
		set: func(c *Config, v string) error {
			if err := mongouri.Check(v); err != nil {
				return err
			}
			c.MongoURL = v
			return nil
		}},
	{Name: "MONGODB_TIMEOUT", Default: "2s",
		Doc: "bound on each database operation and on server selection; at least `100ms`. Every call the service makes is a single-document operation on an index, milliseconds on a healthy replica set. With the database gone, a call whose first operation fails answers 503 (with `Retry-After: 1`) after at most this long, so clients fail fast and retry instead of queueing: every read, and every order that arrives while the database is down. One case takes longer: when the database goes away while an order is being placed, the stock already reserved for it is put back first, on a context detached from the request and bounded by 10 s, so that 503 can take up to this long plus 10 s. Raise it only if a primary election (~10 s) should be waited out inside requests rather than by client retries. `cmd/orders` only.",
		set: duration(func(c *Config) *time.Duration { return &c.MongoTimeout }, 100*time.Millisecond)},
	{Name: "MONGODB_MAX_POOL_SIZE", DefaultDoc: "driver default (100)",
		Doc: "connections per pod, 1 to 10000; a `maxPoolSize` in the URI works too. `cmd/orders` only.",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 10000 {
				return errors.New("must be a whole number from 1 to 10000")
			}
			c.MongoMaxPoolSize = n
			return nil
		}},
	{Name: "HOST", DefaultDoc: "empty: all interfaces (`127.0.0.1` in `make run`)",
		Doc: "interface both listeners bind to (tests use `127.0.0.1`). `make run` listens on this machine only unless it is set, e.g. `HOST=0.0.0.0 make run`.",
		set: func(c *Config, v string) error { c.Host = v; return nil }},
	{Name: "PORT", Default: "3000",
		Doc: "the API, `/healthz`, `/readyz`; `orders healthcheck` probes it. `0` picks a free port (tests).",
		set: port(func(c *Config) *int { return &c.Port })},
	{Name: "METRICS_PORT", Default: "9090",
		Doc: "`/metrics` only, on its own listener so the public ingress never reaches it. Must differ from `PORT`.",
		set: port(func(c *Config) *int { return &c.MetricsPort })},
	{Name: "ADMIN_TOKEN", Secret: true, DefaultDoc: "empty: admin endpoints answer 401",
		Doc: "bearer token of the admin endpoints (`Authorization: Bearer …`); compared in constant time. A secret, from `orders-secrets`. `make run` generates one when unset and prints it.",
		set: func(c *Config, v string) error { c.AdminToken = v; return nil }},
	{Name: "LOG_LEVEL", Default: "info",
		Doc: "`debug`, `info`, `warn`, `error`. Logs are JSON lines on stdout; the access line of `/healthz` and `/readyz` is at `debug`.",
		set: func(c *Config, v string) error {
			levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
			l, ok := levels[strings.ToLower(v)]
			if !ok {
				return errors.New("must be debug, info, warn or error")
			}
			c.LogLevel = l
			return nil
		}},
	{Name: "SHUTDOWN_DRAIN_DELAY", Default: "5s", DefaultDoc: "`5s` (`0` in `make run`)",
		Doc: "after SIGTERM `/readyz` answers 503 this long, with keep-alives off, before the listeners close, so the load balancer stops sending first.",
		set: duration(func(c *Config) *time.Duration { return &c.ShutdownDrainDelay }, 0)},
	{Name: "SHUTDOWN_TIMEOUT", Default: "15s",
		Doc: "then requests in flight get this long to finish; past it connections are closed and the exit code is 1.",
		set: duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Millisecond)},
	{Name: "READ_HEADER_TIMEOUT", Default: "5s",
		Doc: "`http.Server.ReadHeaderTimeout` (slow-loris guard).",
		set: duration(func(c *Config) *time.Duration { return &c.ReadHeaderTimeout }, time.Millisecond)},
	{Name: "READ_TIMEOUT", Default: "15s",
		Doc: "`http.Server.ReadTimeout`: whole request including body.",
		set: duration(func(c *Config) *time.Duration { return &c.ReadTimeout }, time.Millisecond)},
	{Name: "WRITE_TIMEOUT", Default: "30s",
		Doc: "`http.Server.WriteTimeout`. Must exceed `REQUEST_TIMEOUT`.",
		set: duration(func(c *Config) *time.Duration { return &c.WriteTimeout }, time.Millisecond)},
	{Name: "IDLE_TIMEOUT", Default: "120s",
		Doc: "keep-alive connections idle longer are closed. Keep it above the ALB's idle timeout (60 s).",
		set: duration(func(c *Config) *time.Duration { return &c.IdleTimeout }, time.Millisecond)},
	{Name: "REQUEST_TIMEOUT", Default: httpapi.DefaultRequestTimeout.String(),
		Doc: "bound on the work of one API request; a database call past it answers 503 `unavailable`.",
		set: duration(func(c *Config) *time.Duration { return &c.RequestTimeout }, time.Millisecond)},
	{Name: "READY_TIMEOUT", Default: httpapi.DefaultReadyTimeout.String(),
		Doc: "bound on the database ping of `/readyz`.",
		set: duration(func(c *Config) *time.Duration { return &c.ReadyTimeout }, time.Millisecond)},
	{Name: "MAX_BODY_BYTES", Default: strconv.Itoa(httpapi.DefaultMaxBodyBytes), DefaultDoc: fmt.Sprintf("`%d` (%d MiB)", httpapi.DefaultMaxBodyBytes, httpapi.DefaultMaxBodyBytes>>20),
		Doc: "request bodies above it answer 413 `body_too_large`; 1024 to 67108864.",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 || n > 64<<20 {
				return errors.New("must be a whole number of bytes from 1024 to 67108864")
			}
			c.MaxBodyBytes = n
			return nil
		}},
	{Name: "RECOVERY_INTERVAL", Default: "1m",
		Doc: "how often the service finishes or rolls back orders a crash left half done (`order.Service.Recover`); it also runs once at start. At least `1s`.",
		set: duration(func(c *Config) *time.Duration { return &c.RecoveryInterval }, time.Second)},
	{Name: "RECOVERY_GRACE", Default: "1m",
		Doc: "Recover only touches orders untouched for this long, so it never undoes an order still being placed. Must exceed `REQUEST_TIMEOUT`.",
		set: duration(func(c *Config) *time.Duration { return &c.RecoveryGrace }, time.Second)},
}

// crossChecks are the rules between settings, run when each parsed.
var crossChecks = []func(c Config) error{
	func(c Config) error {
		if c.Port != 0 && c.Port == c.MetricsPort {
			return fmt.Errorf("PORT and METRICS_PORT are both %d: they must differ", c.Port)
		}
		return nil
	},
	func(c Config) error {
		if c.RequestTimeout >= c.WriteTimeout {
			return fmt.Errorf("REQUEST_TIMEOUT (%s) must be shorter than WRITE_TIMEOUT (%s), or answers are cut off", c.RequestTimeout, c.WriteTimeout)
		}
		return nil
	},
	func(c Config) error {
		if c.RecoveryGrace <= c.RequestTimeout {
			return fmt.Errorf("RECOVERY_GRACE (%s) must be longer than REQUEST_TIMEOUT (%s), or Recover undoes orders still being placed", c.RecoveryGrace, c.RequestTimeout)
		}
		return nil
	},
}

func duration(field func(*Config) *time.Duration, least time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			return fmt.Errorf("must be a duration of at least %s, like 5s or 1m30s", least)
		}
		*field(c) = d
		return nil
	}
}

func port(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return errors.New("must be a port number from 0 to 65535")
		}
		*field(c) = n
		return nil
	}
}

// DefaultConfig returns the settings used when no variable is set: each
// Setting's Default, parsed by its own parser.
func DefaultConfig() Config {
	var c Config
	for _, s := range Settings {
		if s.Default != "" {
			if err := s.set(&c, s.Default); err != nil {
				panic(fmt.Sprintf("app: default of %s: %v", s.Name, err)) // a bug in the table; a test runs this
			}
		}
	}
	return c
}

// ConfigError lists every bad setting; Error puts them on one line.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "configuration: " + strings.Join(e.Problems, "; ")
}

// ConfigFromEnv reads every setting of the table through getenv (os.Getenv
// in main, a map in tests), starting from DefaultConfig; an empty variable
// keeps the default. required names the settings that must be set (cmd/orders
// requires MONGODB_URL; the local runner nothing). Every bad value is
// reported at once, in a *ConfigError naming each variable.
func ConfigFromEnv(getenv func(string) string, required ...string) (Config, error) {
	return read(getenv, Settings, required)
}

// SettingFromEnv reads only the named settings, the others keep their
// defaults: for tools that need one value without the others' checks
// (`orders healthcheck` reads PORT).
func SettingFromEnv(getenv func(string) string, names ...string) (Config, error) {
	var subset []Setting
	for _, s := range Settings {
		for _, n := range names {
			if s.Name == n {
				subset = append(subset, s)
			}
		}
	}
	if len(subset) != len(names) {
		return Config{}, fmt.Errorf("app.SettingFromEnv(%q): not every name is a setting", names)
	}
	return read(getenv, subset, nil)
}

func read(getenv func(string) string, table []Setting, required []string) (Config, error) {
	c := DefaultConfig()
	var problems []string
	for _, s := range table {
		v := strings.TrimSpace(getenv(s.Name))
		if v == "" {
			for _, r := range required {
				if r == s.Name {
					problems = append(problems, s.Name+" is required")
				}
			}
			continue
		}
		if err := s.set(&c, v); err != nil {
			shown := strconv.Quote(v)
			if s.Secret {
				shown = "(not shown)"
			}
			problems = append(problems, fmt.Sprintf("%s=%s: %s", s.Name, shown, OneLine(err.Error())))
		}
	}
	// The rules between settings run even when some failed (those keep
	// their defaults), so one start names every problem.
	if len(table) == len(Settings) {
		for _, check := range crossChecks {
			if err := check(c); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return Config{}, &ConfigError{Problems: problems}
	}
	return c, nil
}

// OneLine folds s (an error message) into one line for a log field or
// a one-line error.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// SettingsTable is the table of settings in docs/config.md, made from
// Settings (`make config-docs` writes it there; a test fails when the two
// differ).
func SettingsTable() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range Settings {
		def := s.DefaultDoc
		if def == "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, s.Doc)
	}
	return b.String()
}
