# Reliability and performance harness (owner: reliability; docs/benchmarks.md, docs/reliability.md).
# `make bench`, `make fuzz`, `make test-reliability-heavy` and `make scan` are NOT part of `make test`:
# each is bounded in time, loopback only. Trivy is built once from the pinned wrapper module
# tools/trivy (GOWORK=off, GOEXPERIMENT=jsonv2: ~15 min and ~3.3 GB RAM cold) into .cache/bin.

TRIVY_VERSION := $(shell awk '$$1 == "github.com/aquasecurity/trivy" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/trivy/go.mod)
TRIVY_DIR := $(ROOT)/.cache/bin/trivy-$(TRIVY_VERSION)
TRIVY := $(TRIVY_DIR)/trivy
FUZZTIME ?= 10s

.PHONY: scan trivy

trivy: $(TRIVY) ## build (once per version) the pinned Trivy into .cache/bin (cold: ~15 min, 3.3 GB RAM)

# Built into a temporary directory renamed only when complete, so an interrupted build is never reused.
$(TRIVY): $(ROOT)/tools/trivy/go.mod $(ROOT)/tools/trivy/go.sum
	@echo "building Trivy $(TRIVY_VERSION) (cold: ~15 min, 3.3 GB RAM)"
	rm -rf $(TRIVY_DIR) $(TRIVY_DIR).tmp && mkdir -p $(TRIVY_DIR).tmp
	cd $(ROOT)/tools/trivy && GOWORK=off GOEXPERIMENT=jsonv2 CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(TRIVY_DIR).tmp/trivy github.com/aquasecurity/trivy/cmd/trivy
	mv $(TRIVY_DIR).tmp $(TRIVY_DIR)
