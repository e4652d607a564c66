# The GitHub Actions workflows and the deploy scripts.
# .github/workflows and scripts/, checked
# offline: actionlint, the repository's workflow policy, IAM trust, the scripts in a closed-PATH
# sandbox of fake CLIs (platform/workflows, docs/cicd.md). The CI roles come from the pinned
# terraform run on infra/ with the schema stand-in (tf-tools in mk/infra.mk).

.PHONY: test-workflows

test: test-workflows

test-workflows: tf-tools ## workflows and deploy scripts offline: actionlint, pinning, permissions, OIDC roles (from terraform), scripts against fake CLIs
	cd $(ROOT)/platform && go vet ./workflows/... ./internal/clisandbox/... && \
		TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) go test -count=1 ./workflows/... ./internal/clisandbox/...
