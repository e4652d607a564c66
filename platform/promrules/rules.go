package promrules

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/helmrender"
)

// Chart is one chart whose PrometheusRule objects are checked, with the values to render it.
type Chart struct {
	Name       string // rule file name stem: <Name>.rules.yaml
	Dir        string // chart directory, relative to the repository root
	Release    string // release name and namespace as installed (scripts/deploy-app.sh, infra/modules/addons)
	Namespace  string
	ValueFiles []string // relative to the chart directory
}

// Charts are the charts of the repository that render PrometheusRule objects.
var Charts = []Chart{
	{Name: "orders", Dir: "deploy/helm/orders", Release: "orders", Namespace: "orders", ValueFiles: []string{"values-prod.yaml"}},
	{Name: "mongodb", Dir: "deploy/mongodb/cluster", Release: "orders-mongodb", Namespace: "mongodb", ValueFiles: []string{"ci/default-values.yaml"}},
}

// RuleFile is a Prometheus rule file: the spec of a PrometheusRule.
type RuleFile struct {
	Groups []Group `json:"groups"`
}

// Group is one rule group.
type Group struct {
	Name  string           `json:"name"`
	Rules []map[string]any `json:"rules"`
}

// Alerts returns the alert names of f, sorted.
func (f RuleFile) Alerts() []string {
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if a, ok := r["alert"].(string); ok {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Render renders c (from the repository at root) with the monitoring APIs present and returns
// the groups of all its PrometheusRule objects as one rule file.
func Render(root string, c Chart) (RuleFile, error) {
	rel, err := helmrender.Render(filepath.Join(root, c.Dir), helmrender.Options{
		Release:     c.Release,
		Namespace:   c.Namespace,
		ValueFiles:  c.ValueFiles,
		APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/PrometheusRule", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor"},
	})
	if err != nil {
		return RuleFile{}, fmt.Errorf("render %s: %w", c.Dir, err)
	}
	var out RuleFile
	for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
		var obj struct {
			Kind string   `json:"kind"`
			Spec RuleFile `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return RuleFile{}, fmt.Errorf("%s: %w", c.Dir, err)
		}
		if obj.Kind == "PrometheusRule" {
			out.Groups = append(out.Groups, obj.Spec.Groups...)
		}
	}
	if len(out.Groups) == 0 {
		return RuleFile{}, fmt.Errorf("%s renders no PrometheusRule", c.Dir)
	}
	return out, nil
}

// TestFile is the part of a promtool unit-test file the coverage check reads.
type TestFile struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name       string `json:"name"`
		AlertTests []struct {
			EvalTime  string           `json:"eval_time"`
			AlertName string           `json:"alertname"`
			ExpAlerts []map[string]any `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// Coverage returns, per alert of rules, what is missing from tests: an evaluation where it
// fires and one where it stays quiet.
func Coverage(rules RuleFile, tests TestFile) []string {
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, t := range tests.Tests {
		for _, a := range t.AlertTests {
			if len(a.ExpAlerts) > 0 {
				fires[a.AlertName] = true
			} else {
				quiet[a.AlertName] = true
			}
		}
	}
	var out []string
	for _, a := range rules.Alerts() {
		var missing []string
		if !fires[a] {
			missing = append(missing, "a case where it fires")
		}
		if !quiet[a] {
			missing = append(missing, "a case where it stays quiet")
		}
		if len(missing) > 0 {
			out = append(out, a+": no "+strings.Join(missing, ", no "))
		}
	}
	return out
}
