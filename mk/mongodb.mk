# MongoDB (deploy/mongodb, scripts/mongodb-secret.sh, platform/mongodb). See docs/mongodb.md.

.PHONY: mongodb-check

mongodb-check: ## offline checks of deploy/mongodb: chart vs the Percona CRDs, examples, secret scan, secret script
	cd platform && go test -count=1 ./mongodb/...
