package promrules

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/orderstack/orderstack/platform/internal/repo"
)

// promtool returns the pinned promtool `make promtool-check` passes in, or skips: the binary is
// built by the Makefile (tools/promtool), never looked up on PATH.
func promtool(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("PROMTOOL")
	if p == "" {
		tb.Skip("PROMTOOL is not set: run `make promtool-check` (builds the pinned promtool)")
	}
	return p
}

// writeRules renders every chart's rules into dir as <name>.rules.yaml.
func writeRules(tb testing.TB, dir string) map[string]RuleFile {
	tb.Helper()
	root := repo.Root(tb)
	out := map[string]RuleFile{}
	for _, c := range Charts {
		rf, err := Render(root, c)
		if err != nil {
			tb.Fatal(err)
		}
		data, err := yaml.Marshal(rf)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name+".rules.yaml"), data, 0o600); err != nil {
			tb.Fatal(err)
		}
		out[c.Name] = rf
	}
	if d := os.Getenv("PROMRULES_DUMP"); d != "" {
		for name := range out {
			b, _ := os.ReadFile(filepath.Join(dir, name+".rules.yaml"))
			_ = os.WriteFile(filepath.Join(d, name+".rules.yaml"), b, 0o600)
		}
	}
	return out
}

func run(tb testing.TB, dir string, args ...string) (string, error) {
	tb.Helper()
	cmd := exec.CommandContext(tb.Context(), promtool(tb), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Every rendered rule file passes `promtool check rules` (PromQL parses, templates expand,
// labels and annotations are valid).
func TestRuleFilesPassPromtoolCheck(t *testing.T) {
	p := promtool(t)
	_ = p
	dir := t.TempDir()
	rules := writeRules(t, dir)
	for name := range rules {
		out, err := run(t, dir, "check", "rules", name+".rules.yaml")
		if err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", name, err, out)
		}
	}
}

// The unit tests in testdata/ pass against the rendered rules.
func TestAlertUnitTests(t *testing.T) {
	promtool(t)
	dir := t.TempDir()
	writeRules(t, dir)
	tests, err := filepath.Glob(filepath.Join("testdata", "*.test.yaml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no testdata/*.test.yaml (%v)", err)
	}
	for _, f := range tests {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, dir, "test", "rules", filepath.Base(f))
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s", f, err, out)
		} else if !strings.Contains(out, "SUCCESS") {
			t.Errorf("promtool test rules %s: no SUCCESS in\n%s", f, out)
		}
	}
}

// Every MongoDB alert has a promtool case where it fires and one where it stays quiet.
func TestMongoDBAlertsCovered(t *testing.T) {
	root := repo.Root(t)
	var mongodb Chart
	for _, c := range Charts {
		if c.Name == "mongodb" {
			mongodb = c
		}
	}
	rules, err := Render(root, mongodb)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "mongodb.test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tf TestFile
	if err := yaml.Unmarshal(data, &tf); err != nil {
		t.Fatal(err)
	}
	if len(rules.Alerts()) < 9 {
		t.Errorf("mongodb rules have %d alerts %v, want the nine of docs/operations.md", len(rules.Alerts()), rules.Alerts())
	}
	for _, m := range Coverage(rules, tf) {
		t.Error(m)
	}
}

// Coverage finds an alert without a firing case and one without a quiet case.
func TestCoverageReportsUntestedAlerts(t *testing.T) {
	rules := RuleFile{Groups: []Group{{Name: "g", Rules: []map[string]any{{"alert": "A"}, {"alert": "B"}, {"alert": "C"}, {"record": "r"}}}}}
	var tf TestFile
	if err := yaml.Unmarshal([]byte(`
tests:
  - alert_rule_test:
      - {eval_time: 1m, alertname: A, exp_alerts: [{exp_labels: {severity: x}}]}
      - {eval_time: 0m, alertname: A}
      - {eval_time: 1m, alertname: B, exp_alerts: [{exp_labels: {severity: x}}]}
      - {eval_time: 0m, alertname: C, exp_alerts: []}
`), &tf); err != nil {
		t.Fatal(err)
	}
	got := Coverage(rules, tf)
	want := []string{"B: no a case where it stays quiet", "C: no a case where it fires"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Coverage = %q, want %q", got, want)
	}
}

// grafanaVar is a dashboard variable in a query: $name or ${name}.
var grafanaVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// dashboardRules turns every query of the charts' Grafana dashboards into a recording rule,
// with Grafana's variables replaced as Grafana would ($__rate_interval by a duration, the
// others by a label value), so that promtool parses them as PromQL.
func dashboardRules(tb testing.TB, extra ...string) RuleFile {
	tb.Helper()
	paths, _ := filepath.Glob(filepath.Join(repo.Root(tb), "deploy", "helm", "*", "dashboards", "*.json"))
	if len(paths) == 0 {
		tb.Fatal("no dashboards under deploy/helm/*/dashboards")
	}
	exprs := extra
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		var dash struct {
			Panels []struct {
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(b, &dash); err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		for _, panel := range dash.Panels {
			for _, tg := range panel.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
	}
	g := Group{Name: "dashboard-queries"}
	for i, e := range exprs {
		e = grafanaVar.ReplaceAllStringFunc(e, func(v string) string {
			if strings.Contains(v, "__") {
				return "5m"
			}
			return "orders"
		})
		g.Rules = append(g.Rules, map[string]any{"record": fmt.Sprintf("dashboard:query_%d", i), "expr": e})
	}
	return RuleFile{Groups: []Group{g}}
}

// Every dashboard query is PromQL that promtool parses; a broken one is refused.
func TestDashboardQueriesParse(t *testing.T) {
	promtool(t)
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		extra []string
		ok    bool
	}{"dashboards": {nil, true}, "with a broken query": {[]string{`sum(rate(orders_http_requests_total[$__rate_interval])`}, false}} {
		data, err := yaml.Marshal(dashboardRules(t, tc.extra...))
		if err != nil {
			t.Fatal(err)
		}
		file := strings.ReplaceAll(name, " ", "-") + ".rules.yaml"
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := run(t, dir, "check", "rules", file); (err == nil) != tc.ok {
			t.Errorf("%s: promtool check rules: %v, want ok=%v\n%s", name, err, tc.ok, out)
		}
	}
}
