# Terraform of infra/: checked offline by the real tools, pinned and built from their Go modules
# under tools/ (GOWORK=off) into .cache/bin/<tool>-<version>-<hash of the wrapper module>/
# (docs/infra.md, "Checks").
#   terraform (tools/terraform), tflint + the AWS ruleset (tools/tflint, tools/tflint-ruleset-aws),
#   terraform-docs (tools/terraform-docs), conftest (tools/conftest: the Rego rules of infra/policy),
#   and the schema stand-in provider (tools/tfschema) that lets `terraform validate` and
#   `terraform test` run without a registry.

TF_CACHE := $(ROOT)/.cache/bin
tf_mod_version = $(shell awk '$$1 == "$(2)" && $$2 ~ /^v/ {print $$2; exit}' $(ROOT)/tools/$(1)/go.mod)
TERRAFORM_VERSION  := $(call tf_mod_version,terraform,github.com/hashicorp/terraform)
TFLINT_VERSION     := $(call tf_mod_version,tflint,github.com/terraform-linters/tflint)
TFLINT_AWS_VERSION := $(call tf_mod_version,tflint-ruleset-aws,github.com/terraform-linters/tflint-ruleset-aws)
TFDOCS_VERSION     := $(call tf_mod_version,terraform-docs,github.com/terraform-docs/terraform-docs)
CONFTEST_VERSION   := $(call tf_mod_version,conftest,github.com/open-policy-agent/conftest)

# Each folder is named by the version and a hash of the wrapper module (go.mod, go.sum and, for
# terraform, the local ocistub module it replaces a backend with), as in mk/e2e.mk: a change of the
# wrapper that keeps the version (a go.sum bump, ocistub) rebuilds; nothing else does.
tf_mod_hash = $(shell cat $(ROOT)/tools/$(1)/go.mod $(ROOT)/tools/$(1)/go.sum $(2) | sha256sum | cut -c1-12)
TERRAFORM_DIR     := $(TF_CACHE)/terraform-$(TERRAFORM_VERSION)-$(call tf_mod_hash,terraform,$(sort $(wildcard $(ROOT)/tools/terraform/ocistub/*)))
TERRAFORM         := $(TERRAFORM_DIR)/terraform
TFLINT_DIR        := $(TF_CACHE)/tflint-$(TFLINT_VERSION)-$(call tf_mod_hash,tflint)
TFLINT            := $(TFLINT_DIR)/tflint
TFLINT_PLUGIN_DIR := $(TF_CACHE)/tflint-ruleset-aws-$(TFLINT_AWS_VERSION)-$(call tf_mod_hash,tflint-ruleset-aws)
TFDOCS_DIR        := $(TF_CACHE)/terraform-docs-$(TFDOCS_VERSION)-$(call tf_mod_hash,terraform-docs)
TFDOCS            := $(TFDOCS_DIR)/terraform-docs
CONFTEST_DIR      := $(TF_CACHE)/conftest-$(CONFTEST_VERSION)-$(call tf_mod_hash,conftest)
CONFTEST          := $(CONFTEST_DIR)/conftest
# The stand-in has no upstream version: its folder is named by a hash of its sources.
TFSCHEMA_HASH     := $(shell cat $(ROOT)/tools/tfschema/go.mod $(ROOT)/tools/tfschema/go.sum $(filter-out %_test.go,$(wildcard $(ROOT)/tools/tfschema/*.go)) $(sort $(wildcard $(ROOT)/tools/tfschema/schemas/*.json.xz)) | sha256sum | cut -c1-12)
TFSCHEMA_DIR      := $(TF_CACHE)/tfschema-$(TFSCHEMA_HASH)
TFSCHEMA          := $(TFSCHEMA_DIR)/tfschema
TF_TOOLS := $(TERRAFORM_DIR)/.done $(TFLINT_DIR)/.done $(TFLINT_PLUGIN_DIR)/.done $(TFDOCS_DIR)/.done $(TFSCHEMA_DIR)/.done $(CONFTEST_DIR)/.done

TF_GOBUILD := GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w"
TF_ENV := TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) TFLINT=$(TFLINT) TFLINT_PLUGIN_DIR=$(TFLINT_PLUGIN_DIR) TERRAFORM_DOCS=$(TFDOCS)
TF_ROOTS ?=

.PHONY: test-infra tf-tools tf-fmt tf-docs tf-validate pre-destroy

test: test-infra

# conftest parses every .tf, .tfvars and .tfbackend file as HCL and hands them to infra/policy
# as one input (--combine); `conftest verify` runs the policy's own tests first.
TF_POLICY_FILES = $(shell cd $(ROOT) && find infra -name .terraform -prune -o \( -name '*.tf' -o -name '*.tfvars' -o -name '*.tfbackend' \) -print | sort)

test-infra: $(TF_TOOLS) ## Terraform, offline: fmt -check, validate (every root and module), terraform test, tflint, terraform-docs READMEs, orderstack's rules (conftest, infra/policy); the Alertmanager routing (amtool)
	cd $(ROOT) && $(CONFTEST) verify --no-color --policy infra/policy && $(CONFTEST) test --no-color --combine --parser hcl2 --policy infra/policy $(TF_POLICY_FILES)
	cd $(ROOT)/tools/tfschema && GOWORK=off TERRAFORM=$(TERRAFORM) TFSCHEMA=$(TFSCHEMA) go test -count=1 ./...
	$(TF_ENV) $(ROOT)/tools/terraform/check.sh
	@test -x $(AMTOOL) || $(MAKE) --no-print-directory amtool # mk/monitoring.mk (included after this file)
	cd $(ROOT)/platform && go vet ./terraform/... ./internal/tfrun/... && $(TF_ENV) AMTOOL=$(AMTOOL) go test -count=1 ./terraform/... ./internal/tfrun/...

tf-tools: $(TF_TOOLS) ## build (once per version) terraform, tflint + AWS ruleset, terraform-docs, conftest and the schema stand-in into .cache/bin

tf-fmt: $(TERRAFORM_DIR)/.done ## format every .tf/.tfvars/.tftest.hcl under infra/ with terraform fmt
	$(TERRAFORM) fmt -recursive $(ROOT)/infra

tf-docs: $(TFDOCS_DIR)/.done ## regenerate the terraform-docs part of each infra/modules/*/README.md and docs/resources.md
	$(TF_ENV) $(ROOT)/tools/terraform/check.sh docs-write

tf-validate: $(TERRAFORM_DIR)/.done ## online: terraform init -backend=false + validate per root with the real providers from the registry (TF_ROOTS="infra/envs ..."); SKIPPED offline
	TERRAFORM=$(TERRAFORM) $(ROOT)/infra/scripts/tf-validate.sh $(foreach r,$(TF_ROOTS),$(ROOT)/$(r))

pre-destroy: ## delete k8s-made ALBs/volumes of ENV=dev|prod before terraform destroy (AWS_REGION, kubectl context set)
	$(ROOT)/infra/scripts/pre-destroy.sh $(ENV)

# Each build goes to a temporary directory renamed only when complete (as in mk/e2e.mk). The
# folders are named by version and content hash, so the rules have no file prerequisites: .cache
# is shared by every worktree, and a checkout's newer go.mod must not make one worktree delete and
# rebuild the binary another is running.
$(TERRAFORM_DIR)/.done:
	@echo "building terraform $(TERRAFORM_VERSION) (cold: a few minutes)"
	rm -rf $(TERRAFORM_DIR) $(TERRAFORM_DIR).tmp && mkdir -p $(TERRAFORM_DIR).tmp
	cd $(ROOT)/tools/terraform && GOWORK=off CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o $(TERRAFORM_DIR).tmp/terraform github.com/hashicorp/terraform
	touch $(TERRAFORM_DIR).tmp/.done && mv $(TERRAFORM_DIR).tmp $(TERRAFORM_DIR)

$(TFLINT_DIR)/.done:
	rm -rf $(TFLINT_DIR) $(TFLINT_DIR).tmp && mkdir -p $(TFLINT_DIR).tmp
	cd $(ROOT)/tools/tflint && $(TF_GOBUILD) -o $(TFLINT_DIR).tmp/tflint github.com/terraform-linters/tflint
	touch $(TFLINT_DIR).tmp/.done && mv $(TFLINT_DIR).tmp $(TFLINT_DIR)

# tflint loads a plugin named in .tflint.hcl without a source from TFLINT_PLUGIN_DIR/tflint-ruleset-<name>.
$(TFLINT_PLUGIN_DIR)/.done:
	rm -rf $(TFLINT_PLUGIN_DIR) $(TFLINT_PLUGIN_DIR).tmp && mkdir -p $(TFLINT_PLUGIN_DIR).tmp
	cd $(ROOT)/tools/tflint-ruleset-aws && $(TF_GOBUILD) -o $(TFLINT_PLUGIN_DIR).tmp/tflint-ruleset-aws github.com/terraform-linters/tflint-ruleset-aws
	touch $(TFLINT_PLUGIN_DIR).tmp/.done && mv $(TFLINT_PLUGIN_DIR).tmp $(TFLINT_PLUGIN_DIR)

$(TFDOCS_DIR)/.done:
	rm -rf $(TFDOCS_DIR) $(TFDOCS_DIR).tmp && mkdir -p $(TFDOCS_DIR).tmp
	cd $(ROOT)/tools/terraform-docs && $(TF_GOBUILD) -o $(TFDOCS_DIR).tmp/terraform-docs github.com/terraform-docs/terraform-docs
	touch $(TFDOCS_DIR).tmp/.done && mv $(TFDOCS_DIR).tmp $(TFDOCS_DIR)

$(CONFTEST_DIR)/.done:
	rm -rf $(CONFTEST_DIR) $(CONFTEST_DIR).tmp && mkdir -p $(CONFTEST_DIR).tmp
	cd $(ROOT)/tools/conftest && $(TF_GOBUILD) -o $(CONFTEST_DIR).tmp/conftest github.com/open-policy-agent/conftest
	touch $(CONFTEST_DIR).tmp/.done && mv $(CONFTEST_DIR).tmp $(CONFTEST_DIR)

$(TFSCHEMA_DIR)/.done:
	rm -rf $(TFSCHEMA_DIR) $(TFSCHEMA_DIR).tmp && mkdir -p $(TFSCHEMA_DIR).tmp
	cd $(ROOT)/tools/tfschema && $(TF_GOBUILD) -o $(TFSCHEMA_DIR).tmp/tfschema .
	touch $(TFSCHEMA_DIR).tmp/.done && mv $(TFSCHEMA_DIR).tmp $(TFSCHEMA_DIR)
