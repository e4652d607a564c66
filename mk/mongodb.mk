# MongoDB (deploy/mongodb, scripts/mongodb-secret.sh, platform/mongodb). See docs/mongodb.md.

.PHONY: test-mongodb mongodb-secret restore-drill

test: test-mongodb

test-mongodb: $(HELM_UNITTEST) ## offline checks of deploy/mongodb: the cluster chart's helm-unittest suites, its objects vs the Percona CRDs (CEL included), examples, secret script, restore drill script
	$(HELM_UNITTEST) --color=false $(ROOT)/deploy/mongodb/cluster
	cd $(ROOT)/platform && $(GO_VET) ./mongodb/... ./restoredrill/... && go test -vet=off -count=1 ./mongodb/... ./restoredrill/...

restore-drill: ## back up, restore into the same cluster and verify (markers, order count), timing each phase: ENV=dev [KUBE_CONTEXT=...]
	@test -n "$(ENV)" || { echo "usage: make restore-drill ENV=dev [KUBE_CONTEXT=...]" >&2; exit 2; }
	ENV='$(ENV)' KUBE_CONTEXT='$(KUBE_CONTEXT)' $(ROOT)/scripts/restore-drill.sh

mongodb-secret: ## create/update Secret orders-secrets from the operator's credentials: ENV=dev|prod [KUBE_CONTEXT=...]
	@test -n "$(ENV)" || { echo "usage: make mongodb-secret ENV=dev|prod [KUBE_CONTEXT=...] [MONGODB_TLS=verify|insecure|off]" >&2; exit 2; }
	ENV='$(ENV)' KUBE_CONTEXT='$(KUBE_CONTEXT)' MONGODB_TLS='$(or $(MONGODB_TLS),verify)' $(ROOT)/scripts/mongodb-secret.sh

.PHONY: mongodb-e2e
mongodb-e2e: e2e-tools ## scripts/mongodb-secret.sh with a real kubectl against a local control plane holding the Percona CRDs and the chart
	cd $(ROOT)/platform && E2E_KUBE_BIN=$(K8S_BIN) E2E_ETCD_BIN=$(ETCD_BIN) E2E_KWOK_BIN=$(KWOK_BIN) E2E_KWOK_DIR=$(E2E_KWOK_DIR) E2E_CLIENTS=$(E2E_CLIENTS) \
		go test -tags e2e -run '^TestMongoDBE2E$$' -v -count=1 -timeout 20m ./mongodb/
