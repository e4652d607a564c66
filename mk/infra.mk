# Terraform of infra/ (owner: terraform). docs/infra.md explains the modules, apply and teardown.
# The checks need no terraform binary: formatting and policy tests are Go (platform/terraform).

TF_ROOTS ?=

.PHONY: tf-fmt tf-fmt-check tf-validate test-infra pre-destroy

test: test-infra

tf-fmt: ## format every .tf/.tfvars under infra/ (hclwrite, what terraform fmt writes)
	cd $(ROOT)/platform && go run ./terraform/cmd/tffmt $(ROOT)/infra

tf-fmt-check: ## fail when a .tf/.tfvars under infra/ is not formatted
	cd $(ROOT)/platform && go run ./terraform/cmd/tffmt -check $(ROOT)/infra

tf-validate: ## terraform init -backend=false + validate per root (TF_ROOTS="infra/envs/dev ..."); says SKIPPED offline
	$(ROOT)/infra/scripts/tf-validate.sh $(foreach r,$(TF_ROOTS),$(ROOT)/$(r))

test-infra: ## offline Terraform checks: parse, format, conventions, security policies, scripts
	cd $(ROOT)/platform && go vet ./terraform/... && go test -count=1 ./terraform/...

pre-destroy: ## delete k8s-made ALBs/volumes of ENV=dev|prod before terraform destroy (AWS_REGION, kubectl context set)
	$(ROOT)/infra/scripts/pre-destroy.sh $(ENV)
