# Static checks beyond `make test`: staticcheck, govulncheck, shellcheck.
# staticcheck and govulncheck (pinned, through go run) on the
# three Go modules, shellcheck on every shell script git tracks (scripts/, infra/scripts/,
# backend/scripts/, tools/*/, .ci/run). shellcheck is Debian's package: installed when missing.

STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
GO_MODULES := backend backend/local platform
SHELL_SCRIPTS = $(shell cd $(ROOT) && git ls-files '*.sh' .ci/run)

.PHONY: lint vulncheck

lint: ## go vet + staticcheck (pinned) on every Go module; shellcheck on every shell script (installs Debian's shellcheck when missing)
	@for m in $(GO_MODULES); do echo "== go vet + staticcheck $$m"; \
		(cd $(ROOT)/$$m && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...) || exit 1; done
	@command -v shellcheck >/dev/null 2>&1 || { echo "installing shellcheck (apt-get)"; \
		apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq shellcheck; }; }
	@echo "== shellcheck $(words $(SHELL_SCRIPTS)) scripts"; cd $(ROOT) && shellcheck -x $(SHELL_SCRIPTS)

vulncheck: ## govulncheck (pinned) on every Go module (needs vuln.go.dev)
	@for m in $(GO_MODULES); do echo "== govulncheck $$m"; \
		(cd $(ROOT)/$$m && go run golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION) ./...) || exit 1; done
