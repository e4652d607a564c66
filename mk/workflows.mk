# The GitHub Actions workflows and the deploy scripts.
# .github/workflows and scripts/, checked offline: actionlint (the version of platform/go.mod; its
# shellcheck integration checks run: scripts when shellcheck is installed); the repository's
# workflow rules, the make targets every pull request runs and the OIDC provider's place as Rego
# (platform/workflows/policy, run by conftest, built pinned from tools/conftest into the tool cache);
# IAM trust; the scripts in a closed-PATH sandbox of fake CLIs (platform/workflows,
# docs/cicd.md). The CI roles come from the pinned terraform run on infra/ with the schema
# stand-in (tf-tools in mk/infra.mk).

# CONFTEST and its build rule: mk/infra.mk (infra/policy runs on the same binary).
WF_POLICY := platform/workflows/policy

.PHONY: test-workflows conftest

test: test-workflows

test-workflows: tf-tools $(CONFTEST_DIR)/.done ## workflows and deploy scripts offline: actionlint, Rego rules (conftest), OIDC roles (from terraform), scripts against fake CLIs
	cd $(ROOT) && go -C platform run github.com/rhysd/actionlint/cmd/actionlint -no-color $(ROOT)/.github/workflows/*.yml
	cd $(ROOT) && $(CONFTEST) verify --no-color --policy $(WF_POLICY) && \
		$(CONFTEST) test --no-color --policy $(WF_POLICY) --namespace workflows .github/workflows/*.yml && \
		$(CONFTEST) test --no-color --policy $(WF_POLICY) --namespace gate --combine .github/workflows/*.yml && \
		$(CONFTEST) test --no-color --policy $(WF_POLICY) --namespace oidc --combine infra/*/*.tf infra/modules/*/*.tf
	cd $(ROOT)/platform && $(GO_VET) ./workflows/... ./internal/clisandbox/... && \
		TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) go test -vet=off -count=1 ./workflows/... ./internal/clisandbox/...

conftest: $(CONFTEST_DIR)/.done ## build (once per version) conftest into the tool cache
