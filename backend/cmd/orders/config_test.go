package main

import (
	"testing"
	"time"
)

// TestLoadConfigDefaults: with only MONGODB_URL set, every other setting
// takes the safe default docs/config.md lists.
func TestLoadConfigDefaults(t *testing.T) {
	env := map[string]string{"MONGODB_URL": "mongodb://db.example:27017/shop"}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadConfig = %v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"MONGODB_TIMEOUT", c.mongoTimeout, 2 * time.Second},
		{"MONGODB_MAX_POOL_SIZE", c.mongoPoolSize, uint64(0)},
		{"PORT", c.app.Port, 3000},
		{"METRICS_PORT", c.app.MetricsPort, 9090},
		{"ADMIN_TOKEN", c.app.AdminToken, ""},
		{"SHUTDOWN_DRAIN_DELAY", c.app.ShutdownDrainDelay, 5 * time.Second},
		{"SHUTDOWN_TIMEOUT", c.app.ShutdownTimeout, 15 * time.Second},
	}
	for _, tc := range checks {
		if tc.got != tc.want {
			t.Errorf("default %s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
