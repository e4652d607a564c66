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
)

const topicARN = "arn:aws:sns:eu-west-1:111122223333:orderstack-dev-alarms"

// addonsVars are the addons module's required variables, and alerting as given (HCL).
func addonsVars(alerting string) string {
	return `cluster_name = "orderstack-dev"
region = "eu-west-1"
vpc_id = "vpc-1"
deployer_group = "deployers"
developer_group = "developers"
chart_versions = {}
cluster_autoscaler_image_tag = "v1.33.0"
mongodb_chart_path = "chart"
kube_state_metrics_values_path = "ksm.yaml"
mongodb_operator_values_path = "operator.yaml"
mongodb_backup_bucket = "backups"
alerting = { sns_topic_arn = "` + topicARN + `"` + alerting + ` }
`
}

// renderAlertmanagerConfig has the real terraform evaluate the configuration the addons module
// gives kube-prometheus-stack and writes it (JSON, which Alertmanager reads as YAML) to a file.
func renderAlertmanagerConfig(t *testing.T, alerting string) (path string, config map[string]any) {
	t.Helper()
	var text string
	if err := json.Unmarshal(tfConsole(t, "modules/addons", addonsVars(alerting), "jsonencode(local.alertmanager_config)"), &text); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(text), &config); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "alertmanager.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
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
		alerting    string // attributes of var.alerting besides sns_topic_arn
		critical    string // receiver of severity=critical
		wantConfigs map[string]int
	}{
		{"sns only", "", "notify", map[string]int{"null": 0, "notify": 1}},
		{"slack, email, pagerduty", `, slack_channel = "#orders-alerts", pagerduty = true, email_to = "oncall@example.com",
  email_from = "alertmanager@example.com", email_smarthost = "smtp.example.com:587", email_username = "alertmanager"`,
			"page", map[string]int{"null": 0, "notify": 3, "page": 4}},
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
	var sa string
	if err := json.Unmarshal(tfConsole(t, "modules/addons", addonsVars(""), "local.alertmanager_service_account"), &sa); err != nil {
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
	if wiSA != sa {
		t.Errorf("workload-identities alertmanager_service_account = %q, addons names Alertmanager's service account %q", wiSA, sa)
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
	// What the policy allows: modules/workload-identities/tests/identities.tftest.hcl.
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
