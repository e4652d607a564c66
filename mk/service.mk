# The order service (backend/): domain, in-memory store, HTTP API, lifecycle, smoke command.
# Its store adapter and cmd/orders' e2e are test-store's (mk/store.mk); RACE=1 adds -race.

.PHONY: test-service bench-service

test: test-service

test-service: ## service tests: domain, memstore, HTTP handlers, config and lifecycle, smoke command (go vet on backend/; RACE=1 for -race)
	cd $(ROOT)/backend && go vet ./... && go test $(if $(RACE),-race) $(GOTEST_CACHE) ./internal/order/ ./internal/memstore/ ./internal/httpapi/ ./internal/app/ ./cmd/smoke/

bench-service: ## benchmark the HTTP hot paths on the in-memory store (decode+validate, order create, product get, writeError)
	cd $(ROOT)/backend && go test -run '^$$' -bench . -benchmem ./internal/httpapi/

.PHONY: fuzz-service
fuzz-service: ## fuzz POST /api/v1/orders bodies for FUZZTIME (default 60s): never a 5xx, never negative stock
	cd $(ROOT)/backend && go test -run '^$$' -fuzz FuzzOrderCreate -fuzztime $(or $(FUZZTIME),60s) ./internal/httpapi/

.PHONY: config-docs
config-docs: ## regenerate the settings table of docs/config.md from backend/internal/app.Settings (a test fails while they differ)
	cd $(ROOT)/backend && go test -count=1 -run '^TestConfigDocIsGenerated$$' ./internal/app/ -args -update
