package terraform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderstack/orderstack/platform/internal/repo"
	"github.com/orderstack/orderstack/platform/internal/tfrun"
)

const topicARN = "arn:aws:sns:eu-west-1:111122223333:orderstack-dev-alarms"

// renderAlertmanagerConfig has the real terraform (`terraform console` on modules/addons, with
// its required variables and var.alerting's attributes besides the topic) evaluate the
// configuration the module gives kube-prometheus-stack, and writes it (JSON, which Alertmanager
// reads as YAML) to a file.
func renderAlertmanagerConfig(t *testing.T, alerting string) (path string, config map[string]any) {
	t.Helper()
	vars := repo.Read(t, "testdata/addons.tfvars") + `alerting = { sns_topic_arn = "` + topicARN + `"` + alerting + " }\n"
	out, err := tfrun.Console(filepath.Join(infraDir, "modules", "addons"), vars, "jsonencode(local.alertmanager_config)")
	if errors.Is(err, tfrun.ErrNoTerraform) {
		t.Skip("TERRAFORM and TFSCHEMA are not set: run make test-infra, which builds both")
	}
	var text string
	if err == nil {
		err = json.Unmarshal(out, &text)
	}
	path = filepath.Join(t.TempDir(), "alertmanager.yaml")
	if err == nil {
		err = errors.Join(json.Unmarshal([]byte(text), &config), os.WriteFile(path, []byte(text), 0o600))
	}
	if err != nil {
		t.Fatal(err)
	}
	return path, config
}

func amtool(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("AMTOOL")
	if bin == "" {
		t.Skip("AMTOOL is not set: make test-infra builds the pinned amtool (tools/amtool) and passes it")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// TestAlertmanagerRouting: the Alertmanager configuration Terraform renders passes the real
// `amtool check-config`, and `amtool config routes test` sends every alert of the orders chart,
// typical kube-prometheus-stack alerts of each severity and an alert without severity to a
// receiver with at least one integration (the SNS topic at least); only Watchdog and
// InfoInhibitor go to the integration-less "null". With PagerDuty on, critical alerts page.
func TestAlertmanagerRouting(t *testing.T) {
	alerts := map[string]string{
		"KubeNodeNotReady": "warning", "KubePodCrashLooping": "warning", "TargetDown": "warning",
		"NodeFilesystemAlmostOutOfSpace": "critical", "KubeAPIErrorBudgetBurn": "critical",
		"CPUThrottlingHigh": "info", "KubeQuotaAlmostFull": "info", "AlertWithoutSeverity": "",
	}
	// The orders chart's alerts with their severities, from its PrometheusRule template.
	rules := repo.Read(t, filepath.Join(infraDir, "..", "deploy", "helm", "orders", "templates", "prometheusrule.yaml"))
	for _, m := range regexp.MustCompile(`(?s)- alert: (\w+).*?severity: (\w+)`).FindAllStringSubmatch(rules, -1) {
		alerts[m[1]] = m[2]
	}
	if len(alerts) < 13 {
		t.Fatalf("found %d alerts, want the five Orders* alerts of the chart besides the eight typical ones: %v", len(alerts), alerts)
	}
	for _, tc := range []struct {
		name        string
		alerting    string // attributes of var.alerting besides sns_topic_arn
		critical    string // receiver of severity=critical
		wantConfigs string // notification configs per receiver
	}{
		{"sns only", "", "notify", "map[notify:1 null:0]"},
		{"slack, email, pagerduty", `, slack_channel = "#orders-alerts", pagerduty = true, email_to = "oncall@example.com",
  email_from = "alertmanager@example.com", email_smarthost = "smtp.example.com:587", email_username = "alertmanager"`,
			"page", "map[notify:3 null:0 page:4]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, config := renderAlertmanagerConfig(t, tc.alerting)
			if out, err := amtool(t, "check-config", path); err != nil {
				t.Fatalf("amtool check-config: %v\n%s", err, out)
			}
			configs := map[string]int{}
			for _, r := range config["receivers"].([]any) {
				r := r.(map[string]any)
				configs[r["name"].(string)] += 0
				for k, v := range r {
					if l, ok := v.([]any); ok && strings.HasSuffix(k, "_configs") {
						configs[r["name"].(string)] += len(l)
					}
				}
			}
			if got := fmt.Sprint(configs); got != tc.wantConfigs {
				t.Errorf("integrations per receiver = %v, want %v", got, tc.wantConfigs)
			}
			if !strings.Contains(fmt.Sprint(config["receivers"]), topicARN) {
				t.Errorf("no receiver publishes to %s: %v", topicARN, config["receivers"])
			}
			route := func(want string, labels ...string) {
				args := append([]string{"config", "routes", "test", "--config.file=" + path, "--verify.receivers=" + want}, labels...)
				if out, err := amtool(t, args...); err != nil {
					t.Errorf("%v routed to %s, want %s: %v", labels, strings.TrimSpace(out), want, err)
				}
			}
			for name, sev := range alerts {
				want, labels := map[bool]string{true: tc.critical, false: "notify"}[sev == "critical"], []string{"alertname=" + name, "namespace=orders"}
				if sev != "" {
					labels = append(labels, "severity="+sev)
				}
				route(want, labels...)
			}
			route("null", "alertname=Watchdog", "severity=none")
			route("null", "alertname=InfoInhibitor", "severity=none")
		})
	}
}
