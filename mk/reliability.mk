# Reliability and performance: kills, restarts, outages, fuzzing, load.
# The service as processes under kills, restarts and outages,
# fuzzing and load (docs/reliability.md, docs/benchmarks.md). Only test-reliability is part of
# `make test`; the others are bounded in time, loopback only.

# FUZZTIME: per fuzz target (make fuzz FUZZTIME=1m); 10s when unset. Not a global default, so
# fuzz-service (mk/service.mk) keeps its own.
FUZZ_TIME = $(or $(FUZZTIME),10s)

.PHONY: bench bench-quick fuzz test-reliability reliability-heavy

test: test-reliability

# Rates and lengths of `make bench`; e.g. make bench BENCH_ARGS='-store memory -rates 1000'.
BENCH_ARGS ?=

bench: ## load the service with vegeta (memory store at 500 and 1000 req/s, embedded FerretDB at 20 and 100), the ceiling (service vs bare net/http handler, CPU per request), round trips per order, the raw driver and the httpapi go benchmarks; writes the tables into docs/benchmarks.md (~5 min)
	cd $(ROOT)/backend/local && go run ./cmd/loadtest -gobench -docs $(ROOT)/docs/benchmarks.md $(BENCH_ARGS)

bench-quick: ## a 1-minute smoke run of the load command (short runs, prints only, writes nothing)
	cd $(ROOT)/backend/local && go run ./cmd/loadtest -rates 200 -duration 2s -max-duration 2s -driver-duration 1s -products 10

test-reliability: ## crash (kill -9), zero-downtime restart and database-outage tests of the service as processes (~20 s; its five tests run side by side)
	cd $(ROOT)/backend/local && $(GO_VET) ./reliability/ && go test -vet=off -count=1 ./reliability/

reliability-heavy: ## the same, harder: 5 kills at random moments with 8 clients, two rolling restarts at 100 req/s, a 6 s outage at 50 req/s (~3 min)
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
