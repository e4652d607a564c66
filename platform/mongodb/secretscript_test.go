package mongodb

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// A password with every character class a URI cares about; the operator only generates
// letters and digits, but a rotated password could be anything.
const fakePassword = "p@ss:w/rd%Zz9?#&"

const fakeCA = "-----BEGIN CERTIFICATE-----\nMIIBfakeCAforTests\n-----END CERTIFICATE-----\n"

// scriptRun is one run of scripts/mongodb-secret.sh against testdata/kubectl.
type scriptRun struct {
	err            error
	stdout, stderr string
	calls          string
	applied        *corev1.Secret // nil when nothing was applied
}

// runSecretScript runs the script with the fake kubectl first on PATH, the given Secrets
// (namespace/name/key -> value) in the fake cluster and extra environment variables.
func runSecretScript(t *testing.T, secrets map[string]string, env ...string) scriptRun {
	t.Helper()
	root := repo.Root(t)
	state := t.TempDir()
	for path, value := range secrets {
		file := filepath.Join(state, "secrets", filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A closed PATH (platform/internal/clisandbox): the fake kubectl and the basic real programs,
	// so the script can never reach a real kubectl.
	sb := clisandbox.New(t)
	fake, err := os.ReadFile(filepath.Join("testdata", "kubectl"))
	if err != nil {
		t.Fatal(err)
	}
	sb.Fake(t, "kubectl", string(fake))
	sb.Real(t, append(clisandbox.Basics, "od")...)

	cmd := exec.Command("bash", filepath.Join(root, "scripts", "mongodb-secret.sh"))
	cmd.Env = sb.Env(append([]string{
		"FAKE_KUBE_DIR=" + state,
		"WAIT_SECONDS=0",
		"SECRET_WAIT_SECONDS=0",
	}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	run := scriptRun{err: cmd.Run(), stdout: stdout.String(), stderr: stderr.String()}
	calls, _ := os.ReadFile(filepath.Join(state, "calls"))
	run.calls = string(calls)
	if data, err := os.ReadFile(filepath.Join(state, "applied.yaml")); err == nil {
		run.applied = &corev1.Secret{}
		if err := yaml.UnmarshalStrict(data, run.applied); err != nil {
			t.Fatalf("applied manifest: %v\n%s", err, data)
		}
	}
	return run
}

// operatorSecrets is what the operator has created once the cluster is ready.
func operatorSecrets() map[string]string {
	return map[string]string{
		"mongodb/orders-mongodb-custom-user-secret/orders": fakePassword,
		"mongodb/orders-mongodb-ssl/ca.crt":                fakeCA,
		"mongodb/orders-mongodb-ssl/tls.key":               "not for the app",
	}
}

// assertNoPasswordLeak checks the password, raw or URI-encoded, is on no output or command line.
func assertNoPasswordLeak(t *testing.T, run scriptRun) {
	t.Helper()
	for _, form := range []string{fakePassword, url.QueryEscape(fakePassword), url.PathEscape(fakePassword), "p%40ss"} {
		for name, text := range map[string]string{"stdout": run.stdout, "stderr": run.stderr, "kubectl arguments": run.calls} {
			if strings.Contains(text, form) {
				t.Errorf("password (as %q) appears in %s:\n%s", form, name, text)
			}
		}
	}
}

func TestSecretScriptBuildsURLFromOperatorCredentials(t *testing.T) {
	run := runSecretScript(t, operatorSecrets(), "ENV=dev")
	if run.err != nil {
		t.Fatalf("script failed: %v\nstdout:\n%s\nstderr:\n%s", run.err, run.stdout, run.stderr)
	}
	assertNoPasswordLeak(t, run)
	if run.applied == nil {
		t.Fatal("no Secret applied")
	}
	s := run.applied
	if s.Name != "orders-secrets" || s.Namespace != "orders" {
		t.Errorf("applied Secret %s/%s, want orders/orders-secrets", s.Namespace, s.Name)
	}
	var keys []string
	for k := range s.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"ADMIN_TOKEN", "MONGODB_CA_CRT", "MONGODB_URL"}, keys); diff != "" {
		t.Errorf("Secret keys (-want +got):\n%s", diff)
	}

	uri := string(s.Data["MONGODB_URL"])
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil {
		t.Fatalf("the Go driver refuses MONGODB_URL: %v", err)
	}
	wantHosts := []string{
		"orders-mongodb-rs0-0.orders-mongodb-rs0.mongodb.svc.cluster.local:27017",
		"orders-mongodb-rs0-1.orders-mongodb-rs0.mongodb.svc.cluster.local:27017",
		"orders-mongodb-rs0-2.orders-mongodb-rs0.mongodb.svc.cluster.local:27017",
	}
	if diff := cmp.Diff(wantHosts, cs.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if cs.Username != "orders" || cs.Password != fakePassword {
		t.Errorf("credentials = %q / %q, want orders and the operator's password", cs.Username, cs.Password)
	}
	if cs.Database != "orders" || cs.ReplicaSet != "rs0" || cs.AuthSource != "admin" {
		t.Errorf("database %q, replicaSet %q, authSource %q; want orders, rs0, admin", cs.Database, cs.ReplicaSet, cs.AuthSource)
	}
	if !cs.SSL || cs.SSLInsecure || cs.SSLCaFile != "/etc/orders/mongodb/ca.crt" {
		t.Errorf("tls %v insecure %v caFile %q, want verified TLS with /etc/orders/mongodb/ca.crt", cs.SSL, cs.SSLInsecure, cs.SSLCaFile)
	}
	if got := string(s.Data["MONGODB_CA_CRT"]); got != fakeCA {
		t.Errorf("MONGODB_CA_CRT = %q, want the cluster CA", got)
	}
	if bytes.Contains(s.Data["MONGODB_CA_CRT"], []byte("not for the app")) {
		t.Error("the server's private key was copied")
	}
	if token := string(s.Data["ADMIN_TOKEN"]); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(token) {
		t.Errorf("ADMIN_TOKEN = %q, want 64 random hex digits", token)
	}
	if !strings.Contains(run.calls, "--dry-run=client") || !strings.Contains(run.calls, "apply -f -") {
		t.Errorf("kubectl calls lack create --dry-run=client | apply -f -:\n%s", run.calls)
	}
}

func TestSecretScriptKeepsExistingAdminToken(t *testing.T) {
	secrets := operatorSecrets()
	secrets["orders/orders-secrets/ADMIN_TOKEN"] = "existing-token-1234"
	secrets["orders/orders-secrets/MONGODB_URL"] = "mongodb://old"
	first := runSecretScript(t, secrets, "ENV=prod")
	if first.err != nil {
		t.Fatalf("script failed: %v\n%s", first.err, first.stderr)
	}
	if got := string(first.applied.Data["ADMIN_TOKEN"]); got != "existing-token-1234" {
		t.Errorf("ADMIN_TOKEN = %q, want the existing token kept", got)
	}
	if strings.Contains(first.stdout, "existing-token-1234") {
		t.Error("the admin token appears on stdout")
	}

	// Two runs without a token generate two different ones (random, not constant).
	a := runSecretScript(t, operatorSecrets(), "ENV=dev")
	b := runSecretScript(t, operatorSecrets(), "ENV=dev")
	if a.applied == nil || b.applied == nil {
		t.Fatalf("runs failed: %v / %v", a.err, b.err)
	}
	if bytes.Equal(a.applied.Data["ADMIN_TOKEN"], b.applied.Data["ADMIN_TOKEN"]) {
		t.Error("two generated ADMIN_TOKENs are equal")
	}
}

func TestSecretScriptOptions(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		wantHosts int
		wantTLS   bool
		insecure  bool
		wantCA    bool
		wantCalls string // every kubectl call must contain this
	}{
		{"five members", []string{"FAKE_SIZE=5"}, 5, true, false, true, ""},
		{"tls off", []string{"MONGODB_TLS=off"}, 3, false, false, false, ""},
		{"tls insecure", []string{"MONGODB_TLS=insecure"}, 3, true, true, false, ""},
		{"explicit context", []string{"KUBE_CONTEXT=arn:aws:eks:eu-west-1:1:cluster/orderstack-dev"}, 3, true, false, true,
			"--context arn:aws:eks:eu-west-1:1:cluster/orderstack-dev "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runSecretScript(t, operatorSecrets(), append([]string{"ENV=dev"}, tt.env...)...)
			if run.err != nil {
				t.Fatalf("script failed: %v\n%s", run.err, run.stderr)
			}
			assertNoPasswordLeak(t, run)
			cs, err := connstring.ParseAndValidate(string(run.applied.Data["MONGODB_URL"]))
			if err != nil {
				t.Fatalf("the Go driver refuses MONGODB_URL: %v", err)
			}
			if len(cs.Hosts) != tt.wantHosts || cs.SSL != tt.wantTLS || cs.SSLInsecure != tt.insecure {
				t.Errorf("hosts %d tls %v insecure %v, want %d %v %v", len(cs.Hosts), cs.SSL, cs.SSLInsecure, tt.wantHosts, tt.wantTLS, tt.insecure)
			}
			if _, ok := run.applied.Data["MONGODB_CA_CRT"]; ok != tt.wantCA {
				t.Errorf("MONGODB_CA_CRT present = %v, want %v", ok, tt.wantCA)
			}
			for _, line := range strings.Split(strings.TrimSpace(run.calls), "\n") {
				if !strings.Contains(line, tt.wantCalls) {
					t.Errorf("kubectl call %q lacks %q", line, tt.wantCalls)
				}
			}
		})
	}
}

func TestSecretScriptFailsClearlyWithoutApplying(t *testing.T) {
	noUser := operatorSecrets()
	delete(noUser, "mongodb/orders-mongodb-custom-user-secret/orders")
	noCA := operatorSecrets()
	delete(noCA, "mongodb/orders-mongodb-ssl/ca.crt")
	delete(noCA, "mongodb/orders-mongodb-ssl/tls.key")
	tests := []struct {
		name    string
		secrets map[string]string
		env     []string
		wantErr string
	}{
		{"no ENV", operatorSecrets(), nil, "ENV must be dev or prod"},
		{"bad ENV", operatorSecrets(), []string{"ENV=staging"}, "ENV must be dev or prod"},
		{"bad TLS mode", operatorSecrets(), []string{"ENV=dev", "MONGODB_TLS=maybe"}, "MONGODB_TLS"},
		{"cluster not ready", operatorSecrets(), []string{"ENV=dev", "FAKE_PSMDB_STATE=initializing"}, "is not ready (state 'initializing'"},
		{"no status yet", operatorSecrets(), []string{"ENV=dev", "FAKE_PSMDB_STATE="}, "is not ready (state 'none'"},
		{"no size", operatorSecrets(), []string{"ENV=dev", "FAKE_SIZE="}, "has no size"},
		{"no user secret", noUser, []string{"ENV=dev"}, "orders-mongodb-custom-user-secret"},
		{"no CA", noCA, []string{"ENV=dev"}, "orders-mongodb-ssl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runSecretScript(t, tt.secrets, tt.env...)
			if run.err == nil {
				t.Fatalf("script succeeded, want failure mentioning %q\n%s", tt.wantErr, run.stdout)
			}
			if !strings.Contains(run.stderr, tt.wantErr) {
				t.Errorf("stderr = %q, want it to mention %q", run.stderr, tt.wantErr)
			}
			if run.applied != nil {
				t.Error("a Secret was applied after a failure")
			}
			assertNoPasswordLeak(t, run)
		})
	}
}
