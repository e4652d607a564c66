# Alerting: Alertmanager routing (amtool) and the alert rules (promtool).
# The Alertmanager configuration Terraform gives kube-prometheus-stack
# (infra/modules/addons/locals.tf), checked with the pinned amtool (tools/amtool, GOWORK=off) built
# once per version into the tool cache (TOOL_CACHE, Makefile). docs/operations.md#where-alerts-go.

AMTOOL_DIR := $(call tool_dir,amtool,amtool,github.com/prometheus/alertmanager)
AMTOOL := $(AMTOOL_DIR)/amtool

.PHONY: amtool alertmanager-check

amtool: $(AMTOOL) ## build (once per version) the pinned amtool into the tool cache

$(AMTOOL):
	$(call go_install,$(AMTOOL_DIR),amtool,github.com/prometheus/alertmanager/cmd/amtool)

alertmanager-check: $(AMTOOL) $(TF_TOOLS) ## render the Alertmanager routing from Terraform; amtool check-config + routes test per severity
	cd $(ROOT)/platform && $(TF_ENV) AMTOOL=$(AMTOOL) go test -count=1 -run 'TestAlertmanager' ./terraform/

# Alert rules (owner: day2): promtool (pinned in tools/promtool, built with GOWORK=off into the tool cache) checks
# every rule file the charts render and every query of their Grafana dashboards (as recording
# rules), and runs the alert unit tests (platform/promrules/testdata).

PROMTOOL_VERSION := $(call mod_version,promtool,github.com/prometheus/prometheus)
PROMTOOL_DIR := $(call tool_dir,promtool,promtool,github.com/prometheus/prometheus)
PROMTOOL := $(PROMTOOL_DIR)/promtool

.PHONY: promtool promtool-check

promtool: $(PROMTOOL) ## build (once per version) the pinned promtool into the tool cache

$(PROMTOOL):
	@echo "building promtool $(PROMTOOL_VERSION) (cold: several minutes)"
	$(call go_install,$(PROMTOOL_DIR),promtool,github.com/prometheus/prometheus/cmd/promtool,,nice)

promtool-check: $(PROMTOOL) ## promtool check rules on every rendered PrometheusRule and every Grafana dashboard query + promtool test rules on the MongoDB alerts
	cd $(ROOT)/platform && PROMTOOL=$(PROMTOOL) go test -count=1 ./promrules/...
