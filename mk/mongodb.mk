# MongoDB (deploy/mongodb, scripts/mongodb-secret.sh, platform/mongodb). See docs/mongodb.md.

.PHONY: mongodb-check mongodb-secret

mongodb-check: ## offline checks of deploy/mongodb: chart vs the Percona CRDs, examples, secret scan, secret script
	cd platform && go test -count=1 ./mongodb/...

mongodb-secret: ## create/update Secret orders-secrets from the operator's credentials: ENV=dev|prod [KUBE_CONTEXT=...]
	@test -n "$(ENV)" || { echo "usage: make mongodb-secret ENV=dev|prod [KUBE_CONTEXT=...] [MONGODB_TLS=verify|insecure|off]" >&2; exit 2; }
	ENV='$(ENV)' KUBE_CONTEXT='$(KUBE_CONTEXT)' MONGODB_TLS='$(or $(MONGODB_TLS),verify)' $(ROOT)/scripts/mongodb-secret.sh
