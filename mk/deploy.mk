# Deploying and tearing down an environment, and the smoke test.
# The scripts live in scripts/; docs/cicd.md explains the whole path.

SMOKE_TIMEOUT       ?= 5m

.PHONY: preflight deploy deploy-app destroy smoke

preflight: ## check the tools and AWS access `make deploy` needs, one line per problem
	$(ROOT)/scripts/preflight.sh

deploy: ## laptop path: infra, image (tag = git SHA), secret, chart by digest, smoke test (ENV=dev|prod)
	ENV=$(ENV) $(ROOT)/scripts/deploy.sh

deploy-app: ## deploy the chart by image digest + helm test + smoke, rollback on failure (ENV=, IMAGE_TAG= or IMAGE_DIGEST=)
	ENV=$(ENV) $(ROOT)/scripts/deploy-app.sh

destroy: ## delete k8s-made load balancers/volumes, then terraform destroy (ENV=dev|prod)
	ENV=$(ENV) $(ROOT)/scripts/destroy.sh

smoke: ## smoke-test a deployment through its public API (BASE_URL=..., admin token from env SMOKE_ADMIN_TOKEN)
	@test -n "$(BASE_URL)" || { echo "make smoke: set BASE_URL, e.g. make smoke BASE_URL=http://localhost:3000" >&2; exit 2; }
	cd $(ROOT)/backend && go run ./cmd/smoke -base-url "$(BASE_URL)" -timeout $(SMOKE_TIMEOUT)
