# Alerting: Alertmanager routing (amtool) and the alert rules (promtool).
# The Alertmanager configuration Terraform gives kube-prometheus-stack
# (infra/modules/addons/locals.tf), checked with the pinned amtool (tools/amtool, GOWORK=off) built
# once per version into .cache/bin/amtool-<version>-<hash>/. docs/operations.md#where-alerts-go.

AMTOOL_VERSION := $(shell awk '$$1 == "github.com/prometheus/alertmanager" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/amtool/go.mod)
# Named by version and a hash of the wrapper module, not rebuilt on a newer file time (fresh checkouts).
AMTOOL_DIR := $(ROOT)/.cache/bin/amtool-$(AMTOOL_VERSION)-$(shell cat $(ROOT)/tools/amtool/go.mod $(ROOT)/tools/amtool/go.sum | sha256sum | cut -c1-12)
AMTOOL := $(AMTOOL_DIR)/amtool

.PHONY: amtool alertmanager-check

amtool: $(AMTOOL) ## build (once per version) the pinned amtool into .cache/bin

$(AMTOOL):
	rm -rf $(AMTOOL_DIR) $(AMTOOL_DIR).tmp && mkdir -p $(AMTOOL_DIR).tmp
	cd $(ROOT)/tools/amtool && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(AMTOOL_DIR).tmp/amtool github.com/prometheus/alertmanager/cmd/amtool
	mv $(AMTOOL_DIR).tmp $(AMTOOL_DIR)

alertmanager-check: $(AMTOOL) $(TF_TOOLS) ## render the Alertmanager routing from Terraform; amtool check-config + routes test per severity
	cd $(ROOT)/platform && $(TF_ENV) AMTOOL=$(AMTOOL) go test -count=1 -run 'TestAlertmanager' ./terraform/

# Alert rules (owner: day2): promtool (pinned in tools/promtool, built with GOWORK=off into .cache/bin) checks
# every rule file the charts render and every query of their Grafana dashboards (as recording
# rules), and runs the alert unit tests (platform/promrules/testdata).

PROMTOOL_VERSION := $(shell awk '$$1 == "github.com/prometheus/prometheus" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/promtool/go.mod)
PROMTOOL_DIR := $(ROOT)/.cache/bin/promtool-$(PROMTOOL_VERSION)-$(shell cat $(ROOT)/tools/promtool/go.mod $(ROOT)/tools/promtool/go.sum | sha256sum | cut -c1-12)
PROMTOOL := $(PROMTOOL_DIR)/promtool

.PHONY: promtool promtool-check

promtool: $(PROMTOOL) ## build (once per version) the pinned promtool into .cache/bin

# Built into a temporary directory renamed only when complete, so an interrupted build is never
# mistaken for a cached one.
$(PROMTOOL):
	@echo "building promtool $(PROMTOOL_VERSION) (cold: several minutes)"
	rm -rf $(PROMTOOL_DIR) $(PROMTOOL_DIR).tmp && mkdir -p $(PROMTOOL_DIR).tmp
	cd $(ROOT)/tools/promtool && GOWORK=off CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w" \
		-o $(PROMTOOL_DIR).tmp/promtool github.com/prometheus/prometheus/cmd/promtool
	mv $(PROMTOOL_DIR).tmp $(PROMTOOL_DIR)

promtool-check: $(PROMTOOL) ## promtool check rules on every rendered PrometheusRule and every Grafana dashboard query + promtool test rules on the MongoDB alerts
	cd $(ROOT)/platform && PROMTOOL=$(PROMTOOL) go test -count=1 ./promrules/...
