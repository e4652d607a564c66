# orderstack: the front door. `make help` lists every target.
# Each area keeps its own targets in mk/<area>.mk; this file holds the two
# commands of the README and the shared settings.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BIN  := $(ROOT)/bin
export GOFLAGS := -buildvcs=false

.PHONY: help run test

help: ## list the targets with a line on each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## run the service on 127.0.0.1:3000 (HOST, PORT) with the embedded FerretDB/SQLite store; SEED=1 adds demo products
	@$(FERRETDB_BUILD_NOTE)
	cd backend/local && go run ./cmd/orders-local $(if $(SEED),-seed,)

test: ## every offline check: service, chart, Terraform, workflows, docs (what CI runs)
	cd backend && go vet ./... && go test -count=1 ./...
	cd backend/local && go vet ./... && go test -count=1 ./...
	cd platform && go vet ./... && go test -count=1 ./...

-include mk/*.mk
