# Monitoring rules: promtool (pinned in tools/promtool, built with GOWORK=off into .cache/bin) checks
# every rule file the charts render and runs the alert unit tests (platform/promrules/testdata).

PROMTOOL_VERSION := $(shell awk '$$1 == "github.com/prometheus/prometheus" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/promtool/go.mod)
PROMTOOL_DIR := $(ROOT)/.cache/bin/promtool-$(PROMTOOL_VERSION)
PROMTOOL := $(PROMTOOL_DIR)/promtool

.PHONY: promtool promtool-check

promtool: $(PROMTOOL) ## build (once per version) the pinned promtool into .cache/bin

# Built into a temporary directory renamed only when complete, so an interrupted build is never
# mistaken for a cached one.
$(PROMTOOL): $(ROOT)/tools/promtool/go.mod $(ROOT)/tools/promtool/go.sum
	@echo "building promtool $(PROMTOOL_VERSION) (cold: several minutes)"
	rm -rf $(PROMTOOL_DIR) $(PROMTOOL_DIR).tmp && mkdir -p $(PROMTOOL_DIR).tmp
	cd $(ROOT)/tools/promtool && GOWORK=off CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w" \
		-o $(PROMTOOL_DIR).tmp/promtool github.com/prometheus/prometheus/cmd/promtool
	mv $(PROMTOOL_DIR).tmp $(PROMTOOL_DIR)

promtool-check: $(PROMTOOL) ## promtool check rules on every rendered PrometheusRule + promtool test rules on the MongoDB alerts
	cd $(ROOT)/platform && PROMTOOL=$(PROMTOOL) go test -count=1 ./promrules/...
