package promrules

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
	"github.com/orderstack/orderstack/platform/internal/repo"
)

type group struct {
	Name  string           `json:"name"`
	Rules []map[string]any `json:"rules"`
}

// ruleFile renders a chart as installed (release and namespace as scripts/deploy-app.sh and
// infra/modules/addons install it) with the monitoring APIs present, and returns the groups of
// its PrometheusRule objects.
func ruleFile(t *testing.T, dir, release, namespace, values string) []group {
	rel, err := helmrender.Render(filepath.Join(repo.Root(t), dir), helmrender.Options{Release: release, Namespace: namespace,
		ValueFiles: []string{values}, APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/PrometheusRule"}})
	if err != nil {
		t.Fatal(err)
	}
	var groups []group
	for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
		var obj struct {
			Kind string
			Spec struct{ Groups []group }
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind == "PrometheusRule" {
			groups = append(groups, obj.Spec.Groups...)
		}
	}
	if len(groups) == 0 {
		t.Fatalf("%s renders no PrometheusRule", dir)
	}
	return groups
}

// grafanaVar is a dashboard variable in a query: $name or ${name}.
var grafanaVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// TestPromtool: every rendered rule file, and every dashboard query as a recording rule (with
// Grafana's variables replaced as Grafana would), passes `promtool check rules`; the alert unit
// tests in testdata/ pass `promtool test rules` against the rendered rules; and every MongoDB
// alert has a case there where it fires and one where it stays quiet.
func TestPromtool(t *testing.T) {
	promtool := os.Getenv("PROMTOOL") // built pinned by the Makefile, never looked up on PATH
	if promtool == "" {
		t.Skip("PROMTOOL is not set: run `make promtool-check` (builds the pinned promtool)")
	}
	mongodb := ruleFile(t, "deploy/mongodb/cluster", "orders-mongodb", "mongodb", "ci/default-values.yaml")
	queries := group{Name: "dashboard-queries"}
	dashboards, _ := filepath.Glob(filepath.Join(repo.Root(t), "deploy", "helm", "*", "dashboards", "*.json"))
	for _, p := range dashboards {
		var dash struct {
			Panels []struct{ Targets []struct{ Expr string } }
		}
		if err := json.Unmarshal([]byte(repo.Read(t, p)), &dash); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, panel := range dash.Panels {
			for _, tg := range panel.Targets {
				expr := grafanaVar.ReplaceAllStringFunc(tg.Expr, func(v string) string {
					return map[bool]string{true: "5m", false: "orders"}[strings.Contains(v, "__")] // $__rate_interval
				})
				queries.Rules = append(queries.Rules, map[string]any{"record": fmt.Sprintf("dashboard:query_%d", len(queries.Rules)), "expr": expr})
			}
		}
	}
	if len(queries.Rules) == 0 {
		t.Fatal("no dashboard queries under deploy/helm/*/dashboards")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	check := []string{"check", "rules"}
	for name, groups := range map[string][]group{"mongodb.rules.yaml": mongodb, "dashboards.rules.yaml": {queries},
		"orders.rules.yaml": ruleFile(t, "deploy/helm/orders", "orders", "orders", "values-prod.yaml")} {
		data, _ := yaml.Marshal(map[string]any{"groups": groups}) // maps and strings: cannot fail
		repo.Write(t, dir, name, string(data))
		check = append(check, name)
	}
	tests, _ := fs.Glob(os.DirFS(dir), "*.test.yaml")
	for _, args := range [][]string{check, append([]string{"test", "rules"}, tests...)} {
		cmd := exec.CommandContext(t.Context(), promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	var unit struct {
		Tests []struct {
			AlertRuleTest []struct {
				AlertName string           `json:"alertname"`
				ExpAlerts []map[string]any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal([]byte(repo.Read(t, filepath.Join("testdata", "mongodb.test.yaml"))), &unit); err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{} // "<alert> fires", "<alert> stays quiet"
	for _, tc := range unit.Tests {
		for _, a := range tc.AlertRuleTest {
			cases[a.AlertName+map[bool]string{true: " fires", false: " stays quiet"}[len(a.ExpAlerts) > 0]] = true
		}
	}
	alerts := 0
	for _, g := range mongodb {
		for _, r := range g.Rules {
			if a, ok := r["alert"].(string); ok {
				alerts++
				for _, c := range []string{" fires", " stays quiet"} {
					if !cases[a+c] {
						t.Errorf("%s: no case in testdata/mongodb.test.yaml where it%s", a, c)
					}
				}
			}
		}
	}
	if alerts < 9 {
		t.Errorf("the MongoDB chart renders %d alerts, want the nine of docs/operations.md", alerts)
	}
}
