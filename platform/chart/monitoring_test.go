package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// alertMetrics names, per alert of docs/development.md, the series its
// expression must be built on.
var alertMetrics = map[string][]string{
	"OrdersHighErrorRate":  {"orders_http_requests_total"},
	"OrdersHighLatencyP99": {"orders_http_request_duration_seconds_bucket"},
	"OrdersNoReadyPods":    {"kube_deployment_status_replicas_ready"},
	"OrdersHPAAtMax":       {"kube_horizontalpodautoscaler_status_current_replicas", "kube_horizontalpodautoscaler_spec_max_replicas"},
	"OrdersCrashLooping":   {"kube_pod_container_status_restarts_total"},
}

func TestServiceMonitor(t *testing.T) {
	r := mustRender(t, renderOptions{})
	sm := one[monitoringv1.ServiceMonitor](t, r.objects)
	svc := one[corev1.Service](t, r.objects)

	sel := labels.SelectorFromSet(sm.Spec.Selector.MatchLabels)
	if sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor selector %v does not select the Service labels %v", sel, svc.Labels)
	}
	if diff := cmp.Diff([]string{namespace}, sm.Spec.NamespaceSelector.MatchNames); diff != "" {
		t.Errorf("namespaceSelector (-want +got):\n%s", diff)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Fatalf("endpoints = %+v, want one on port metrics, path /metrics", sm.Spec.Endpoints)
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || (p.Name == "metrics" && p.Port == metricsPort)
	}
	if !found {
		t.Errorf("the Service has no port metrics=%d for the ServiceMonitor", metricsPort)
	}
	// kube-prometheus-stack's Prometheus selects by its release label.
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor label release = %q, want kube-prometheus-stack", sm.Labels["release"])
	}
}

func TestPrometheusRule(t *testing.T) {
	const base = "https://github.com/orderstack/orderstack/blob/main"

	for _, env := range environments {
		t.Run(env.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{valueFiles: env.files})
			pr := one[monitoringv1.PrometheusRule](t, r.objects)
			if pr.Labels["release"] != "kube-prometheus-stack" {
				t.Errorf("PrometheusRule label release = %q, want kube-prometheus-stack", pr.Labels["release"])
			}
			var names []string
			for _, g := range pr.Spec.Groups {
				for _, rule := range g.Rules {
					if rule.Alert == "" {
						continue
					}
					names = append(names, rule.Alert)
					t.Run(rule.Alert, func(t *testing.T) { checkAlert(t, rule, base) })
				}
			}
			sort.Strings(names)
			var want []string
			for name := range alertMetrics {
				want = append(want, name)
			}
			sort.Strings(want)
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("thresholds and runbook base from values", func(t *testing.T) {
		// --set reads 0.02 as a string; numbers go through --set-json (or a values file).
		r := mustRender(t, renderOptions{
			set:     []string{"monitoring.runbookBaseUrl=https://git.example.com/orderstack/blob/v1"},
			setJSON: []string{"monitoring.errorRatioThreshold=0.02", "monitoring.latencyP99ThresholdSeconds=0.25"},
		})
		pr := one[monitoringv1.PrometheusRule](t, r.objects)
		for _, rule := range pr.Spec.Groups[0].Rules {
			expr := rule.Expr.String()
			switch rule.Alert {
			case "OrdersHighErrorRate":
				if !strings.Contains(expr, "> 0.02") {
					t.Errorf("%s expr does not use the 0.02 threshold:\n%s", rule.Alert, expr)
				}
			case "OrdersHighLatencyP99":
				if !strings.Contains(expr, "> 0.25") {
					t.Errorf("%s expr does not use the 0.25 threshold:\n%s", rule.Alert, expr)
				}
			}
			if !strings.HasPrefix(rule.Annotations["runbook_url"], "https://git.example.com/orderstack/blob/v1/docs/operations.md#") {
				t.Errorf("%s runbook_url = %q, want it under the configured base", rule.Alert, rule.Annotations["runbook_url"])
			}
		}
	})

	t.Run("no HPA, no HPA alert", func(t *testing.T) {
		r := mustRender(t, renderOptions{set: []string{"autoscaling.enabled=false"}})
		for _, rule := range one[monitoringv1.PrometheusRule](t, r.objects).Spec.Groups[0].Rules {
			if rule.Alert == "OrdersHPAAtMax" {
				t.Error("OrdersHPAAtMax rendered without an HPA")
			}
		}
	})
}

// checkAlert asserts one alerting rule: severity, summary, runbook_url whose
// anchor is the alert's name (platform/docs TestRepoRunbookURLs checks that
// docs/operations.md has that heading), and an expression on the right series
// scoped to this release.
func checkAlert(t *testing.T, rule monitoringv1.Rule, base string) {
	t.Helper()
	if sev := rule.Labels["severity"]; sev != "critical" && sev != "warning" {
		t.Errorf("severity = %q, want critical or warning", sev)
	}
	if strings.TrimSpace(rule.Annotations["summary"]) == "" {
		t.Error("no summary annotation")
	}
	if rule.For == nil || *rule.For == "" {
		t.Error("no for: a single bad scrape would page")
	}
	url := rule.Annotations["runbook_url"]
	prefix := base + "/docs/operations.md#"
	anchor, ok := strings.CutPrefix(url, prefix)
	if !ok {
		t.Errorf("runbook_url = %q, want %s<anchor>", url, prefix)
	} else if anchor != strings.ToLower(rule.Alert) {
		t.Errorf("runbook anchor = %q, want %q (the slug of ### %s)", anchor, strings.ToLower(rule.Alert), rule.Alert)
	}

	expr := rule.Expr.String()
	for _, m := range alertMetrics[rule.Alert] {
		if !strings.Contains(expr, m+"{") {
			t.Errorf("expr does not select %s:\n%s", m, expr)
		}
	}
	if !strings.Contains(expr, `namespace="`+namespace+`"`) {
		t.Errorf("expr is not scoped to namespace %s:\n%s", namespace, expr)
	}
}

// contractMetrics reads the orders_* metric names from docs/development.md.
func contractMetrics(tb testing.TB) map[string]bool {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repo.Root(tb), "docs", "development.md"))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(orders_[a-z_]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	if len(out) < 5 {
		tb.Fatalf("found only %d metrics in the docs/development.md table", len(out))
	}
	return out
}

func TestDashboard(t *testing.T) {
	r := mustRender(t, renderOptions{})
	var cm *corev1.ConfigMap
	for _, c := range all[corev1.ConfigMap](r.objects) {
		if c.Labels["grafana_dashboard"] == "1" {
			cm = c
		}
	}
	if cm == nil {
		t.Fatal("no ConfigMap labelled grafana_dashboard=1")
	}
	if len(cm.Data) != 1 {
		t.Fatalf("dashboard ConfigMap has %d keys, want 1", len(cm.Data))
	}
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	for key, body := range cm.Data {
		if !strings.HasSuffix(key, ".json") {
			t.Errorf("dashboard key %q, want *.json", key)
		}
		if err := json.Unmarshal([]byte(body), &dash); err != nil {
			t.Fatalf("dashboard is not JSON: %v", err)
		}
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard uid %q title %q with %d panels", dash.UID, dash.Title, len(dash.Panels))
	}

	// Every orders_* series a panel queries is one the service exports.
	contract := contractMetrics(t)
	used := map[string]bool{}
	series := regexp.MustCompile(`\b(orders_[a-z_]+?)(_bucket|_sum|_count)?\{`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range series.FindAllStringSubmatch(tg.Expr, -1) {
				used[m[1]] = true
				if !contract[m[1]] {
					t.Errorf("panel %q queries %s, which docs/development.md does not list", p.Title, m[1])
				}
			}
		}
	}
	for _, m := range []string{"orders_http_requests_total", "orders_http_request_duration_seconds", "orders_mongodb_command_duration_seconds"} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

func TestMonitoringSwitches(t *testing.T) {
	count := func(r *rendered) (sm, pr, dash int) {
		sm = len(all[monitoringv1.ServiceMonitor](r.objects))
		pr = len(all[monitoringv1.PrometheusRule](r.objects))
		for _, c := range all[corev1.ConfigMap](r.objects) {
			if c.Labels["grafana_dashboard"] == "1" {
				dash++
			}
		}
		return sm, pr, dash
	}
	tests := []struct {
		name        string
		set         []string
		apis        []string
		sm, pr, dsh int
		warn        bool
	}{
		{"all on", nil, nil, 1, 1, 1, false},
		{"no ServiceMonitor", []string{"monitoring.serviceMonitorEnabled=false"}, nil, 0, 1, 1, false},
		{"no PrometheusRule", []string{"monitoring.prometheusRuleEnabled=false"}, nil, 1, 0, 1, false},
		{"no dashboard", []string{"monitoring.dashboardEnabled=false"}, nil, 1, 1, 0, false},
		{"cluster without the monitoring API", nil, []string{}, 0, 0, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, renderOptions{set: tt.set, apiVersions: tt.apis})
			sm, pr, dash := count(r)
			if sm != tt.sm || pr != tt.pr || dash != tt.dsh {
				t.Errorf("ServiceMonitor %d, PrometheusRule %d, dashboard %d; want %d, %d, %d", sm, pr, dash, tt.sm, tt.pr, tt.dsh)
			}
			if got := strings.Contains(r.notes, "WARNING"); got != tt.warn {
				t.Errorf("NOTES warning present = %v, want %v:\n%s", got, tt.warn, r.notes)
			}
		})
	}

	t.Run("dashboard in the monitoring namespace", func(t *testing.T) {
		r := mustRender(t, renderOptions{set: []string{"monitoring.dashboardNamespace=monitoring"}})
		for _, c := range all[corev1.ConfigMap](r.objects) {
			if c.Labels["grafana_dashboard"] == "1" && c.Namespace != "monitoring" {
				t.Errorf("dashboard namespace = %q, want monitoring", c.Namespace)
			}
		}
	})
}
