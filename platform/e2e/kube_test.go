//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstack/orderstack/platform/mongodb"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// The Percona operator release (and its pinned module hash) is the one platform/mongodb checks
// deploy/mongodb against offline: one pin for both.
const (
	perconaModule  = mongodb.OperatorModule
	perconaVersion = mongodb.OperatorVersion

	monitoringAPI = "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// kube wraps the clients the checks use.
type kube struct {
	t      *testing.T
	c      *Cluster
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	dir    string
}

func newKube(t *testing.T, c *Cluster, dir string) *kube {
	t.Helper()
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client.Discovery()))
	return &kube{t: t, c: c, dyn: dyn, mapper: mapper, dir: dir}
}

func (k *kube) createNamespace(ctx context.Context, name string) {
	k.t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := k.c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		k.t.Fatal(err)
	}
}

// decodeObjects splits a multi-document YAML stream into objects, skipping empty documents.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// create creates obj (server-side dry run when dryRun), defaulting its namespace to ns.
func (k *kube) create(ctx context.Context, obj *unstructured.Unstructured, ns string, dryRun bool, validation string) error {
	gvk := obj.GroupVersionKind()
	mapping, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	opts := metav1.CreateOptions{FieldValidation: validation}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = k.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(ns)
		}
		ri = k.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	if _, err := ri.Create(ctx, obj, opts); err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return nil
}

// installCRDs creates the CRDs in data and waits until the API server serves them.
func (k *kube) installCRDs(ctx context.Context, data []byte) []string {
	k.t.Helper()
	objs, err := decodeObjects(data)
	if err != nil {
		k.t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if _, err := k.dyn.Resource(crdGVR).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			k.t.Fatalf("create CRD %s: %v", o.GetName(), err)
		}
		names = append(names, o.GetName())
	}
	for _, name := range names {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			crd, err := k.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			k.t.Fatalf("CRD %s not Established: %v", name, err)
		}
	}
	k.mapper.Reset()
	return names
}

// installMonitoringCRDs generates the ServiceMonitor, PodMonitor and PrometheusRule CRDs with controller-gen
// from the monitoring API types at the version platform/go.mod pins, installs them, and waits
// until discovery lists monitoring.coreos.com/v1 (the chart renders them only then).
func (k *kube) installMonitoringCRDs(ctx context.Context, controllerGen string) {
	k.t.Helper()
	platformDir, err := filepath.Abs("..")
	if err != nil {
		k.t.Fatal(err)
	}
	version, err := runGo(ctx, platformDir, nil, "list", "-m", "-f", "{{.Version}}", strings.TrimSuffix(monitoringAPI, "/v1"))
	if err != nil {
		k.t.Fatal(err)
	}
	out := filepath.Join(k.dir, "crds", "monitoring")
	cmd := exec.CommandContext(ctx, controllerGen, "crd:crdVersions=v1", "paths="+monitoringAPI, "output:crd:dir="+out)
	cmd.Dir = platformDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("controller-gen: %v\n%s", err, msg)
	}
	var data []byte
	for _, f := range []string{"monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_podmonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			k.t.Fatalf("controller-gen did not write %s: %v", f, err)
		}
		data = append(append(data, b...), "\n---\n"...)
	}
	names := k.installCRDs(ctx, data)
	k.t.Logf("installed %v generated from %s@%s", names, monitoringAPI, strings.TrimSpace(version))
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		_, err := k.c.Client.Discovery().ServerResourcesForGroupVersion("monitoring.coreos.com/v1")
		return err == nil, nil
	})
	if err != nil {
		k.t.Fatalf("monitoring.coreos.com/v1 not discoverable: %v", err)
	}
}

// installPerconaCRDs installs deploy/crd.yaml of the Percona operator module (downloaded and
// checked against the pinned hash by platform/mongodb).
func (k *kube) installPerconaCRDs(ctx context.Context) {
	k.t.Helper()
	path, err := mongodb.OperatorCRDPath(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		k.t.Fatal(err)
	}
	names := k.installCRDs(ctx, data)
	k.t.Logf("installed %v from %s@%s", names, perconaModule, perconaVersion)
}

// kwokStages returns kwok's own stage files, from the kwok module at the version the binary was
// built from: fast node initialisation, lease heartbeats, the "general" pod lifecycle (pods take
// a configurable time to be created and become Ready, like real ones) and immediate deletion of
// terminating pods.
func kwokStages(ctx context.Context, version string) ([]string, error) {
	dir, _, err := goModDownload(ctx, "sigs.k8s.io/kwok@"+version)
	if err != nil {
		return nil, err
	}
	stage := filepath.Join(dir, "kustomize", "stage")
	files := []string{
		filepath.Join(stage, "node", "fast", "node-initialize.yaml"),
		filepath.Join(stage, "node", "heartbeat-with-lease", "node-heartbeat-with-lease.yaml"),
		filepath.Join(stage, "pod", "general", "pod-create.yaml"),
		filepath.Join(stage, "pod", "general", "pod-init-container-running.yaml"),
		filepath.Join(stage, "pod", "general", "pod-init-container-completed.yaml"),
		filepath.Join(stage, "pod", "general", "pod-ready.yaml"),
		filepath.Join(stage, "pod", "general", "pod-complete.yaml"),
		filepath.Join(stage, "pod", "fast", "pod-delete.yaml"),
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("kwok stage file: %w", err)
		}
	}
	return files, nil
}

// goModDownload fetches module@version into the module cache and returns its directory and hash.
func goModDownload(ctx context.Context, modVersion string, env ...string) (dir, sum string, err error) {
	out, err := runGo(ctx, os.TempDir(), append([]string{"GOWORK=off", "GOFLAGS=-mod=mod"}, env...), "mod", "download", "-json", modVersion)
	var info struct{ Dir, Sum, Error string }
	if jsonErr := json.Unmarshal([]byte(out), &info); jsonErr != nil && err == nil {
		err = jsonErr
	}
	if info.Error != "" {
		return "", "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	if err != nil {
		return "", "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	return info.Dir, info.Sum, nil
}

func runGo(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// checkMonitoringObjects: with the CRDs present the chart's ServiceMonitor and PrometheusRule
// were rendered, and the API server accepted them under the CRDs' schemas.
func (k *kube) checkMonitoringObjects(ctx context.Context) {
	k.t.Helper()
	for _, res := range []string{"servicemonitors", "prometheusrules"} {
		gvr := schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: res}
		obj, err := k.dyn.Resource(gvr).Namespace(namespace).Get(ctx, fullname, metav1.GetOptions{})
		if err != nil {
			k.t.Errorf("%s %s: %v", res, fullname, err)
			continue
		}
		if got := obj.GetLabels()["release"]; got != "kube-prometheus-stack" {
			k.t.Errorf("%s label release = %q, want kube-prometheus-stack (what the operator selects)", res, got)
		}
	}
}

// checkBrokenManifestRejected: server-side dry runs of the chart's own Deployment: unchanged it is
// accepted (and nothing is stored); with invalid values or an unknown field it is refused.
func (k *kube) checkBrokenManifestRejected(ctx context.Context) {
	k.t.Helper()
	live, err := k.c.Client.AppsV1().Deployments(namespace).Get(ctx, fullname, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	good := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "orders-dry-run", Namespace: namespace, Labels: live.Labels},
		Spec:       *live.Spec.DeepCopy(),
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
	if _, err := k.c.Client.AppsV1().Deployments(namespace).Create(ctx, good, dryRun); err != nil {
		k.t.Fatalf("dry run of the chart's own Deployment refused: %v", err)
	}
	if _, err := k.c.Client.AppsV1().Deployments(namespace).Get(ctx, good.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		k.t.Errorf("after a dry run, Get = %v, want NotFound", err)
	}

	broken := good.DeepCopy()
	broken.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort = 70000
	broken.Spec.Selector.MatchLabels = map[string]string{"app.kubernetes.io/name": "not-the-template"}
	_, err = k.c.Client.AppsV1().Deployments(namespace).Create(ctx, broken, dryRun)
	if !apierrors.IsInvalid(err) {
		k.t.Fatalf("dry run of an invalid Deployment = %v, want 422 Invalid", err)
	}
	var fields []string
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil {
		for _, c := range status.Status().Details.Causes {
			fields = append(fields, c.Field)
		}
	}
	for _, want := range []string{"spec.template.spec.containers[0].ports[0].containerPort", "spec.template.metadata.labels"} {
		found := false
		for _, f := range fields {
			found = found || f == want
		}
		if !found {
			k.t.Errorf("invalid Deployment refused for fields %v, want one of them %s", fields, want)
		}
	}
	k.t.Logf("invalid Deployment refused: %v", err)

	// A typo in a field name: only strict server-side validation catches it.
	obj, err := toUnstructured(good)
	if err != nil {
		k.t.Fatal(err)
	}
	if err := unstructured.SetNestedField(obj.Object, int64(3), "spec", "replicaz"); err != nil {
		k.t.Fatal(err)
	}
	err = k.create(ctx, obj, namespace, true, "Strict")
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.replicaz"`) {
		k.t.Errorf("dry run with unknown field spec.replicaz = %v, want strict field validation to refuse it", err)
	} else {
		k.t.Logf("unknown field refused: %v", err)
	}
}

func toUnstructured(obj any) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return u, nil
}

// checkMongoDBChart renders deploy/mongodb/cluster (helm install --dry-run against this cluster)
// and creates every object with a server-side dry run, so the PerconaServerMongoDB is validated
// by the operator's CRD schema.
func (k *kube) checkMongoDBChart(ctx context.Context, h *helmClient, chartDir string) {
	k.t.Helper()
	if _, err := os.Stat(filepath.Join(chartDir, "Chart.yaml")); err != nil {
		k.t.Logf("no MongoDB chart at %s yet; nothing to check", chartDir)
		return
	}
	valuesData, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		k.t.Fatal(err)
	}
	var v struct {
		CRVersion string `json:"crVersion"`
	}
	if err := yaml.Unmarshal(valuesData, &v); err != nil {
		k.t.Fatal(err)
	}
	if v.CRVersion != "" && "v"+v.CRVersion != perconaVersion {
		k.t.Errorf("MongoDB chart crVersion %s, but its CRDs are checked at operator %s: keep them together", v.CRVersion, perconaVersion)
	}
	k.createNamespace(ctx, "mongodb")
	rel := h.render(ctx, "orders-mongodb", "mongodb", chartDir, nil,
		[]string{"backupBucket=orderstack-e2e-backups", "backupRegion=eu-west-1"})
	objs, err := decodeObjects([]byte(rel.Manifest))
	if err != nil {
		k.t.Fatal(err)
	}
	var kinds []string
	psmdb := 0
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetKind() == "PerconaServerMongoDB" {
			psmdb++
		}
		if err := k.create(ctx, o, "mongodb", true, "Strict"); err != nil {
			k.t.Errorf("server-side dry run refused %v", err)
		}
	}
	k.t.Logf("MongoDB chart objects accepted by server-side dry run: %v", kinds)
	if psmdb == 0 {
		k.t.Logf("the MongoDB chart renders no PerconaServerMongoDB yet; only its other objects were checked")
	}
}

// helmClient drives Helm through its Go SDK against the test cluster.
type helmClient struct {
	t        *testing.T
	cfg      *action.Configuration
	ns       string
	settings *cli.EnvSettings
}

func newHelm(t *testing.T, c *Cluster, dir, ns string) *helmClient {
	t.Helper()
	kubeconfig, cacheDir := c.Kubeconfig, filepath.Join(dir, "kube-cache")
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &ns, &cacheDir
	logFile, err := os.Create(filepath.Join(dir, "logs", "helm.log"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		logFile.Close()
	})
	// Helm logs from its own goroutines (waiting), possibly after a test phase ended: to a file.
	logf := func(format string, v ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(logFile, time.Now().Format(time.TimeOnly)+" "+format+"\n", v...)
	}
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", logf); err != nil {
		t.Fatal(err)
	}
	return &helmClient{t: t, cfg: cfg, ns: ns, settings: cli.New()}
}

func (h *helmClient) values(files, sets []string) map[string]any {
	h.t.Helper()
	opts := &values.Options{ValueFiles: files, Values: sets}
	vals, err := opts.MergeValues(getter.All(h.settings))
	if err != nil {
		h.t.Fatal(err)
	}
	return vals
}

func loadChart(t *testing.T, dir string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func (h *helmClient) install(ctx context.Context, name, chartDir string, files, sets []string) *release.Release {
	h.t.Helper()
	inst := action.NewInstall(h.cfg)
	inst.ReleaseName, inst.Namespace = name, h.ns
	inst.Wait, inst.Timeout = true, 5*time.Minute
	rel, err := inst.RunWithContext(ctx, loadChart(h.t, chartDir), h.values(files, sets))
	if err != nil {
		h.t.Fatalf("helm install %s: %v", name, err)
	}
	return rel
}

// render is `helm install --dry-run=server`: templates rendered with this cluster's
// capabilities, nothing sent.
func (h *helmClient) render(ctx context.Context, name, ns, chartDir string, files, sets []string) *release.Release {
	h.t.Helper()
	inst := action.NewInstall(h.cfg)
	inst.ReleaseName, inst.Namespace = name, ns
	inst.DryRun, inst.DryRunOption = true, "server"
	rel, err := inst.RunWithContext(ctx, loadChart(h.t, chartDir), h.values(files, sets))
	if err != nil {
		h.t.Fatalf("helm install --dry-run=server %s: %v", name, err)
	}
	return rel
}

func (h *helmClient) upgrade(ctx context.Context, name, chartDir string, files, sets []string) *release.Release {
	h.t.Helper()
	up := action.NewUpgrade(h.cfg)
	up.Namespace = h.ns
	up.Wait, up.Timeout = true, 5*time.Minute
	rel, err := up.RunWithContext(ctx, name, loadChart(h.t, chartDir), h.values(files, sets))
	if err != nil {
		h.t.Fatalf("helm upgrade %s: %v", name, err)
	}
	return rel
}

func (h *helmClient) rollback(ctx context.Context, name string, revision int) {
	h.t.Helper()
	rb := action.NewRollback(h.cfg)
	rb.Version = revision
	rb.Wait, rb.Timeout = true, 5*time.Minute
	if err := rb.Run(name); err != nil {
		h.t.Fatalf("helm rollback %s %d: %v", name, revision, err)
	}
}

func (h *helmClient) checkHistory(name string, want []string) {
	h.t.Helper()
	hist, err := action.NewHistory(h.cfg).Run(name)
	if err != nil {
		h.t.Fatal(err)
	}
	got := make([]string, len(hist))
	for _, r := range hist {
		if r.Version >= 1 && r.Version <= len(got) {
			got[r.Version-1] = r.Info.Status.String()
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		h.t.Errorf("release history statuses by revision = %v, want %v", got, want)
	}
}

// checkHooksAccepted creates the release's hooks (the `helm test` Pod) with a server-side dry run.
func (h *helmClient) checkHooksAccepted(ctx context.Context, k *kube, name string) {
	h.t.Helper()
	rel, err := action.NewGet(h.cfg).Run(name)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(rel.Hooks) == 0 {
		h.t.Errorf("release %s has no hooks, want the helm test Pod", name)
	}
	for _, hook := range rel.Hooks {
		objs, err := decodeObjects([]byte(hook.Manifest))
		if err != nil {
			h.t.Fatal(err)
		}
		for _, o := range objs {
			if err := k.create(ctx, o, h.ns, true, "Strict"); err != nil {
				h.t.Errorf("hook %s (%v): %v", hook.Name, hook.Events, err)
			}
		}
	}
}
