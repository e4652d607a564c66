# Deploy, destroy, smoke test, lint and vulnerability check (owner: cicd).
# The scripts live in scripts/; docs/cicd.md explains the whole path.

STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
SMOKE_TIMEOUT       ?= 5m

.PHONY: preflight deploy deploy-app destroy smoke lint vulncheck

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

lint: ## go vet + staticcheck (pinned) on both modules; shellcheck on scripts/ when installed
	cd $(ROOT)/backend && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd $(ROOT)/backend/local && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	cd $(ROOT)/platform && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@if command -v shellcheck >/dev/null 2>&1; then \
		echo "shellcheck scripts/*.sh"; cd $(ROOT) && shellcheck -x scripts/*.sh; \
	else \
		echo "lint: shellcheck not installed, scripts/ skipped (CI runs it)"; \
	fi

vulncheck: ## govulncheck (pinned) on both modules (needs vuln.go.dev)
	cd $(ROOT)/backend && go run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) ./...
	cd $(ROOT)/backend/local && go run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) ./...
	cd $(ROOT)/platform && go run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) ./...
