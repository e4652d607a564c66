# The service's HTTP layer, lifecycle and production binary
# (backend/internal/{httpapi,app,memstore,order}, backend/cmd/orders).

.PHONY: test-api bench-api

test-api: ## service tests only: domain, memstore, HTTP handlers, lifecycle (race detector on), then cmd/orders e2e
	cd backend && go test -race -count=1 ./internal/order/ ./internal/memstore/ ./internal/httpapi/ ./internal/app/
	cd backend && go test -count=1 ./cmd/orders/

bench-api: ## benchmark the HTTP hot paths on the in-memory store (decode+validate, order create, product get, writeError)
	cd backend && go test -run '^$$' -bench . -benchmem ./internal/httpapi/

.PHONY: fuzz-api
fuzz-api: ## fuzz POST /api/v1/orders bodies for FUZZTIME (default 60s): never a 5xx, never negative stock
	cd backend && go test -run '^$$' -fuzz FuzzOrderCreate -fuzztime $(or $(FUZZTIME),60s) ./internal/httpapi/

.PHONY: config-docs
config-docs: ## regenerate the settings table of docs/config.md from backend/internal/app.Settings (a test fails while they differ)
	cd backend && go test -count=1 -run '^TestConfigDocIsGenerated$$' ./internal/app/ -args -update
