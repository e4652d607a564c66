# The order service's local runs and store checks (owner: stores).
# `make run` (root Makefile) uses the embedded FerretDB; docs/local-store.md explains it.

LOCAL_DATA := $(ROOT)/.data/ferretdb

.PHONY: run-memory test-store bench-store clean-data

run-memory: ## run the service with the in-memory store (no files; data lost on exit); SEED=1 adds demo products
	cd $(ROOT)/backend/local && go run ./cmd/orders-local -store=memory $(if $(SEED),-seed,)

test-store: ## store tests: contract suite, adapter and cmd/orders e2e (on TEST_MONGODB_URL=mongodb://... if set), and on the embedded FerretDB: adapter, embedded DB, make-run e2e
	cd $(ROOT)/backend && go test -count=1 ./internal/order/storetest/... ./internal/mongodb/... ./cmd/orders/
	cd $(ROOT)/backend/local && go test -count=1 ./internal/... ./cmd/orders-local/...

bench-store: ## benchmark single store operations of the local store (adapter on the embedded FerretDB, serialised)
	cd $(ROOT)/backend/local && go test -run '^$$' -bench . -benchtime 2s ./internal/mongodbtest/

clean-data: ## delete the local database of `make run` (.data/ferretdb)
	rm -rf "$(LOCAL_DATA)"
