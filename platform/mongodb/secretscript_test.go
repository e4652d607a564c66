package mongodb

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/clisandbox"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

// A password with every character class a URI cares about; the operator only generates
// letters and digits, but a rotated password could be anything.
const fakePassword = "p@ss:w/rd%Zz9?#&"

const fakeCA = "-----BEGIN CERTIFICATE-----\nMIIBfakeCAforTests\n-----END CERTIFICATE-----\n"

// scriptRun is one run of scripts/mongodb-secret.sh against testdata/kubectl.
type scriptRun struct {
	err                   error
	stdout, stderr, calls string
	applied               *corev1.Secret // nil when nothing was applied
}

// runSecretScript runs the script in a closed PATH (platform/internal/clisandbox: the fake
// kubectl and basic real programs, so it can never reach a real kubectl), with the given Secrets
// (namespace/name/key -> value) in the fake cluster and extra environment variables.
func runSecretScript(t *testing.T, secrets map[string]string, env ...string) scriptRun {
	t.Helper()
	state := t.TempDir()
	for path, value := range secrets {
		repo.Write(t, state, "secrets/"+path, value)
	}
	sb := clisandbox.New(t)
	sb.Fake(t, "kubectl", string(repo.Must[[]byte](t)(os.ReadFile(filepath.Join("testdata", "kubectl")))))
	sb.Real(t, append(clisandbox.Basics, "od")...)
	cmd := exec.Command("bash", filepath.Join(repo.Root(t), "scripts", "mongodb-secret.sh"))
	cmd.Env = sb.Env(append([]string{"FAKE_KUBE_DIR=" + state, "WAIT_SECONDS=0", "SECRET_WAIT_SECONDS=0"}, env...)...)
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
	// The password, raw or URI-encoded, is on no output or command line.
	for _, form := range []string{fakePassword, url.QueryEscape(fakePassword), url.PathEscape(fakePassword), "p%40ss"} {
		for name, text := range map[string]string{"stdout": run.stdout, "stderr": run.stderr, "kubectl arguments": run.calls} {
			if strings.Contains(text, form) {
				t.Errorf("password (as %q) appears in %s:\n%s", form, name, text)
			}
		}
	}
	return run
}

// operatorSecrets is what the operator has created once the cluster is ready, without the
// keys named in drop.
func operatorSecrets(drop ...string) map[string]string {
	s := map[string]string{
		"mongodb/orders-mongodb-custom-user-secret/orders": fakePassword,
		"mongodb/orders-mongodb-ssl/ca.crt":                fakeCA,
		"mongodb/orders-mongodb-ssl/tls.key":               "not for the app",
	}
	maps.DeleteFunc(s, func(k, _ string) bool { return slices.Contains(drop, k) })
	return s
}

// mongodbURL parses the applied MONGODB_URL as the Go driver does.
func mongodbURL(t *testing.T, run scriptRun) *connstring.ConnString {
	t.Helper()
	if run.err != nil || run.applied == nil {
		t.Fatalf("script: %v, applied %v\nstdout:\n%s\nstderr:\n%s", run.err, run.applied, run.stdout, run.stderr)
	}
	cs, err := connstring.ParseAndValidate(string(run.applied.Data["MONGODB_URL"]))
	if err != nil {
		t.Fatalf("the Go driver refuses MONGODB_URL: %v", err)
	}
	return cs
}

// checkAppSecret checks the Secret the script made from operatorSecrets() with the defaults
// (three members, verified TLS): the fake kubectl's here, the real API server's in TestMongoDBE2E.
// The CA is under the key the orders chart mounts, at the file it mounts it as (its values.yaml;
// deploy/helm/orders/tests/mongodbca_test.yaml checks the chart does what these values say).
func checkAppSecret(t *testing.T, run scriptRun) {
	t.Helper()
	cs, s := mongodbURL(t, run), run.applied
	var chart struct {
		MongoDB struct{ CASecretKey, CAMountPath string }
	}
	if err := yaml.Unmarshal(repoFile(t, "deploy/helm/orders/values.yaml"), &chart); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ADMIN_TOKEN", chart.MongoDB.CASecretKey, "MONGODB_URL"}, slices.Sorted(maps.Keys(s.Data))); diff != "" {
		t.Errorf("Secret keys (-want +got):\n%s", diff)
	}
	var wantHosts []string
	for i := range 3 {
		wantHosts = append(wantHosts, fmt.Sprintf("orders-mongodb-rs0-%d.orders-mongodb-rs0.mongodb.svc.cluster.local:27017", i))
	}
	if diff := cmp.Diff(wantHosts, cs.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if cs.Username != "orders" || cs.Password != fakePassword || cs.Database != "orders" || cs.ReplicaSet != "rs0" || cs.AuthSource != "admin" {
		t.Errorf("user %q (password ok %v), database %q, replicaSet %q, authSource %q; want orders, orders, rs0, admin",
			cs.Username, cs.Password == fakePassword, cs.Database, cs.ReplicaSet, cs.AuthSource)
	}
	if caFile := chart.MongoDB.CAMountPath + "/ca.crt"; !cs.SSL || cs.SSLInsecure || cs.SSLCaFile != caFile {
		t.Errorf("tls %v insecure %v caFile %q, want verified TLS with %s", cs.SSL, cs.SSLInsecure, cs.SSLCaFile, caFile)
	}
	if got := string(s.Data[chart.MongoDB.CASecretKey]); got != fakeCA { // and not the server's private key
		t.Errorf("MONGODB_CA_CRT = %q, want the cluster CA", got)
	}
	if token := string(s.Data["ADMIN_TOKEN"]); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(token) {
		t.Errorf("ADMIN_TOKEN = %q, want 64 random hex digits", token)
	}
}

func TestSecretScriptBuildsURLFromOperatorCredentials(t *testing.T) {
	run := runSecretScript(t, operatorSecrets(), "ENV=dev")
	checkAppSecret(t, run)
	if s := run.applied; s.Name != "orders-secrets" || s.Namespace != "orders" {
		t.Errorf("applied Secret %s/%s, want orders/orders-secrets", s.Namespace, s.Name)
	}
	if !strings.Contains(run.calls, "--dry-run=client") || !strings.Contains(run.calls, "apply -f -") {
		t.Errorf("kubectl calls lack create --dry-run=client | apply -f -:\n%s", run.calls)
	}
	// An existing token is kept (and not printed); two runs without one generate different ones.
	secrets := operatorSecrets()
	secrets["orders/orders-secrets/ADMIN_TOKEN"] = "existing-token-1234"
	secrets["orders/orders-secrets/MONGODB_URL"] = "mongodb://old"
	kept := runSecretScript(t, secrets, "ENV=prod")
	mongodbURL(t, kept)
	if got := string(kept.applied.Data["ADMIN_TOKEN"]); got != "existing-token-1234" || strings.Contains(kept.stdout, got) {
		t.Errorf("ADMIN_TOKEN = %q, want the existing token kept, and not on stdout", got)
	}
	again := runSecretScript(t, operatorSecrets(), "ENV=dev")
	if mongodbURL(t, again); bytes.Equal(run.applied.Data["ADMIN_TOKEN"], again.applied.Data["ADMIN_TOKEN"]) {
		t.Error("two generated ADMIN_TOKENs are equal")
	}
}

// TestSecretScriptModes: the options shape the URL and the calls; bad settings and a cluster that
// is not ready fail clearly with nothing applied.
func TestSecretScriptModes(t *testing.T) {
	for _, tt := range []struct {
		name              string
		drop, env         []string // drop: operator secrets missing
		wantErr           string   // "": success with hosts, tls, insecure, ca, every call naming everyCall
		hosts             int
		tls, insecure, ca bool
		everyCall         string
	}{
		{"five members", nil, []string{"ENV=dev", "FAKE_SIZE=5"}, "", 5, true, false, true, ""},
		{"tls off", nil, []string{"ENV=dev", "MONGODB_TLS=off"}, "", 3, false, false, false, ""},
		{"tls insecure", nil, []string{"ENV=dev", "MONGODB_TLS=insecure"}, "", 3, true, true, false, ""},
		{"explicit context", nil, []string{"ENV=dev", "KUBE_CONTEXT=arn:aws:eks:eu-west-1:1:cluster/orderstack-dev"}, "", 3, true, false, true,
			"--context arn:aws:eks:eu-west-1:1:cluster/orderstack-dev "},
		{"no ENV", nil, nil, "ENV must be dev or prod", 0, false, false, false, ""},
		{"bad ENV", nil, []string{"ENV=staging"}, "ENV must be dev or prod", 0, false, false, false, ""},
		{"bad TLS mode", nil, []string{"ENV=dev", "MONGODB_TLS=maybe"}, "MONGODB_TLS", 0, false, false, false, ""},
		{"cluster not ready", nil, []string{"ENV=dev", "FAKE_PSMDB_STATE=initializing"}, "is not ready (state 'initializing'", 0, false, false, false, ""},
		{"no status yet", nil, []string{"ENV=dev", "FAKE_PSMDB_STATE="}, "is not ready (state 'none'", 0, false, false, false, ""},
		{"no size", nil, []string{"ENV=dev", "FAKE_SIZE="}, "has no size", 0, false, false, false, ""},
		{"no user secret", []string{"mongodb/orders-mongodb-custom-user-secret/orders"}, []string{"ENV=dev"}, "orders-mongodb-custom-user-secret", 0, false, false, false, ""},
		{"no CA", []string{"mongodb/orders-mongodb-ssl/ca.crt", "mongodb/orders-mongodb-ssl/tls.key"}, []string{"ENV=dev"}, "orders-mongodb-ssl", 0, false, false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := runSecretScript(t, operatorSecrets(tt.drop...), tt.env...)
			if tt.wantErr != "" {
				if run.err == nil || !strings.Contains(run.stderr, tt.wantErr) || run.applied != nil {
					t.Errorf("exit %v, applied %v, stderr %q; want a failure mentioning %q and nothing applied", run.err, run.applied != nil, run.stderr, tt.wantErr)
				}
				return
			}
			cs := mongodbURL(t, run)
			_, ca := run.applied.Data["MONGODB_CA_CRT"]
			if len(cs.Hosts) != tt.hosts || cs.SSL != tt.tls || cs.SSLInsecure != tt.insecure || ca != tt.ca {
				t.Errorf("hosts %d tls %v insecure %v CA %v, want %d %v %v %v", len(cs.Hosts), cs.SSL, cs.SSLInsecure, ca, tt.hosts, tt.tls, tt.insecure, tt.ca)
			}
			for _, line := range strings.Split(strings.TrimSpace(run.calls), "\n") {
				if !strings.Contains(line, tt.everyCall) {
					t.Errorf("kubectl call %q lacks %q", line, tt.everyCall)
				}
			}
		})
	}
}
