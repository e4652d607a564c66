# Security scans with Trivy: misconfigurations and secrets.
# docs/reliability.md#scanning; not part of `make test`: Trivy is built
# once from the pinned wrapper module tools/trivy (GOWORK=off, GOEXPERIMENT=jsonv2: ~15 min and
# ~3.3 GB RAM cold) into the tool cache; .ci/run runs `make scan` after `make test`.

TRIVY_VERSION := $(call mod_version,trivy,github.com/aquasecurity/trivy)
TRIVY_DIR := $(call tool_dir,trivy,trivy,github.com/aquasecurity/trivy)
TRIVY := $(TRIVY_DIR)/trivy

.PHONY: scan trivy

trivy: $(TRIVY) ## build (once per version) the pinned Trivy into the tool cache (cold: ~15 min, 3.3 GB RAM)

$(TRIVY):
	@echo "building Trivy $(TRIVY_VERSION) (cold: ~15 min, 3.3 GB RAM)"
	$(call go_install,$(TRIVY_DIR),trivy,github.com/aquasecurity/trivy/cmd/trivy,,GOEXPERIMENT=jsonv2)

# Trivy's misconfiguration checks are embedded in the binary: --skip-check-update keeps it offline,
# --skip-version-check/--disable-telemetry stop its only other calls out, and config scanning needs no
# vulnerability DB (so `trivy config` has no --skip-db-update/--offline-scan). MEDIUM is included because
# KMS key rotation (AWS-0065), EKS control-plane logs (AWS-0038) and S3 versioning (AWS-0090) are MEDIUM
# checks. Each MEDIUM/HIGH/CRITICAL finding is either fixed or justified (inline #trivy:ignore with a reason, or tools/trivy/trivyignore.yaml with a statement).
TRIVY_FLAGS := --cache-dir $(ORDERSTACK_CACHE)/trivy --skip-check-update --skip-version-check --disable-telemetry \
	--severity MEDIUM,HIGH,CRITICAL --exit-code 1 --ignorefile $(ROOT)/tools/trivy/trivyignore.yaml
SCAN_TARGETS := backend deploy/helm infra
# Secret scanning: Trivy's built-in rules plus the project's (tools/trivy/trivy-secret.yaml: passwords
# in connection URIs, literal password/token settings) over the whole working tree, every severity.
TRIVY_SECRET_FLAGS := --cache-dir $(ORDERSTACK_CACHE)/trivy --skip-version-check --disable-telemetry \
	--scanners secret --secret-config $(ROOT)/tools/trivy/trivy-secret.yaml --exit-code 1 \
	--skip-dirs .git --skip-dirs .cache --skip-dirs .data --skip-dirs .e2e --skip-dirs bin

scan: $(TRIVY) ## Trivy: misconfiguration checks (embedded, offline) of backend/Dockerfile, deploy/helm and infra/ (fails on MEDIUM and above); secret scan of the repository; tests that the checks catch mutations of infra/ and planted secrets
	@fail=0; for t in $(SCAN_TARGETS); do \
		echo "== trivy config $$t"; \
		(cd $(ROOT) && $(TRIVY) config $(TRIVY_FLAGS) $$t) || fail=1; \
	done; \
	echo "== trivy config deploy/helm with values-prod.yaml"; \
	(cd $(ROOT) && $(TRIVY) config $(TRIVY_FLAGS) --helm-values deploy/helm/orders/values-prod.yaml deploy/helm) || fail=1; \
	echo "== trivy fs --scanners secret ."; \
	(cd $(ROOT) && $(TRIVY) fs $(TRIVY_SECRET_FLAGS) .) || fail=1; \
	echo "== Trivy catches mutations of infra/ (platform/terraform) and planted secrets (platform/secrets)"; \
	(cd $(ROOT)/platform && TRIVY=$(TRIVY) TRIVY_FLAGS="$(TRIVY_FLAGS)" go test -tags trivy -count=1 -run 'Trivy' ./terraform/ ./secrets/) || fail=1; \
	exit $$fail
