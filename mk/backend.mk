# The order service's local runs and store checks (owner: stores).
# `make run` (root Makefile) uses the embedded FerretDB; docs/local-store.md explains it.

LOCAL_DATA := $(ROOT)/.data/ferretdb

.PHONY: run-memory test-store bench-store clean-data

run-memory: ## run the service with the in-memory store (no files; data lost on exit); SEED=1 adds demo products
	cd $(ROOT)/backend && go run ./cmd/orders-local -store=memory $(if $(SEED),-seed,)

test-store: ## store tests: contract suite, adapter, embedded DB, make-run e2e (TEST_MONGODB_URL=mongodb://... for a real mongod)
	cd $(ROOT)/backend && go test -count=1 ./internal/order/storetest/... ./internal/mongodb/... ./internal/localdb/... ./cmd/orders-local/...

bench-store: ## benchmark single store operations on the embedded FerretDB (or TEST_MONGODB_URL)
	cd $(ROOT)/backend && go test -run '^$$' -bench . -benchtime 2s ./internal/mongodb/

clean-data: ## delete the local database of `make run` (.data/ferretdb)
	rm -rf "$(LOCAL_DATA)"
