package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

const topicARN = "arn:aws:sns:eu-west-1:111122223333:orderstack-dev-alarms"

// alerting is the addons module's var.alerting with Terraform's optional-attribute defaults.
func alerting(set map[string]cty.Value) cty.Value {
	v := map[string]cty.Value{
		"sns_topic_arn":   cty.StringVal(topicARN),
		"slack_channel":   cty.NullVal(cty.String),
		"pagerduty":       cty.False,
		"email_to":        cty.NullVal(cty.String),
		"email_from":      cty.NullVal(cty.String),
		"email_smarthost": cty.NullVal(cty.String),
		"email_username":  cty.NullVal(cty.String),
	}
	for k, x := range set {
		v[k] = x
	}
	return cty.ObjectVal(v)
}

// renderAlertmanagerConfig evaluates the configuration Terraform gives kube-prometheus-stack and
// writes it (JSON, which Alertmanager reads as YAML) to a file.
func renderAlertmanagerConfig(t *testing.T, alertingVar cty.Value) (path string, config map[string]any) {
	t.Helper()
	v, err := EvalLocal(loadInfra(t), "modules/addons", "alertmanager_config", map[string]cty.Value{
		"alerting": alertingVar,
		"region":   cty.StringVal("eu-west-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &config); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "alertmanager.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, config
}

func runAmtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("AMTOOL")
	if bin == "" {
		t.Skip("AMTOOL is not set: make test-infra builds the pinned amtool (tools/amtool) and passes it")
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// chartAlerts returns alertname -> severity of the orders chart's PrometheusRule.
func chartAlerts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(infraDir, "..", "deploy", "helm", "orders", "templates", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var last string
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:- alert: (\w+)|severity: (\w+))`).FindAllSubmatch(b, -1) {
		if len(m[1]) > 0 {
			last = string(m[1])
		} else if last != "" {
			out[last] = string(m[2])
			last = ""
		}
	}
	if len(out) < 5 {
		t.Fatalf("found %d alerts with a severity in the chart's PrometheusRule, want the five Orders* alerts: %v", len(out), out)
	}
	return out
}

// receiverIntegrations counts the notification configs of each receiver of a rendered config.
func receiverIntegrations(config map[string]any) map[string]int {
	out := map[string]int{}
	rs, _ := config["receivers"].([]any)
	for _, r := range rs {
		m, _ := r.(map[string]any)
		name, _ := m["name"].(string)
		n := 0
		for k, v := range m {
			if l, ok := v.([]any); ok && strings.HasSuffix(k, "_configs") {
				n += len(l)
			}
		}
		out[name] = n
	}
	return out
}

// TestAlertmanagerRouting: the Alertmanager configuration Terraform renders passes the real
// `amtool check-config`, and `amtool config routes test` sends every alert of the orders chart,
// typical kube-prometheus-stack alerts of each severity and an alert without severity to a
// receiver with at least one integration (the SNS topic at least); only Watchdog and
// InfoInhibitor go to the integration-less "null". With PagerDuty on, critical alerts page.
func TestAlertmanagerRouting(t *testing.T) {
	alerts := chartAlerts(t)
	for name, sev := range map[string]string{
		"KubeNodeNotReady": "warning", "KubePodCrashLooping": "warning", "TargetDown": "warning",
		"NodeFilesystemAlmostOutOfSpace": "critical", "KubeAPIErrorBudgetBurn": "critical",
		"CPUThrottlingHigh": "info", "KubeQuotaAlmostFull": "info", "AlertWithoutSeverity": "",
	} {
		alerts[name] = sev
	}

	for _, tc := range []struct {
		name        string
		alerting    cty.Value
		critical    string // receiver of severity=critical
		wantConfigs map[string]int
	}{
		{"sns only", alerting(nil), "notify", map[string]int{"null": 0, "notify": 1}},
		{"slack, email, pagerduty", alerting(map[string]cty.Value{
			"slack_channel":   cty.StringVal("#orders-alerts"),
			"pagerduty":       cty.True,
			"email_to":        cty.StringVal("oncall@example.com"),
			"email_from":      cty.StringVal("alertmanager@example.com"),
			"email_smarthost": cty.StringVal("smtp.example.com:587"),
			"email_username":  cty.StringVal("alertmanager"),
		}), "page", map[string]int{"null": 0, "notify": 3, "page": 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, config := renderAlertmanagerConfig(t, tc.alerting)
			if out, err := runAmtool(t, "check-config", path); err != nil {
				t.Fatalf("amtool check-config: %v\n%s", err, out)
			}
			if got := receiverIntegrations(config); fmt.Sprint(got) != fmt.Sprint(tc.wantConfigs) {
				t.Errorf("integrations per receiver = %v, want %v", got, tc.wantConfigs)
			}
			if !strings.Contains(fmt.Sprint(config["receivers"]), topicARN) {
				t.Errorf("no receiver publishes to %s: %v", topicARN, config["receivers"])
			}
			route := func(want string, labels ...string) {
				t.Helper()
				args := append([]string{"config", "routes", "test", "--config.file=" + path, "--verify.receivers=" + want}, labels...)
				if out, err := runAmtool(t, args...); err != nil {
					t.Errorf("%v routed to %s, want %s: %v", labels, strings.TrimSpace(out), want, err)
				}
			}
			for name, sev := range alerts {
				labels := []string{"alertname=" + name, "namespace=orders"}
				want := "notify"
				if sev != "" {
					labels = append(labels, "severity="+sev)
				}
				if sev == "critical" {
					want = tc.critical
				}
				route(want, labels...)
			}
			route("null", "alertname=Watchdog", "severity=none")
			route("null", "alertname=InfoInhibitor", "severity=none")
		})
	}
}

// TestAlertmanagerCanPublish: the pod identity that signs Alertmanager's SNS calls is bound to the
// service account the addons module gives kube-prometheus-stack's Alertmanager, in its namespace,
// with the alarm topic's policy.
func TestAlertmanagerCanPublish(t *testing.T) {
	files := loadInfra(t)
	sa, err := EvalLocal(files, "modules/addons", "alertmanager_service_account", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wiSA, wiNS string
	for _, v := range Blocks(InDir(files, "modules/workload-identities"), "variable", "") {
		switch v.Labels[0] {
		case "alertmanager_service_account":
			wiSA, _ = LiteralString(v.Body, "default")
		case "monitoring_namespace":
			wiNS, _ = LiteralString(v.Body, "default")
		}
	}
	if wiSA != sa.AsString() {
		t.Errorf("workload-identities alertmanager_service_account = %q, addons names Alertmanager's service account %q", wiSA, sa.AsString())
	}
	for _, v := range Blocks(InDir(files, "modules/addons"), "variable", "monitoring_namespace") {
		if ns, _ := LiteralString(v.Body, "default"); ns != wiNS {
			t.Errorf("workload-identities monitoring_namespace = %q, addons installs kube-prometheus-stack in %q", wiNS, ns)
		}
	}
	mods := Blocks(InDir(files, "modules/workload-identities"), "module", "alertmanager")
	if len(mods) != 1 {
		t.Fatalf("modules/workload-identities: %d module.alertmanager blocks, want 1", len(mods))
	}
	for attr, ref := range map[string]string{"namespace": "var.monitoring_namespace", "service_account": "var.alertmanager_service_account", "policy_json": "data.aws_iam_policy_document.alertmanager"} {
		a, ok := mods[0].Body.Attributes[attr]
		if !ok || !RefersTo(a.Expr, ref) {
			t.Errorf("module.alertmanager %s does not use %s", attr, ref)
		}
	}
	// What the policy allows: modules/workload-identities/tests/policies.tftest.hcl.
	// The stack wires the alarm topic into both sides.
	stack := InDir(files, "modules/stack")
	for _, m := range Blocks(stack, "module", "workload_identities") {
		if a := m.Body.Attributes["alarm_topic_arn"]; a == nil || !RefersTo(a.Expr, "module.alarms.topic_arn") {
			t.Errorf("%s: alarm_topic_arn is not module.alarms.topic_arn", m.Where())
		}
	}
	for _, m := range Blocks(stack, "module", "addons") {
		if a := m.Body.Attributes["alerting"]; a == nil || !RefersTo(a.Expr, "module.alarms.topic_arn") {
			t.Errorf("%s: alerting does not carry module.alarms.topic_arn", m.Where())
		}
	}
}
