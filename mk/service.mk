# The order service (backend/): domain, in-memory store, HTTP API, lifecycle, smoke command.
# Its store adapter and cmd/orders' e2e are test-store's (mk/store.mk); RACE=1 adds -race.

.PHONY: test-service bench-service

test: test-service

# go test after $(GO_VET) (Makefile); RACE=1 needs cgo.
GO_TEST_RACE = $(if $(RACE),CGO_ENABLED=1 go test -vet=off -race,go test -vet=off)

# app always runs (-count=1): TestConfigDocIsGenerated reads docs/config.md, outside the backend
# module, where go test's result cache does not look (it rechecks only files inside the module).
test-service: ## service tests: domain, memstore, HTTP handlers, config and lifecycle, smoke command (go vet on backend/; RACE=1 for -race)
	cd $(ROOT)/backend && $(GO_VET) ./... && $(GO_TEST_RACE) $(GOTEST_CACHE) ./internal/order/ ./internal/memstore/ ./internal/httpapi/ ./cmd/smoke/ && \
		$(GO_TEST_RACE) -count=1 ./internal/app/

bench-service: ## benchmark the HTTP hot paths on the in-memory store (decode+validate, order create, product get, writeError)
	cd $(ROOT)/backend && go test -run '^$$' -bench . -benchmem ./internal/httpapi/

.PHONY: fuzz-service
fuzz-service: ## fuzz POST /api/v1/orders bodies for FUZZTIME (default 60s): never a 5xx, never negative stock
	cd $(ROOT)/backend && go test -run '^$$' -fuzz FuzzOrderCreate -fuzztime $(or $(FUZZTIME),60s) ./internal/httpapi/

.PHONY: config-docs
config-docs: ## regenerate the settings table of docs/config.md from backend/internal/app.Settings (a test fails while they differ)
	cd $(ROOT)/backend && go test -count=1 -run '^TestConfigDocIsGenerated$$' ./internal/app/ -args -update
