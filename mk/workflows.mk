# The GitHub Actions workflows and the deploy scripts.
# .github/workflows and scripts/, checked
# offline: actionlint, the repository's workflow policy, IAM trust, the scripts in a closed-PATH
# sandbox of fake CLIs (platform/workflows, docs/cicd.md).

.PHONY: test-workflows

test: test-workflows

test-workflows: ## workflows and deploy scripts offline: actionlint, pinning, permissions, OIDC roles, scripts against fake CLIs
	cd $(ROOT)/platform && go vet ./workflows/... ./internal/clisandbox/... && go test -count=1 ./workflows/... ./internal/clisandbox/...
