package app

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the settings table of docs/config.md from Settings")

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestDefaultsAreValid: with nothing set, the defaults pass every rule
// between settings (a default that breaks one would stop every start).
func TestDefaultsAreValid(t *testing.T) {
	if _, err := ConfigFromEnv(envOf(nil)); err != nil {
		t.Fatalf("ConfigFromEnv(empty) = %v, want the defaults to be valid", err)
	}
	if _, err := ConfigFromEnv(envOf(nil), "MONGODB_URL"); err == nil || !strings.Contains(err.Error(), "MONGODB_URL is required") {
		t.Errorf("ConfigFromEnv(empty, required MONGODB_URL) = %v, want MONGODB_URL is required", err)
	}
}

func TestConfigFromEnvAll(t *testing.T) {
	env := map[string]string{
		"MONGODB_URL": "mongodb://u:p@db-0.db:27017,10.0.0.7/shop?replicaSet=rs0", "MONGODB_TIMEOUT": "500ms", "MONGODB_MAX_POOL_SIZE": "7",
		"HOST": "127.0.0.1", "PORT": "8080", "METRICS_PORT": "0", "ADMIN_TOKEN": "tok", "LOG_LEVEL": "DEBUG",
		"SHUTDOWN_DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "2s", "READ_HEADER_TIMEOUT": "1s", "READ_TIMEOUT": "3s",
		"WRITE_TIMEOUT": "4s", "IDLE_TIMEOUT": "5s", "REQUEST_TIMEOUT": "2s", "READY_TIMEOUT": "250ms",
		"MAX_BODY_BYTES": "2048", "RECOVERY_INTERVAL": "10s", "RECOVERY_GRACE": "30s",
	}
	got, err := ConfigFromEnv(envOf(env), "MONGODB_URL")
	if err != nil {
		t.Fatalf("ConfigFromEnv = %v", err)
	}
	want := Config{
		MongoURL: env["MONGODB_URL"], MongoTimeout: 500 * time.Millisecond, MongoMaxPoolSize: 7,
		Host: "127.0.0.1", Port: 8080, MetricsPort: 0, AdminToken: "tok", LogLevel: slog.LevelDebug,
		ShutdownDrainDelay: 0, ShutdownTimeout: 2 * time.Second, ReadHeaderTimeout: time.Second, ReadTimeout: 3 * time.Second,
		WriteTimeout: 4 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: 2 * time.Second, ReadyTimeout: 250 * time.Millisecond,
		MaxBodyBytes: 2048, RecoveryInterval: 10 * time.Second, RecoveryGrace: 30 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfigFromEnv (-want +got):\n%s", diff)
	}
	if len(env) != len(Settings) {
		t.Errorf("the test sets %d variables, the table has %d: cover the new ones", len(env), len(Settings))
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    []string // every variable the error must name
		notWant []string // secrets that must not appear
	}{
		{map[string]string{"PORT": "eighty"}, []string{"PORT"}, nil},
		{map[string]string{"PORT": "70000"}, []string{"PORT"}, nil},
		{map[string]string{"METRICS_PORT": "-1"}, []string{"METRICS_PORT"}, nil},
		{map[string]string{"PORT": "9000", "METRICS_PORT": "9000"}, []string{"PORT and METRICS_PORT"}, nil},
		{map[string]string{"LOG_LEVEL": "verbose"}, []string{"LOG_LEVEL"}, nil},
		{map[string]string{"SHUTDOWN_DRAIN_DELAY": "5"}, []string{"SHUTDOWN_DRAIN_DELAY"}, nil},
		{map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, []string{"SHUTDOWN_TIMEOUT"}, nil},
		{map[string]string{"READY_TIMEOUT": "soon"}, []string{"READY_TIMEOUT"}, nil},
		{map[string]string{"READ_HEADER_TIMEOUT": "-1s"}, []string{"READ_HEADER_TIMEOUT"}, nil},
		{map[string]string{"MAX_BODY_BYTES": "1MB"}, []string{"MAX_BODY_BYTES"}, nil},
		{map[string]string{"MAX_BODY_BYTES": "10"}, []string{"MAX_BODY_BYTES"}, nil},
		{map[string]string{"RECOVERY_INTERVAL": "10ms"}, []string{"RECOVERY_INTERVAL"}, nil},
		{map[string]string{"RECOVERY_GRACE": "5s"}, []string{"RECOVERY_GRACE", "REQUEST_TIMEOUT"}, nil},
		{map[string]string{"REQUEST_TIMEOUT": "40s"}, []string{"REQUEST_TIMEOUT", "WRITE_TIMEOUT"}, nil},
		{map[string]string{"MONGODB_TIMEOUT": "1"}, []string{"MONGODB_TIMEOUT"}, nil},
		{map[string]string{"MONGODB_MAX_POOL_SIZE": "-1"}, []string{"MONGODB_MAX_POOL_SIZE"}, nil},
		{map[string]string{"MONGODB_MAX_POOL_SIZE": "0x10"}, []string{"MONGODB_MAX_POOL_SIZE"}, nil},
		{map[string]string{"PORT": "x", "LOG_LEVEL": "y", "IDLE_TIMEOUT": "z"}, []string{"PORT", "LOG_LEVEL", "IDLE_TIMEOUT"}, nil},
		{map[string]string{"PORT": "x", "RECOVERY_GRACE": "5s"}, []string{"PORT=", "RECOVERY_GRACE (5s)"}, nil},
		// Every bad setting at once, MONGODB_URL included.
		{map[string]string{"MONGODB_URL": "nope", "PORT": "x"}, []string{"MONGODB_URL", "PORT"}, nil},
		{map[string]string{"MONGODB_URL": "mongodb://u:hunter2@bad host/x"}, []string{"MONGODB_URL", `"bad host"`}, []string{"hunter2"}},
		{map[string]string{"MONGODB_URL": "mongodb://u:hunter2@db:notaport/x"}, []string{"MONGODB_URL"}, []string{"hunter2"}},
		{map[string]string{"MONGODB_URL": "mongodb://u:hun%zzter2@db/x"}, []string{"MONGODB_URL", "percent-encoded"}, []string{"hun", "zzter2"}},
		{map[string]string{"MONGODB_URL": "postgres://admin:hunter2@db:5432/x"}, []string{"MONGODB_URL"}, []string{"hunter2"}},
		{map[string]string{"MONGODB_URL": "mongodb://admin:s3cr%40t@db/orders?maxPoolSize=lots&password=x9"}, []string{"MONGODB_URL", "maxPoolSize"}, []string{"s3cr", "x9"}},
		{map[string]string{"MONGODB_URL": "mongodb+srv://u:hunter2@a.example,b.example/x"}, []string{"MONGODB_URL", "one host"}, []string{"hunter2"}},
		{map[string]string{"MONGODB_URL": "mongodb+srv://u:hunter2@a.example:27017/x"}, []string{"MONGODB_URL", "no port"}, []string{"hunter2"}},
		{map[string]string{"MONGODB_URL": "mongodb+srv://u:hunter2@db.example/x?w=majority&connectTimeoutMS=soon"}, []string{"MONGODB_URL"}, []string{"hunter2"}},
	}
	for _, tt := range tests {
		_, err := ConfigFromEnv(envOf(tt.env))
		if err == nil {
			t.Errorf("ConfigFromEnv(%v) = nil, want an error", tt.env)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ConfigFromEnv(%v) = %q, want it to name %s", tt.env, err, w)
			}
		}
		for _, nw := range tt.notWant {
			if strings.Contains(err.Error(), nw) {
				t.Errorf("ConfigFromEnv(%v) = %q: leaks %q", tt.env, err, nw)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ConfigFromEnv(%v) error spans lines: %q", tt.env, err)
		}
	}
}

func TestConfigFromEnvNeverEchoesSecrets(t *testing.T) {
	_, err := ConfigFromEnv(envOf(map[string]string{"ADMIN_TOKEN": "very-secret", "PORT": "bad", "MONGODB_URL": "mongodb://u:pw-secret@h/?w=very-secret-too&x"}))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("ConfigFromEnv error = %v, want an error without the secrets", err)
	}
}

// TestSettingFromEnv: the healthcheck reads PORT through the table,
// without the other settings' checks.
func TestSettingFromEnv(t *testing.T) {
	c, err := SettingFromEnv(envOf(map[string]string{"PORT": "8081", "LOG_LEVEL": "loud"}), "PORT")
	if err != nil || c.Port != 8081 {
		t.Errorf("SettingFromEnv(PORT=8081, bad LOG_LEVEL) = %d, %v; want 8081, nil", c.Port, err)
	}
	if _, err := SettingFromEnv(envOf(map[string]string{"PORT": "http"}), "PORT"); err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("SettingFromEnv(PORT=http) = %v, want an error naming PORT", err)
	}
	if _, err := SettingFromEnv(envOf(nil), "NOPE"); err == nil {
		t.Error("SettingFromEnv(NOPE) = nil, want an error: not a setting")
	}
}

// TestConfigDocIsGenerated: the settings table of docs/config.md is
// SettingsTable(). `make config-docs` (go test -run TestConfigDocIsGenerated
// -update) rewrites it.
func TestConfigDocIsGenerated(t *testing.T) {
	const begin, end = "<!-- settings table: generated from backend/internal/app.Settings by `make config-docs` -->\n", "<!-- end of settings table -->\n"
	path := filepath.Join("..", "..", "..", "docs", "config.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q around the settings table", path, begin, end)
	}
	got, want := doc[i+len(begin):j], SettingsTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's settings table differs from app.Settings; run `make config-docs` (-doc +table):\n%s", path, cmp.Diff(got, want))
}
