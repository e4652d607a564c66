package chart

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

const (
	releaseName = "orders"
	namespace   = "orders"
	// The prometheus-operator API that kube-prometheus-stack installs.
	monitoringAPI = "monitoring.coreos.com/v1"
)

func chartDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(repo.Root(tb), "deploy", "helm", "orders")
}

// environments are the value sets the chart ships with: defaults alone, then
// each values-<env>.yaml on top, as `helm upgrade -f` applies them.
var environments = []struct {
	name  string
	files []string
}{
	{"default", nil},
	{"dev", []string{"values-dev.yaml"}},
	{"prod", []string{"values-prod.yaml"}},
}

// renderOptions are the inputs of one `helm template`.
type renderOptions struct {
	valueFiles []string // relative to the chart directory
	set        []string // --set
	setJSON    []string // --set-json
	// apiVersions the cluster serves besides the built-in ones; nil means
	// the monitoring API is served.
	apiVersions []string
}

// object is one decoded manifest.
type object struct {
	source string // template file
	kind   string
	name   string
	obj    any // pointer to the typed API object
}

// rendered is the output of a render: the release objects, the helm test
// hooks, and NOTES.txt.
type rendered struct {
	objects  []object
	hooks    []object
	notes    string
	manifest string // the raw stream, hooks excluded
}

// render runs the Helm SDK's client-only install (what `helm template` does:
// values merged like the CLI, schema validation, templates rendered for a
// Kubernetes 1.33 cluster) and decodes every manifest strictly.
func render(tb testing.TB, opts renderOptions) (*rendered, error) {
	tb.Helper()
	apis := opts.apiVersions
	if apis == nil {
		apis = []string{monitoringAPI, monitoringAPI + "/ServiceMonitor", monitoringAPI + "/PrometheusRule"}
	}
	rel, err := helmrender.Render(chartDir(tb), helmrender.Options{
		Release: releaseName, Namespace: namespace,
		ValueFiles: opts.valueFiles, Set: opts.set, SetJSON: opts.setJSON, APIVersions: apis,
	})
	if err != nil {
		return nil, err
	}
	out := &rendered{notes: rel.Info.Notes, manifest: rel.Manifest}
	out.objects = decodeAll(tb, rel.Manifest)
	for _, h := range rel.Hooks {
		out.hooks = append(out.hooks, decodeAll(tb, h.Manifest)...)
	}
	return out, nil
}

// mustRender renders and fails the test on error.
func mustRender(tb testing.TB, opts renderOptions) *rendered {
	tb.Helper()
	r, err := render(tb, opts)
	if err != nil {
		tb.Fatalf("render %+v: %v", opts, err)
	}
	return r
}

// decodeAll splits a manifest stream and decodes each document strictly.
func decodeAll(tb testing.TB, manifest string) []object {
	tb.Helper()
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var objs []object
	for _, k := range keys {
		doc := docs[k]
		if strings.TrimSpace(doc) == "" {
			continue
		}
		o, err := decodeStrict([]byte(doc))
		if err != nil {
			tb.Fatalf("%v\n%s", err, doc)
		}
		objs = append(objs, o)
	}
	return objs
}

// newTyped returns an empty API object for a rendered apiVersion and kind; the
// chart may render nothing else.
func newTyped(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Pod":
		return &corev1.Pod{}, nil
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}, nil
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}, nil
	case "monitoring.coreos.com/v1 PrometheusRule":
		return &monitoringv1.PrometheusRule{}, nil
	}
	return nil, fmt.Errorf("the chart renders %s %s, which no test knows how to decode", apiVersion, kind)
}

// decodeStrict decodes one YAML document into its API type; unknown or
// duplicate fields are errors.
func decodeStrict(doc []byte) (object, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return object{}, fmt.Errorf("read apiVersion and kind: %w", err)
	}
	src := ""
	if line, _, ok := bytes.Cut(doc, []byte("\n")); ok && bytes.HasPrefix(line, []byte("# Source: ")) {
		src = string(bytes.TrimPrefix(line, []byte("# Source: ")))
	}
	typed, err := newTyped(head.APIVersion, head.Kind)
	if err != nil {
		return object{}, fmt.Errorf("%s: %w", src, err)
	}
	if err := yaml.UnmarshalStrict(doc, typed); err != nil {
		return object{}, fmt.Errorf("%s: strict decode of %s %s: %w", src, head.Kind, head.Metadata.Name, err)
	}
	return object{source: src, kind: head.Kind, name: head.Metadata.Name, obj: typed}, nil
}

// all returns the objects of type T.
func all[T any](objs []object) []*T {
	var out []*T
	for _, o := range objs {
		if t, ok := o.obj.(*T); ok {
			out = append(out, t)
		}
	}
	return out
}

// one returns the single object of type T, failing unless there is exactly one.
func one[T any](tb testing.TB, objs []object) *T {
	tb.Helper()
	got := all[T](objs)
	if len(got) != 1 {
		var zero T
		tb.Fatalf("rendered %d objects of type %T, want 1", len(got), zero)
	}
	return got[0]
}
