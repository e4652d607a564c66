//go:build e2e

package mongodb

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/orderstack/orderstack/platform/e2e"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// TestMongoDBE2E runs scripts/mongodb-secret.sh with a real kubectl (built from the platform
// module) against a real API server holding the Percona CRDs and the rendered cluster chart,
// playing the operator's part: the ready status and the generated Secrets. Run it with
// `make mongodb-e2e`.
func TestMongoDBE2E(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	get := func(name string) string {
		if os.Getenv(name) == "" {
			t.Fatalf("%s is not set: run this test with `make mongodb-e2e`", name)
		}
		return os.Getenv(name)
	}
	kubeBin, etcdBin, kwokBin := get("E2E_KUBE_BIN"), get("E2E_ETCD_BIN"), get("E2E_KWOK_BIN")
	// kwok refuses to start without stages; its own, from the module it was built from.
	stages := filepath.Join(get("E2E_KWOK_DIR"), "kustomize", "stage")
	bin := get("E2E_CLIENTS") // kubectl, built from platform/go.mod (mk/e2e.mk)

	c, err := e2e.Start(ctx, e2e.Config{
		KubeBinDir: kubeBin,
		EtcdBin:    filepath.Join(etcdBin, "etcd"),
		KwokBin:    filepath.Join(kwokBin, "kwok"),
		KwokConfigs: []string{
			filepath.Join(stages, "node", "fast", "node-initialize.yaml"),
			filepath.Join(stages, "pod", "fast", "pod-ready.yaml"),
		},
		Dir:  filepath.Join(dir, "cluster"),
		Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})

	tryKubectl := func(stdin []byte, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	kubectl := func(stdin []byte, args ...string) string {
		t.Helper()
		out, err := tryKubectl(stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	// The CRDs, the namespaces and the chart's objects, created for real (strict validation).
	kubectl(nil, "apply", "--server-side", "-f", repo.Must[string](t)(OperatorCRDPath(ctx)))
	// `kubectl wait` fails at once while a CRD has no status yet: poll the condition instead.
	for _, crd := range []string{"perconaservermongodbs", "perconaservermongodbbackups", "perconaservermongodbrestores"} {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			out, err := tryKubectl(nil, "get", "crd/"+crd+".psmdb.percona.com", "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
			if err == nil && out == "True" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not Established after a minute", crd)
			}
		}
	}
	kubectl(nil, "create", "namespace", "mongodb")
	kubectl(nil, "create", "namespace", "orders")
	// Without the monitoring objects: this control plane has no prometheus-operator CRDs (the
	// e2e suite, `make e2e`, dry-runs them with those CRDs installed).
	manifest := render(t, requiredValues(map[string]any{"monitoring": map[string]any{"enabled": false}}))
	t.Log(kubectl([]byte(manifest), "apply", "--server-side", "--field-manager=helm", "--validate=strict", "-f", "-"))
	for _, example := range []string{"backup-now.yaml", "restore-backup.yaml", "restore-pitr.yaml", "restore-from-bucket.yaml"} {
		kubectl(nil, "create", "--dry-run=server", "--validate=strict", "-f", filepath.Join(repo.Root(t), "deploy", "mongodb", "examples", example))
	}

	// What the operator does once the replica set is up.
	for name, s := range map[string][2]string{"orders-mongodb-custom-user-secret": {"orders", fakePassword}, "orders-mongodb-ssl": {"ca.crt", fakeCA}} {
		kubectl(nil, "-n", "mongodb", "create", "secret", "generic", name, "--from-literal="+s[0]+"="+s[1])
	}
	statusPatch := func(state string) []string {
		return []string{"-n", "mongodb", "patch", "perconaservermongodb/orders-mongodb", "--subresource=status", "--type=merge", "-p", `{"status":{"state":"` + state + `","ready":3,"size":3}}`}
	}

	script := func(env ...string) (stdout, stderr string, err error) {
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(repo.Root(t), "scripts", "mongodb-secret.sh"))
		cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
			"KUBECONFIG=" + c.Kubeconfig, "ENV=dev", "WAIT_SECONDS=30", "SECRET_WAIT_SECONDS=0", "POLL_SECONDS=1"}, env...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		return out.String(), errOut.String(), err
	}
	appSecret := func() (map[string][]byte, string) {
		s, err := c.Client.CoreV1().Secrets("orders").Get(ctx, "orders-secrets", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Data, s.ResourceVersion
	}

	// The operator reports ready a few seconds after the script starts waiting (the object has
	// no status at all before that).
	patched := make(chan error, 1)
	go func() {
		time.Sleep(3 * time.Second)
		_, err := tryKubectl(nil, statusPatch("ready")...)
		patched <- err
	}()
	stdout, stderr, err := script()
	if perr := <-patched; perr != nil {
		t.Fatalf("patch status: %v", perr)
	}
	if err != nil {
		t.Fatalf("script: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("script output:\n%s%s", stdout, stderr)
	if strings.Contains(stdout+stderr, fakePassword) || strings.Contains(stdout+stderr, url.QueryEscape(fakePassword)) {
		t.Error("the password appears in the script's output")
	}
	data, _ := appSecret()
	checkAppSecret(t, scriptRun{applied: &corev1.Secret{Data: data}})
	token := string(data["ADMIN_TOKEN"])

	// A second run updates in place and keeps the token.
	if _, stderr, err := script(); err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	data, version := appSecret()
	if string(data["ADMIN_TOKEN"]) != token {
		t.Error("second run replaced ADMIN_TOKEN")
	}

	// A cluster that isn't ready: the script fails and leaves the Secret alone.
	kubectl(nil, statusPatch("initializing")...)
	_, stderr, err = script("WAIT_SECONDS=3")
	if err == nil || !strings.Contains(stderr, "is not ready") {
		t.Errorf("script on an initializing cluster = %v, stderr %q; want a not-ready failure", err, stderr)
	}
	if _, v := appSecret(); v != version {
		t.Errorf("Secret changed (resourceVersion %s -> %s) although the cluster was not ready", version, v)
	}
}
