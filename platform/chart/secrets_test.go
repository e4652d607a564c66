package chart

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var (
	secretNamed = regexp.MustCompile(`(?i)(token|passw|secret|credential|api[-_]?key|private[-_]?key)`)
	tokenRun    = regexp.MustCompile(`[A-Za-z0-9]{20,}`)
	hasLetter   = regexp.MustCompile(`[A-Za-z]`)
	hasDigit    = regexp.MustCompile(`[0-9]`)
)

// secretLooking says why a plain env value looks like a secret, or "" when it
// does not: a URL carrying credentials, any MongoDB URL, a variable named like
// a secret with a literal value, or a token-shaped run (20+ letters and digits
// mixed, as in API keys and base64).
func secretLooking(name, value string) string {
	if value == "" {
		return ""
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok || u.User.Username() != "" {
			return "URL with credentials"
		}
	}
	if strings.HasPrefix(value, "mongodb://") || strings.HasPrefix(value, "mongodb+srv://") {
		return "MongoDB URL"
	}
	if secretNamed.MatchString(name) {
		return "secret-named variable with a literal value"
	}
	for _, run := range tokenRun.FindAllString(value, -1) {
		if hasLetter.MatchString(run) && hasDigit.MatchString(run) {
			return "token-shaped value"
		}
	}
	return ""
}

func TestSecretLooking(t *testing.T) {
	tests := []struct {
		name, value string
		secret      bool
	}{
		{"MONGODB_URL", "mongodb://orders:s3cret@orders-mongodb-rs0.mongodb.svc:27017/orders", true},
		{"DB", "mongodb+srv://cluster0.example.net/orders", true},
		{"UPSTREAM", "https://user:pass@example.com/", true},
		{"ADMIN_TOKEN", "hunter2", true},
		{"MY_PASSWORD", "x", true},
		{"X", "ghp_0123456789abcdefABCDEF0123456789abcd", true},
		{"X", "Zm9vYmFyYmF6cXV1eDEyMzQ1Njc4OTA=", true},
		{"LOG_LEVEL", "info", false},
		{"SHUTDOWN_TIMEOUT", "15s", false},
		{"PORT", "3000", false},
		{"UPSTREAM", "https://example.com/api/v1", false},
		{"ADMIN_TOKEN", "", false},
		{"FEATURE_FLAGS", "checkout,fast-path", false},
		{"SSL_POLICY", "ELBSecurityPolicy-TLS13-1-2-2021-06", false},
		{"IMAGE", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders", false},
	}
	for _, tt := range tests {
		if got := secretLooking(tt.name, tt.value) != ""; got != tt.secret {
			t.Errorf("secretLooking(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.secret)
		}
	}
}

// plainEnv lists name=value of every literal env value of every container of
// the rendered pods (Deployment template and helm test Pod).
func plainEnv(r *rendered) map[string]string {
	var specs []corev1.PodSpec
	for _, d := range all[appsv1.Deployment](r.objects) {
		specs = append(specs, d.Spec.Template.Spec)
	}
	for _, p := range all[corev1.Pod](append(append([]object{}, r.objects...), r.hooks...)) {
		specs = append(specs, p.Spec)
	}
	out := map[string]string{}
	for _, s := range specs {
		for _, c := range append(append([]corev1.Container{}, s.InitContainers...), s.Containers...) {
			for _, e := range c.Env {
				if e.Value != "" {
					out[e.Name] = e.Value
				}
			}
		}
	}
	return out
}

// TestNoSecretsRendered scans every literal env value of every environment for
// anything that looks like a credential, and checks the chart creates no Secret.
func TestNoSecretsRendered(t *testing.T) {
	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files})
			for name, value := range plainEnv(r) {
				if why := secretLooking(name, value); why != "" {
					t.Errorf("env %s has a literal value that looks like a secret (%s)", name, why)
				}
			}
			for _, o := range append(r.objects, r.hooks...) {
				if o.kind == "Secret" {
					t.Errorf("the chart renders Secret %s; secrets come from existingSecret only", o.name)
				}
			}
			if strings.Contains(r.manifest, "mongodb://") || strings.Contains(r.manifest, "mongodb+srv://") {
				t.Error("the rendered manifest contains a MongoDB URL")
			}
		})
	}

	// The scan sees what extraEnv renders: a credential smuggled in is caught.
	r := mustRender(t, renderOptions{set: []string{"extraEnv.UPSTREAM_URL=https://svc:hunter2@upstream.example.com"}})
	if why := secretLooking("UPSTREAM_URL", plainEnv(r)["UPSTREAM_URL"]); why == "" {
		t.Error("a credential URL in extraEnv was not flagged by the scan")
	}
}

// TestValuesFilesHoldNoSecrets scans the values files for secret-named keys
// with a value and for credential-looking strings.
func TestValuesFilesHoldNoSecrets(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir(t), "values*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("values files = %v, %v; want values.yaml, values-dev.yaml, values-prod.yaml", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walkValues("", v, func(path string, value any) {
			s, ok := value.(string)
			if !ok {
				return
			}
			// existingSecret names a Secret and mongodb.caSecretKey one of its
			// keys; neither is a secret.
			if path == "existingSecret" || path == "mongodb.caSecretKey" {
				return
			}
			if why := secretLooking(path, s); why != "" {
				t.Errorf("%s: %s = %q looks like a secret (%s)", filepath.Base(f), path, s, why)
			}
		})
	}
}

// walkValues calls fn for every leaf of a values tree with its dotted path.
func walkValues(prefix string, v any, fn func(path string, value any)) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walkValues(p, child, fn)
		}
	case []any:
		for _, child := range t {
			walkValues(prefix, child, fn)
		}
	default:
		fn(prefix, v)
	}
}
