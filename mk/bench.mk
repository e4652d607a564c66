# Reliability and performance harness (owner: reliability; docs/benchmarks.md, docs/reliability.md).
# `make bench`, `make fuzz`, `make test-reliability-heavy` and `make scan` are NOT part of `make test`:
# each is bounded in time, loopback only. Trivy is built once from the pinned wrapper module
# tools/trivy (GOWORK=off, GOEXPERIMENT=jsonv2: ~15 min and ~3.3 GB RAM cold) into .cache/bin.

TRIVY_VERSION := $(shell awk '$$1 == "github.com/aquasecurity/trivy" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/trivy/go.mod)
TRIVY_DIR := $(ROOT)/.cache/bin/trivy-$(TRIVY_VERSION)
TRIVY := $(TRIVY_DIR)/trivy
# FUZZTIME: per fuzz target (make fuzz FUZZTIME=1m); 10s when unset. Not a global default, so
# fuzz-api (mk/api.mk) keeps its own.
FUZZ_TIME = $(or $(FUZZTIME),10s)

.PHONY: bench bench-quick fuzz test-reliability test-reliability-heavy scan trivy

# Rates and lengths of `make bench`; e.g. make bench BENCH_ARGS='-store memory -rates 1000'.
BENCH_ARGS ?=

bench: ## load the service with vegeta (memory store at 500 and 1000 req/s, embedded FerretDB at 20 and 100), the ceiling (service vs bare net/http handler, CPU per request), round trips per order, the raw driver and the httpapi go benchmarks; writes the tables into docs/benchmarks.md (~5 min)
	cd $(ROOT)/backend/local && go run ./cmd/loadtest -gobench -docs $(ROOT)/docs/benchmarks.md $(BENCH_ARGS)

bench-quick: ## a 1-minute smoke run of the load command (short runs, prints only, writes nothing)
	cd $(ROOT)/backend/local && go run ./cmd/loadtest -rates 200 -duration 2s -max-duration 2s -driver-duration 1s -products 10

trivy: $(TRIVY) ## build (once per version) the pinned Trivy into .cache/bin (cold: ~15 min, 3.3 GB RAM)

# Built into a temporary directory renamed only when complete, so an interrupted build is never reused.
$(TRIVY): $(ROOT)/tools/trivy/go.mod $(ROOT)/tools/trivy/go.sum
	@echo "building Trivy $(TRIVY_VERSION) (cold: ~15 min, 3.3 GB RAM)"
	rm -rf $(TRIVY_DIR) $(TRIVY_DIR).tmp && mkdir -p $(TRIVY_DIR).tmp
	cd $(ROOT)/tools/trivy && GOWORK=off GOEXPERIMENT=jsonv2 CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(TRIVY_DIR).tmp/trivy github.com/aquasecurity/trivy/cmd/trivy
	mv $(TRIVY_DIR).tmp $(TRIVY_DIR)

test-reliability: ## crash (kill -9), zero-downtime restart and database-outage tests of the service as processes (~1 min; also in make test)
	cd $(ROOT)/backend/local && go test -count=1 -v ./reliability/

test-reliability-heavy: ## the same, harder: 5 kills at random moments with 8 clients, two rolling restarts at 100 req/s, a 6 s outage at 50 req/s (~3 min)
	cd $(ROOT)/backend/local && RELIABILITY_HEAVY=1 go test -count=1 -v -timeout 20m ./reliability/

# Every Fuzz target of these packages (found with go test -list), each for FUZZTIME; new corpus
# entries go to the Go build cache, a failing input to testdata/fuzz/<Target>/ (commit it, then fix).
FUZZ_PKGS := ./internal/order/ ./internal/httpapi/

fuzz: ## run every fuzz target (order ids and keys, request bodies, cursors, Idempotency-Key) for FUZZTIME each (default 10s)
	@cd $(ROOT)/backend && for pkg in $(FUZZ_PKGS); do \
		for t in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t ($(FUZZ_TIME))"; \
			go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZ_TIME) -parallel 2 $$pkg || exit 1; \
		done; \
	done

# Trivy's misconfiguration checks are embedded in the binary: --skip-check-update keeps it offline,
# --skip-version-check/--disable-telemetry stop its only other calls out, and config scanning needs no
# vulnerability DB (so `trivy config` has no --skip-db-update/--offline-scan). Each HIGH/CRITICAL finding is either fixed or
# justified (inline #trivy:ignore with a reason, or tools/trivy/trivyignore.yaml with a statement).
TRIVY_FLAGS := --cache-dir $(ROOT)/.cache/trivy --skip-check-update --skip-version-check --disable-telemetry \
	--severity HIGH,CRITICAL --exit-code 1 --ignorefile $(ROOT)/tools/trivy/trivyignore.yaml
SCAN_TARGETS := backend deploy/helm infra

scan: $(TRIVY) ## Trivy misconfiguration checks (embedded, offline) of backend/Dockerfile, deploy/helm and infra/; fails on HIGH/CRITICAL
	@fail=0; for t in $(SCAN_TARGETS); do \
		echo "== trivy config $$t"; \
		(cd $(ROOT) && $(TRIVY) config $(TRIVY_FLAGS) $$t) || fail=1; \
	done; \
	echo "== trivy config deploy/helm with values-prod.yaml"; \
	(cd $(ROOT) && $(TRIVY) config $(TRIVY_FLAGS) --helm-values deploy/helm/orders/values-prod.yaml deploy/helm) || fail=1; \
	exit $$fail
