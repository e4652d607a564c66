package mongodb

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/event"
)

// metrics feeds the orders_mongodb_* metrics from the driver's command
// and pool monitors.
type metrics struct {
	commands *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pool     *prometheus.GaugeVec
}

// knownCommands are the command label values; anything else is "other",
// so a surprising command cannot grow the label set.
var knownCommands = map[string]bool{
	"find": true, "insert": true, "update": true, "delete": true, "findAndModify": true,
	"getMore": true, "killCursors": true, "count": true, "aggregate": true, "ping": true,
	"createIndexes": true, "listIndexes": true, "dropIndexes": true, "drop": true,
	"dropDatabase": true, "endSessions": true, "hello": true, "isMaster": true,
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orders", Subsystem: "mongodb", Name: "commands_total",
			Help: "MongoDB commands sent, by command name and outcome (ok, error).",
		}, []string{"command", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "orders", Subsystem: "mongodb", Name: "command_duration_seconds",
			Help:    "Time from sending a MongoDB command to its reply, by command name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"command"}),
		pool: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "orders", Subsystem: "mongodb", Name: "pool_connections",
			Help: "Connections in the MongoDB driver's pool: open, and in_use by an operation.",
		}, []string{"state"}),
	}
	var err error
	m.commands, err = register(reg, m.commands)
	if err != nil {
		return nil, err
	}
	m.duration, err = register(reg, m.duration)
	if err != nil {
		return nil, err
	}
	m.pool, err = register(reg, m.pool)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same description (a second DB on the same registry shares it).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func commandLabel(name string) string {
	if knownCommands[name] {
		return name
	}
	return "other"
}

func (m *metrics) commandMonitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			cmd := commandLabel(e.CommandName)
			m.commands.WithLabelValues(cmd, "ok").Inc()
			m.duration.WithLabelValues(cmd).Observe(e.Duration.Seconds())
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			cmd := commandLabel(e.CommandName)
			m.commands.WithLabelValues(cmd, "error").Inc()
			m.duration.WithLabelValues(cmd).Observe(e.Duration.Seconds())
		},
	}
}

func (m *metrics) poolMonitor() *event.PoolMonitor {
	open, inUse := m.pool.WithLabelValues("open"), m.pool.WithLabelValues("in_use")
	return &event.PoolMonitor{
		Event: func(e *event.PoolEvent) {
			switch e.Type {
			case event.ConnectionCreated:
				open.Inc()
			case event.ConnectionClosed:
				open.Dec()
			case event.ConnectionCheckedOut:
				inUse.Inc()
			case event.ConnectionCheckedIn:
				inUse.Dec()
			}
		},
	}
}
