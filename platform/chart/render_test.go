package chart

import (
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

const monitoringAPI = "monitoring.coreos.com/v1"

func chartDir(tb testing.TB) string {
	return filepath.Join(repo.Root(tb), "deploy", "helm", "orders")
}

// environments are the value sets the chart ships with, as `helm upgrade -f` applies them.
var environments = map[string][]string{"default": nil, "dev": {"values-dev.yaml"}, "prod": {"values-prod.yaml"}}

// rendered is one `helm template`: the release objects and the helm test hooks, decoded.
type rendered struct{ objects, hooks []any }

// render runs the Helm SDK's client-only install (values merged like the CLI, the schema
// enforced) for a cluster serving the monitoring API unless apis says otherwise, and decodes
// every manifest strictly.
func render(tb testing.TB, files, set []string, apis ...string) *rendered {
	tb.Helper()
	if apis == nil {
		apis = []string{monitoringAPI, monitoringAPI + "/ServiceMonitor", monitoringAPI + "/PrometheusRule"}
	}
	rel, err := helmrender.Render(chartDir(tb), helmrender.Options{Release: "orders", Namespace: "orders", ValueFiles: files, Set: set, APIVersions: apis})
	if err != nil {
		tb.Fatalf("render %v %v: %v", files, set, err)
	}
	r := &rendered{objects: decodeAll(tb, rel.Manifest)}
	for _, h := range rel.Hooks {
		r.hooks = append(r.hooks, decodeAll(tb, h.Manifest)...)
	}
	return r
}

// decodeAll decodes each document of a manifest stream into its API type; unknown or duplicate
// fields, and kinds no API type is listed for, are errors.
func decodeAll(tb testing.TB, manifest string) []any {
	tb.Helper()
	docs := releaseutil.SplitManifests(manifest)
	keys := slices.Collect(maps.Keys(docs))
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var objs []any
	for _, k := range keys {
		if strings.TrimSpace(docs[k]) == "" {
			continue
		}
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(docs[k]), &head); err != nil {
			tb.Fatal(err)
		}
		newObj, ok := types[head.APIVersion+" "+head.Kind]
		if !ok {
			tb.Fatalf("the chart renders %s %s, which no test knows how to decode", head.APIVersion, head.Kind)
		}
		obj := newObj()
		if err := yaml.UnmarshalStrict([]byte(docs[k]), obj); err != nil {
			tb.Fatalf("%v\n%s", err, docs[k])
		}
		objs = append(objs, obj)
	}
	return objs
}

// types are the API types of everything the chart may render.
var types = map[string]func() any{
	"apps/v1 Deployment":                     func() any { return &appsv1.Deployment{} },
	"v1 Service":                             func() any { return &corev1.Service{} },
	"v1 ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"v1 ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1 Pod":                                 func() any { return &corev1.Pod{} },
	"networking.k8s.io/v1 Ingress":           func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1 NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	"autoscaling/v2 HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1 PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	monitoringAPI + " ServiceMonitor":        func() any { return &monitoringv1.ServiceMonitor{} },
	monitoringAPI + " PrometheusRule":        func() any { return &monitoringv1.PrometheusRule{} },
}

// one returns the single object of type T, failing unless there is exactly one.
func one[T any](tb testing.TB, objs []any) *T {
	tb.Helper()
	var got []*T
	for _, o := range objs {
		if t, ok := o.(*T); ok {
			got = append(got, t)
		}
	}
	if len(got) != 1 {
		tb.Fatalf("rendered %d objects of type %T, want 1", len(got), got)
	}
	return got[0]
}

// TestRendersStrictly renders every environment, and the defaults with each switch the values
// offer, and decodes every object strictly (render fails the test otherwise); with the
// environments' values, helm lint allows no warning either.
func TestRendersStrictly(t *testing.T) {
	for env, files := range environments {
		t.Run(env, func(t *testing.T) {
			r := render(t, files, nil)
			if len(r.objects) < 9 || len(r.hooks) != 1 {
				t.Errorf("%s rendered %d objects and %d hooks, want the whole chart", env, len(r.objects), len(r.hooks))
			}
			msgs, err := helmrender.Lint(chartDir(t), helmrender.Options{Namespace: "orders", ValueFiles: files})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				t.Errorf("lint: %v", m)
			}
		})
	}
	for _, set := range [][]string{
		{"ingress.certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "ingress.host=orders.example.com", "ingress.accessLogsBucket=orderstack-alb-logs", "ingress.deletionProtection=true"},
		{"ingress.enabled=false", "autoscaling.enabled=false", "podDisruptionBudget.maxUnavailable=50%", "mongodb.caSecretKey=", "testEnabled=false"},
		{"serviceAccount.roleArn=arn:aws:iam::123456789012:role/orders", "extraEnv.FEATURE_X=on", "podAnnotations.a=b", "podLabels.c=d"},
		{"monitoring.dashboardNamespace=monitoring", "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	} {
		render(t, nil, set)
	}
	render(t, nil, nil, []string{}...) // no monitoring API
}
