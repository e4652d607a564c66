# Terraform of infra/: checked offline by the real tools, pinned and built from their Go modules
# under tools/ (GOWORK=off) into the machine's tool cache (TOOL_CACHE, Makefile; docs/infra.md, "Checks").
#   terraform (tools/terraform), tflint + the AWS ruleset (tools/tflint, tools/tflint-ruleset-aws),
#   terraform-docs (tools/terraform-docs), conftest (tools/conftest: the Rego rules of infra/policy),
#   and the schema stand-in provider (tools/tfschema) that lets `terraform validate` and
#   `terraform test` run without a registry.

# Each binary: $(TOOL_CACHE)/<tool>-<version>-<hash of the wrapper module> (tool_dir, Makefile); for
# terraform the hash also covers the local ocistub module it replaces a backend with.
TERRAFORM_VERSION := $(call mod_version,terraform,github.com/hashicorp/terraform)
TERRAFORM_DIR     := $(call tool_dir,terraform,terraform,github.com/hashicorp/terraform,$(sort $(wildcard $(ROOT)/tools/terraform/ocistub/*)))
TERRAFORM         := $(TERRAFORM_DIR)/terraform
TFLINT_DIR        := $(call tool_dir,tflint,tflint,github.com/terraform-linters/tflint)
TFLINT            := $(TFLINT_DIR)/tflint
TFLINT_PLUGIN_DIR := $(call tool_dir,tflint-ruleset-aws,tflint-ruleset-aws,github.com/terraform-linters/tflint-ruleset-aws)
TFDOCS_DIR        := $(call tool_dir,terraform-docs,terraform-docs,github.com/terraform-docs/terraform-docs)
TFDOCS            := $(TFDOCS_DIR)/terraform-docs
CONFTEST_DIR      := $(call tool_dir,conftest,conftest,github.com/open-policy-agent/conftest)
CONFTEST          := $(CONFTEST_DIR)/conftest
# The stand-in has no upstream version: its folder is named by a hash of its sources.
TFSCHEMA_HASH     := $(shell cat $(ROOT)/tools/tfschema/go.mod $(ROOT)/tools/tfschema/go.sum $(filter-out %_test.go,$(wildcard $(ROOT)/tools/tfschema/*.go)) $(sort $(wildcard $(ROOT)/tools/tfschema/schemas/*.json.xz)) | sha256sum | cut -c1-12)
TFSCHEMA_DIR      := $(TOOL_CACHE)/tfschema-$(TFSCHEMA_HASH)
TFSCHEMA          := $(TFSCHEMA_DIR)/tfschema
TF_TOOLS := $(TERRAFORM_DIR)/.done $(TFLINT_DIR)/.done $(TFLINT_PLUGIN_DIR)/.done $(TFDOCS_DIR)/.done $(TFSCHEMA_DIR)/.done $(CONFTEST_DIR)/.done

TF_ENV := TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) TFLINT=$(TFLINT) TFLINT_PLUGIN_DIR=$(TFLINT_PLUGIN_DIR) TERRAFORM_DOCS=$(TFDOCS)
TF_ROOTS ?=

.PHONY: test-infra tf-tools tf-fmt tf-docs tf-validate pre-destroy

test: test-infra

# What check.sh reads: the copies of infra/ and deploy/ it checks, docs/resources.md and the
# generator (platform/cmd/resourcesgen, run in the workspace) it compares it with, and itself.
TF_CHECK_INPUTS := infra deploy docs/resources.md tools/terraform platform go.work go.work.sum

# conftest parses every .tf, .tfvars and .tfbackend file as HCL and hands them to infra/policy
# as one input (--combine); `conftest verify` runs the policy's own tests first.
TF_POLICY_FILES = $(shell cd $(ROOT) && find infra -name .terraform -prune -o \( -name '*.tf' -o -name '*.tfvars' -o -name '*.tfbackend' \) -print | sort)

# tools/tfschema's own test runs terraform on configurations it writes from its source, with the
# schemas the test binary embeds; the binaries' paths name their version and source hash, so go
# test's result cache (GOTEST_CACHE, Makefile) sees every input.
test-infra: $(TF_TOOLS) ## Terraform, offline: fmt -check, validate (every root and module), terraform test, tflint, terraform-docs READMEs, orderstack's rules (conftest, infra/policy); the Alertmanager routing (amtool)
	cd $(ROOT) && $(CONFTEST) verify --no-color --policy infra/policy && $(CONFTEST) test --no-color --combine --parser hcl2 --policy infra/policy $(TF_POLICY_FILES)
	cd $(ROOT)/tools/tfschema && export GOWORK=off && $(GO_VET) ./... && TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) go test -vet=off $(GOTEST_CACHE) ./...
	$(call unless_passed,terraform-checks,$(TF_CHECK_INPUTS),$(TF_ENV) $(ROOT)/tools/terraform/check.sh)
	@test -x $(AMTOOL) || $(MAKE) --no-print-directory amtool # mk/monitoring.mk (included after this file)
	cd $(ROOT)/platform && $(GO_VET) ./terraform/... ./internal/tfrun/... && $(TF_ENV) AMTOOL=$(AMTOOL) go test -vet=off -count=1 ./terraform/... ./internal/tfrun/...

tf-tools: $(TF_TOOLS) ## build (once per version) terraform, tflint + AWS ruleset, terraform-docs, conftest and the schema stand-in into the tool cache

tf-fmt: $(TERRAFORM_DIR)/.done ## format every .tf/.tfvars/.tftest.hcl under infra/ with terraform fmt
	$(TERRAFORM) fmt -recursive $(ROOT)/infra

tf-docs: $(TFDOCS_DIR)/.done ## regenerate the terraform-docs part of each infra/modules/*/README.md and docs/resources.md
	$(TF_ENV) $(ROOT)/tools/terraform/check.sh docs-write

tf-validate: $(TERRAFORM_DIR)/.done ## online: terraform init -backend=false + validate per root with the real providers from the registry (TF_ROOTS="infra/envs ..."); SKIPPED offline
	TERRAFORM=$(TERRAFORM) $(ROOT)/infra/scripts/tf-validate.sh $(foreach r,$(TF_ROOTS),$(ROOT)/$(r))

pre-destroy: ## delete k8s-made ALBs/volumes of ENV=dev|prod before terraform destroy (AWS_REGION, kubectl context set)
	$(ROOT)/infra/scripts/pre-destroy.sh $(ENV)

$(TERRAFORM_DIR)/.done:
	@echo "building terraform $(TERRAFORM_VERSION) (cold: a few minutes)"
	$(call go_install,$(TERRAFORM_DIR),terraform,github.com/hashicorp/terraform,-X github.com/hashicorp/terraform/version.dev=no)

$(TFLINT_DIR)/.done:
	$(call go_install,$(TFLINT_DIR),tflint,github.com/terraform-linters/tflint)

# tflint loads a plugin named in .tflint.hcl without a source from TFLINT_PLUGIN_DIR/tflint-ruleset-<name>.
$(TFLINT_PLUGIN_DIR)/.done:
	$(call go_install,$(TFLINT_PLUGIN_DIR),tflint-ruleset-aws,github.com/terraform-linters/tflint-ruleset-aws)

$(TFDOCS_DIR)/.done:
	$(call go_install,$(TFDOCS_DIR),terraform-docs,github.com/terraform-docs/terraform-docs)

$(CONFTEST_DIR)/.done:
	$(call go_install,$(CONFTEST_DIR),conftest,github.com/open-policy-agent/conftest)

$(TFSCHEMA_DIR)/.done:
	$(call go_install,$(TFSCHEMA_DIR),tfschema,.)
