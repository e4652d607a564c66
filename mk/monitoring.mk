# Alerting (owner: deploy): the Alertmanager configuration Terraform gives kube-prometheus-stack
# (infra/modules/addons/locals.tf), checked with the pinned amtool (tools/amtool, GOWORK=off) built
# once per version into .cache/bin/amtool-<version>/. docs/operations.md#where-alerts-go.

AMTOOL_VERSION := $(shell awk '$$1 == "github.com/prometheus/alertmanager" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/amtool/go.mod)
AMTOOL_DIR := $(ROOT)/.cache/bin/amtool-$(AMTOOL_VERSION)
AMTOOL := $(AMTOOL_DIR)/amtool

.PHONY: amtool test-alerts

amtool: $(AMTOOL) ## build (once per version) the pinned amtool into .cache/bin

$(AMTOOL): $(ROOT)/tools/amtool/go.mod $(ROOT)/tools/amtool/go.sum
	rm -rf $(AMTOOL_DIR) $(AMTOOL_DIR).tmp && mkdir -p $(AMTOOL_DIR).tmp
	cd $(ROOT)/tools/amtool && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(AMTOOL_DIR).tmp/amtool github.com/prometheus/alertmanager/cmd/amtool
	mv $(AMTOOL_DIR).tmp $(AMTOOL_DIR)

test-alerts: $(AMTOOL) ## render the Alertmanager routing from Terraform; amtool check-config + routes test per severity
	cd $(ROOT)/platform && AMTOOL=$(AMTOOL) go test -count=1 -run 'TestAlertmanager|TestEvalLocal' ./terraform/
