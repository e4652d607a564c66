package app

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnvDefaults(t *testing.T) {
	got, err := ConfigFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatalf("ConfigFromEnv(empty) = %v", err)
	}
	want := DefaultConfig()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigFromEnv(empty) (-want +got):\n%s", diff)
	}
	// The documented contract (docs/development.md).
	if got.Port != 3000 || got.MetricsPort != 9090 || got.ShutdownDrainDelay != 5*time.Second ||
		got.ShutdownTimeout != 15*time.Second || got.ReadyTimeout != time.Second || got.LogLevel != slog.LevelInfo {
		t.Errorf("defaults = %+v, want PORT 3000, METRICS_PORT 9090, drain 5s, shutdown 15s, ready 1s, info", got)
	}
}

func TestConfigFromEnvAll(t *testing.T) {
	env := map[string]string{
		"HOST": "127.0.0.1", "PORT": "8080", "METRICS_PORT": "0", "ADMIN_TOKEN": "tok", "LOG_LEVEL": "DEBUG",
		"SHUTDOWN_DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "2s", "READ_HEADER_TIMEOUT": "1s", "READ_TIMEOUT": "3s",
		"WRITE_TIMEOUT": "4s", "IDLE_TIMEOUT": "5s", "REQUEST_TIMEOUT": "2s", "READY_TIMEOUT": "250ms",
		"MAX_BODY_BYTES": "2048", "RECOVERY_INTERVAL": "10s", "RECOVERY_GRACE": "30s",
	}
	got, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("ConfigFromEnv = %v", err)
	}
	want := Config{
		Host: "127.0.0.1", Port: 8080, MetricsPort: 0, AdminToken: "tok", LogLevel: slog.LevelDebug,
		ShutdownDrainDelay: 0, ShutdownTimeout: 2 * time.Second, ReadHeaderTimeout: time.Second, ReadTimeout: 3 * time.Second,
		WriteTimeout: 4 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: 2 * time.Second, ReadyTimeout: 250 * time.Millisecond,
		MaxBodyBytes: 2048, RecoveryInterval: 10 * time.Second, RecoveryGrace: 30 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigFromEnv (-want +got):\n%s", diff)
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string // every variable the error must name
	}{
		{map[string]string{"PORT": "eighty"}, []string{"PORT"}},
		{map[string]string{"PORT": "70000"}, []string{"PORT"}},
		{map[string]string{"METRICS_PORT": "-1"}, []string{"METRICS_PORT"}},
		{map[string]string{"PORT": "9000", "METRICS_PORT": "9000"}, []string{"PORT and METRICS_PORT"}},
		{map[string]string{"LOG_LEVEL": "verbose"}, []string{"LOG_LEVEL"}},
		{map[string]string{"SHUTDOWN_DRAIN_DELAY": "5"}, []string{"SHUTDOWN_DRAIN_DELAY"}},
		{map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, []string{"SHUTDOWN_TIMEOUT"}},
		{map[string]string{"READY_TIMEOUT": "soon"}, []string{"READY_TIMEOUT"}},
		{map[string]string{"READ_HEADER_TIMEOUT": "-1s"}, []string{"READ_HEADER_TIMEOUT"}},
		{map[string]string{"MAX_BODY_BYTES": "1MB"}, []string{"MAX_BODY_BYTES"}},
		{map[string]string{"MAX_BODY_BYTES": "10"}, []string{"MAX_BODY_BYTES"}},
		{map[string]string{"RECOVERY_INTERVAL": "10ms"}, []string{"RECOVERY_INTERVAL"}},
		{map[string]string{"RECOVERY_GRACE": "5s"}, []string{"RECOVERY_GRACE", "REQUEST_TIMEOUT"}},
		{map[string]string{"REQUEST_TIMEOUT": "40s"}, []string{"REQUEST_TIMEOUT", "WRITE_TIMEOUT"}},
		{map[string]string{"PORT": "x", "LOG_LEVEL": "y", "IDLE_TIMEOUT": "z"}, []string{"PORT", "LOG_LEVEL", "IDLE_TIMEOUT"}},
	}
	for _, tt := range tests {
		_, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
		if err == nil {
			t.Errorf("ConfigFromEnv(%v) = nil, want an error", tt.env)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ConfigFromEnv(%v) = %q, want it to name %s", tt.env, err, w)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ConfigFromEnv(%v) error spans lines: %q", tt.env, err)
		}
	}
}

func TestConfigFromEnvNeverEchoesToken(t *testing.T) {
	_, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"ADMIN_TOKEN": "very-secret", "PORT": "bad"}[k]
	})
	if err == nil || strings.Contains(err.Error(), "very-secret") {
		t.Errorf("ConfigFromEnv error = %v, want an error without the token", err)
	}
}
