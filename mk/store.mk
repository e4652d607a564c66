# The store: local runs of the service (backend/local) and the store checks.
# `make run` (root Makefile) uses the embedded FerretDB; docs/local-store.md explains it.

LOCAL_DATA := $(ROOT)/.data/ferretdb

# The first `make run` of a clone compiles FerretDB and its pure-Go SQLite, minutes without output:
# say so before `go run` starts. FerretDB's package is stale exactly when it is not in the Go build
# cache yet (`go list` only hashes files to tell; ~1 s).
FERRETDB_BUILD_NOTE = if [ "$$(cd $(ROOT)/backend/local && go list -f '{{.Stale}}' github.com/FerretDB/FerretDB/ferretdb 2>/dev/null)" != false ]; then \
	echo "first build: compiling FerretDB and SQLite for the embedded store ($(FERRETDB_BUILD_TIME); later runs start in seconds) ..."; fi
# Measured with an empty build cache: 155 s of CPU time (see README.md).
FERRETDB_BUILD_TIME := about 2 min on an idle 2-core machine, much longer on a busy one

# Always run (-count=1, Makefile's GOTEST_CACHE): onbackend starts `go test` on backend/ against
# FerretDB; orders-local builds and runs the binary and reads README.md, outside its module.
STORE_ALWAYS_RUN := internal/mongodbtest/onbackend cmd/orders-local
# test-store's packages in backend/ (the contract suite, the adapter, cmd/orders' e2e): always run,
# as they use a database named by TEST_MONGODB_URL when it is set.
STORE_BACKEND_PKGS := ./internal/order/storetest/... ./internal/mongodb/... ./cmd/orders/

.PHONY: run-memory test-store store-protocol store-model-heavy bench-store clean-data

test: test-store

run-memory: ## run the service with the in-memory store (no files; data lost on exit); SEED=1 adds demo products
	@$(FERRETDB_BUILD_NOTE)
	cd $(ROOT)/backend/local && go run ./cmd/orders-local -store=memory $(if $(SEED),-seed,)

test-store: ## store tests: contract suite, adapter and cmd/orders e2e (on TEST_MONGODB_URL=mongodb://... if set), and on the embedded FerretDB: adapter, embedded DB, make-run e2e, load command (go vet on backend/local/)
	cd $(ROOT)/backend && $(GO_VET) $(STORE_BACKEND_PKGS) && go test -vet=off -count=1 $(STORE_BACKEND_PKGS)
	cd $(ROOT)/backend/local && $(GO_VET) ./... && go test -vet=off $(GOTEST_CACHE) $$(go list ./internal/... ./cmd/... | grep -v $(foreach p,$(STORE_ALWAYS_RUN),-e '/$(p)$$')) && \
		go test -vet=off -count=1 $(addprefix ./,$(addsuffix /,$(STORE_ALWAYS_RUN)))

store-protocol: ## the stock protocol under faults: each store call × each fault (memstore and, through a fault proxy, FerretDB), and the randomised model (~30 s; also in make test)
	cd $(ROOT)/backend && go test -count=1 -run 'TestProtocolFaults|TestModel' ./internal/order/
	cd $(ROOT)/backend/local && go test -count=1 -run 'TestProxyFaults|TestModel' ./internal/mongodbtest/

store-model-heavy: ## the randomised stock model for MODEL_DURATION (default 5m) on each store; MODEL_SEED=n replays a seed
	cd $(ROOT)/backend && MODEL_DURATION=$(or $(MODEL_DURATION),5m) CGO_ENABLED=1 go test -count=1 -race -timeout 60m -run TestModel -v ./internal/order/
	cd $(ROOT)/backend/local && MODEL_DURATION=$(or $(MODEL_DURATION),5m) go test -count=1 -timeout 60m -run TestModel -v ./internal/mongodbtest/

bench-store: ## benchmark store operations on the embedded FerretDB: the serialised adapter's single operations, and placing orders and ListOrders at 1,600 orders on the adapter against the local store (localstore)
	cd $(ROOT)/backend/local && go test -run '^$$' -bench . -benchtime 2s ./internal/mongodbtest/ ./internal/localstore/

clean-data: ## delete the local database of `make run` (.data/ferretdb)
	rm -rf "$(LOCAL_DATA)"
